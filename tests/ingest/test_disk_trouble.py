"""Disk full and read-only library directories: a clear error, nothing half-written visible."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from soundscout.errors import LibraryError
from soundscout.search.service import SearchService
from tests.audiogen import tone, write_audio
from tests.conftest import make_settings


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 640 KiB tmpfs for the library directory (needs mount rights, i.e. root)."""
    mountpoint = tmp_path / "small"
    mountpoint.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=640k", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def _folder(root: Path, n: int) -> Path:
    for i in range(n):
        write_audio(root / f"f{i:04d}.wav", tone(100 + 7 * i, 0.05, sr=8000), 8000)
    return root


@pytest.mark.slow
def test_disk_full_gives_a_clear_error_and_a_consistent_catalog(
    small_disk: Path, tmp_path: Path
) -> None:
    folder = _folder(tmp_path / "sounds", 600)
    settings = make_settings(small_disk / "lib", **{"ingest.commit_every": 16})
    service = SearchService(settings)
    try:
        with pytest.raises(LibraryError) as err:
            service.index_folder(folder, progress=False)
        assert "full" in err.value.message + (err.value.hint or ""), err.value.message
        assert service.catalog.integrity_ok()
        counts = service.catalog.counts()
        done_ids = [
            int(i)
            for ids, _ in service.catalog.iter_embeddings(service.encoder.version)
            for i in ids
        ]
        assert len(done_ids) == counts["done"]  # every done row has its vector, no more
        subprocess.run(["mount", "-o", "remount,size=8m", str(small_disk)], check=True)
        report = service.index_folder(folder, progress=False)  # space freed: resume
        assert report.ok == 600 - counts["done"] and report.failed == 0
        assert service.sync_index().count == 600
    finally:
        service.close()


@pytest.mark.slow
def test_read_only_library_is_refused_clearly(small_disk: Path, tmp_path: Path) -> None:
    folder = _folder(tmp_path / "sounds", 5)
    library = small_disk / "lib"
    service = SearchService(make_settings(library))
    service.index_folder(folder, progress=False)
    service.close()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    write_audio(folder / "new.wav", tone(300, 0.1, sr=8000), 8000)
    with pytest.raises(LibraryError) as err:
        ro = SearchService(make_settings(library))
        try:
            ro.index_folder(folder, progress=False)
        finally:
            ro.close()
    assert "read-only" in (err.value.hint or "") + err.value.message
    subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    again = SearchService(make_settings(library))
    try:
        assert again.catalog.counts()["done"] == 5 and again.catalog.integrity_ok()
        assert again.search(text="x", k=10).hits
    finally:
        again.close()
