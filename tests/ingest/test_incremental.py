"""Incremental re-indexing: add, modify, delete, move; failures; worker pool."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from soundscout.errors import LibraryError
from soundscout.search.service import SearchService
from tests.audiogen import tone, write_audio, write_corrupt


def _embedded_at(service: SearchService) -> dict[str, float]:
    return {
        row.path: row.embedded_at
        for row in service.catalog.rows_under("/").values()
        if row.status == "done"
    }


def test_first_index_catalogues_every_file(indexed: SearchService, sound_folder: Path) -> None:
    files = sorted(str(p) for p in sound_folder.rglob("*") if p.is_file())
    rows = indexed.catalog.rows_under(str(sound_folder))
    assert sorted(rows) == files
    assert {r.status for r in rows.values()} == {"done"}
    m4a = next(r for r in rows.values() if r.path.endswith(".m4a"))
    assert m4a.format == "m4a" and abs(m4a.duration - 1.0) < 0.05 and m4a.content_hash
    assert indexed.sync_index().count == len(files)


def test_rerun_without_changes_embeds_nothing(indexed: SearchService, sound_folder: Path) -> None:
    before = _embedded_at(indexed)
    report = indexed.index_folder(sound_folder, progress=False)
    assert report.processed == 0 and report.unchanged == len(before)
    assert _embedded_at(indexed) == before


def test_add_modify_delete_move(indexed: SearchService, sound_folder: Path) -> None:
    before = _embedded_at(indexed)
    added = write_audio(sound_folder / "new" / "blip.wav", tone(3000, 0.3), 22050)
    modified = sound_folder / "kicks" / "kick_00.wav"
    if not modified.exists():
        modified = next((sound_folder / "kicks").iterdir())
    write_audio(modified, tone(150, 0.7, kind="square"), 22050, fmt=modified.suffix[1:])
    os.utime(modified, ns=(1, 1))  # a distinct mtime even on coarse clocks
    deleted = next((sound_folder / "hats").iterdir())
    deleted.unlink()
    moved_from = next((sound_folder / "pads").iterdir())
    moved_to = sound_folder / "renamed" / ("moved_" + moved_from.name)
    moved_to.parent.mkdir()
    shutil.move(moved_from, moved_to)
    moved_id = indexed.catalog.find_by_path(str(moved_from)).id

    report = indexed.index_folder(sound_folder, progress=False)

    assert (report.new, report.changed, report.deleted, report.moved) == (1, 1, 1, 1)
    assert report.ok == 2 and report.failed == 0  # only the added and the modified file
    after = _embedded_at(indexed)
    assert str(added) in after and str(deleted) not in after and str(moved_from) not in after
    assert after[str(modified)] > before[str(modified)]
    row = indexed.catalog.find_by_path(str(moved_to))
    assert row.id == moved_id and row.embedded_at == before[str(moved_from)]
    unchanged = set(before) - {str(modified), str(deleted), str(moved_from)}
    assert all(after[p] == before[p] for p in unchanged)
    index = indexed.sync_index()
    assert index.count == len(after)
    hits = indexed.search(sound_id=moved_id, k=50).hits
    assert deleted.name not in {Path(h.path).name for h in hits}


def test_failed_files_are_recorded_and_not_retried_unless_changed(
    service: SearchService, sound_folder: Path
) -> None:
    bad = write_corrupt(sound_folder / "broken.wav", "truncated_wav")
    first = service.index_folder(sound_folder, progress=False)
    assert first.failed == 1 and first.failures[0][0] == str(bad)
    assert "WAV" in first.failures[0][1] or "corrupt" in first.failures[0][1]
    second = service.index_folder(sound_folder, progress=False)
    assert second.processed == 0 and second.skipped_failed == 1
    retry = service.settings.model_copy(deep=True)
    retry.ingest.retry_failed = True
    svc = SearchService(retry)
    try:
        third = svc.index_folder(sound_folder, progress=False)
        assert third.failed == 1 and third.ok == 0
    finally:
        svc.close()
    write_audio(bad, tone(440, 0.5), 22050, fmt="wav")  # fixed by the user
    fourth = service.index_folder(sound_folder, progress=False)
    assert fourth.ok == 1 and service.catalog.find_by_path(str(bad)).status == "done"


def test_worker_pool_gives_the_same_vectors_as_sequential(
    settings_factory, sound_folder: Path, tmp_path: Path
) -> None:
    vectors = []
    for workers, name in ((0, "seq"), (2, "pool")):
        settings = settings_factory(
            **{"ingest.workers": workers, "library.path": str(tmp_path / name)}
        )
        svc = SearchService(settings)
        try:
            report = svc.index_folder(sound_folder, progress=False)
            assert report.ok == report.scanned
            rows = svc.catalog.rows_under(str(sound_folder))
            vectors.append({p: svc.catalog.embedding(r.id) for p, r in rows.items()})
        finally:
            svc.close()
    assert vectors[0].keys() == vectors[1].keys()
    for path in vectors[0]:
        np.testing.assert_allclose(vectors[0][path], vectors[1][path], atol=1e-6)


def test_uppercase_extensions_and_symlink_loop(service: SearchService, tmp_path: Path) -> None:
    root = tmp_path / "odd"
    write_audio(root / "LOUD.WAV", tone(220, 0.5), 22050, fmt="wav")
    write_audio(root / "sub" / "Mixed.Flac", tone(330, 0.5), 22050, fmt="flac")
    (root / "sub" / "loop").symlink_to(root, target_is_directory=True)
    (root / "notes.txt").write_text("not audio")
    report = service.index_folder(root, progress=False)
    assert report.scanned == 2 and report.ok == 2


def test_a_name_that_is_not_utf8_is_skipped_and_the_rest_indexed(
    service: SearchService, tmp_path: Path
) -> None:
    folder = tmp_path / "names"
    write_audio(folder / "ok1.wav", tone(300, 0.3), 22050)
    write_audio(folder / "ok2.wav", tone(600, 0.3), 22050)
    service.index_folder(folder, progress=False)
    (folder / "ok1.wav").unlink()
    write_audio(folder / "ok3.wav", tone(900, 0.3), 22050)
    os.rename(folder / "ok2.wav", os.fsencode(folder) + b"/bad\xff.wav")  # Latin-1 byte in a name
    os.mkdir(os.fsencode(folder) + b"/dir\xfe")
    write_audio(tmp_path / "x.wav", tone(400, 0.3), 22050)
    os.rename(tmp_path / "x.wav", os.fsencode(folder) + b"/dir\xfe/inside.wav")
    report = service.index_folder(folder, progress=False)
    assert sorted(Path(p).name for p in service.catalog.rows_under(str(folder))) == ["ok3.wav"]
    assert len(report.bad_names) == 2 and all("\ufffd" in n for n in report.bad_names)
    assert report.new == 1 and report.deleted == 2  # ok1 deleted; ok2 now has a name to fix


def test_sounds_under_a_folder_that_cannot_be_read_are_kept(tmp_path: Path) -> None:
    folder, library = tmp_path / "pack", tmp_path / "lib"
    for name in ("a.wav", "sub/b.wav", "sub/c.wav"):
        write_audio(folder / name, tone(200 + len(name) * 50, 0.3), 22050)
    exe = shutil.which("soundscout") or str(Path(sys.executable).parent / "soundscout")
    index = [exe, "-L", str(library), "index", str(folder), "--encoder", "tiny", "--no-progress"]
    # root reads any folder; drop the capabilities that let it, so chmod 000 bites
    as_user = []
    if os.geteuid() == 0:
        caps = "-dac_override,-dac_read_search"
        as_user = ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}"]
    first = subprocess.run(index, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0 and "3 indexed" in first.stdout, first.stderr
    (folder / "sub").chmod(0)
    try:
        wide = {**os.environ, "COLUMNS": "400"}  # one line per message
        second = subprocess.run(
            as_user + index, capture_output=True, text=True, timeout=300, env=wide
        )
    finally:
        (folder / "sub").chmod(0o755)
    out = second.stdout.replace("\n", " ")
    assert second.returncode == 0 and "0 removed" in out, second.stdout + second.stderr
    assert f"could not read folder {folder / 'sub'}" in out
    assert "2 catalogued sounds under unreadable folders were kept" in out
    third = subprocess.run(index, capture_output=True, text=True, timeout=300)
    assert "0 indexed" in third.stdout and "3 unchanged" in third.stdout  # nothing redone


def test_one_writer_at_a_time(indexed: SearchService, sound_folder: Path) -> None:
    exe = shutil.which("soundscout") or str(Path(sys.executable).parent / "soundscout")
    library = str(indexed.library_dir)
    env = {**os.environ, "SOUNDSCOUT_ENCODER__NAME": "tiny"}
    with indexed._writing():  # as a running `soundscout index` holds it
        for args in (
            ["index", str(sound_folder)],
            ["rebuild"],
            ["forget", str(sound_folder), "--yes"],
        ):
            busy = subprocess.run(
                [exe, "-L", library, *args], capture_output=True, text=True, env=env, timeout=300
            )
            assert busy.returncode == 1, busy.stderr
            assert "Another soundscout process is changing the library" in busy.stderr
        search = subprocess.run(
            [exe, "-L", library, "search", "kick", "--json"], env=env, capture_output=True
        )
        assert search.returncode == 0  # readers are not blocked
    free = subprocess.run([exe, "-L", library, "rebuild"], env=env, capture_output=True, text=True)
    assert free.returncode == 0 and "vectors" in free.stdout


def test_a_touched_file_keeps_its_embedding(indexed: SearchService, sound_folder: Path) -> None:
    before = _embedded_at(indexed)
    touched = next((sound_folder / "kicks").iterdir())
    os.utime(touched, ns=(10**18, 10**18))  # new mtime, same bytes
    report = indexed.index_folder(sound_folder, progress=False)
    assert report.processed == 0 and report.changed == 0 and report.unchanged == len(before)
    assert _embedded_at(indexed) == before
    assert indexed.catalog.find_by_path(str(touched)).mtime_ns == 10**18
    again = indexed.index_folder(sound_folder, progress=False)  # the new mtime was recorded
    assert again.processed == 0 and again.unchanged == len(before)


def test_an_emptied_folder_removes_nothing(indexed: SearchService, sound_folder: Path) -> None:
    parked = sound_folder.parent / "parked"
    sound_folder.rename(parked)
    sound_folder.mkdir()  # what an unmounted drive's mount point looks like
    with pytest.raises(LibraryError, match=r"No audio files in .* holds 12 sounds"):
        indexed.index_folder(sound_folder, progress=False)
    assert indexed.catalog.counts()["done"] == 12
    sound_folder.rmdir()
    parked.rename(sound_folder)
    report = indexed.index_folder(sound_folder, progress=False)
    assert report.processed == 0 and report.unchanged == 12


def test_files_the_settings_no_longer_take_are_named(
    indexed: SearchService, sound_folder: Path, settings_factory
) -> None:
    narrow = SearchService(settings_factory(**{"ingest.extensions": [".wav"]}))
    try:
        report = narrow.index_folder(sound_folder, progress=False)
    finally:
        narrow.close()
    wavs = len(list(sound_folder.rglob("*.wav")))
    assert 0 < wavs < 12 and report.deleted == 12 - wavs and report.excluded == 12 - wavs


def test_a_library_folder_reached_through_a_link_is_refused(
    service: SearchService, tmp_path: Path
) -> None:
    """The same folder by another name (a link on the way) would catalogue every sound
    twice, and every result would show twice."""
    real = tmp_path / "sounds"
    write_audio(real / "pack" / "a.wav", tone(300, 0.3), 22050)
    write_audio(real / "b.wav", tone(600, 0.3), 22050)
    assert service.index_folder(real, progress=False).ok == 2
    (tmp_path / "same").symlink_to(real)
    (tmp_path / "pack_link").symlink_to(real / "pack")
    (tmp_path / "outer").mkdir()
    (tmp_path / "outer" / "all").symlink_to(tmp_path)
    for other, how in (
        (tmp_path / "same", "is the library's folder"),
        (tmp_path / "pack_link", "is inside the library's folder"),
        (tmp_path / "outer" / "all", "holds the library's folder"),
    ):
        with pytest.raises(LibraryError, match=how):
            service.index_folder(other, progress=False)
    assert len(service.catalog.rows_under(str(tmp_path))) == 2
    project = tmp_path / "project"  # a link inside a new folder: left out, not twice
    write_audio(project / "c.wav", tone(900, 0.3), 22050)
    (project / "shared").symlink_to(real)
    assert service.index_folder(project, progress=False).ok == 1
    assert len(service.catalog.rows_under(str(tmp_path))) == 3
    assert (
        service.index_folder(real / "pack", progress=False).failed == 0
    )  # as the library spells it
