"""A library folder that cannot be written (a read-only mount): searched, never changed."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from soundscout.config import Settings
from soundscout.errors import LibraryError
from soundscout.search.service import SearchService
from tests.conftest import make_settings


@pytest.fixture
def read_only_library(tmp_path: Path, sound_folder: Path) -> Iterator[Settings]:
    """An indexed library, then made read-only: a read-only bind mount as root, else
    permissions."""
    built = tmp_path / "built"
    service = SearchService(make_settings(built))
    service.index_folder(sound_folder, progress=False)
    service.close()
    if os.geteuid() != 0:
        for path in [built, *built.rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)
        yield make_settings(built)
        for path in [built, *built.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)
        return
    mount = tmp_path / "mounted"
    mount.mkdir()
    bind = subprocess.run(
        ["mount", "--bind", "-o", "ro", str(built), str(mount)], capture_output=True, text=True
    )
    if bind.returncode != 0:
        pytest.skip(f"cannot make a read-only mount here: {bind.stderr.strip()}")
    try:
        yield make_settings(mount)
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_read_only_library_is_searched_and_refuses_changes(
    read_only_library: Settings, sound_folder: Path
) -> None:
    library = read_only_library.library_path
    assert not os.access(library, os.W_OK) or os.statvfs(library).f_flag & os.ST_RDONLY
    service = SearchService(read_only_library)
    try:
        hits = service.search(text="kick", k=5).hits
        assert len(hits) == 5 and all(Path(h.path).is_file() for h in hits)
        like = service.search(sound_id=hits[0].id, k=3).hits
        assert len(like) == 3 and hits[0].id not in [h.id for h in like]
        assert service.stats()["sounds"]["done"] == 12
        with pytest.raises(LibraryError, match="read-only"):
            service.index_folder(sound_folder, progress=False)
        with pytest.raises(LibraryError, match="read-only"):
            service.rebuild()
    finally:
        service.close()
    names = sorted(p.name for p in library.iterdir())
    assert names == ["catalog.sqlite", "index", "indexing.lock", "write.lock"]
