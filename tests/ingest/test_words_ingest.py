"""The words index stays in step with the catalog: index, change, move, delete, forget, a
kill mid-run, a library indexed before words existed, and metadata that is hostile."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from soundscout.catalog.catalog import CATALOG_FILENAME
from soundscout.ingest.scan import plan_scan, scan_folder
from soundscout.metadata.words import FIELDS, WORDS_VERSION
from soundscout.search.lexical import parse_words
from soundscout.search.service import SearchService
from tests.audiogen import write_corrupt
from tests.conftest import make_settings
from tests.ingest_process import done_rows, start_index
from tests.taggen import (
    BAD_METADATA,
    bext_chunk,
    info_list,
    ixml_chunk,
    plain,
    wav,
    write_bad_metadata,
)


def _read(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def assert_in_step(library: Path) -> set[int]:
    """Every done sound has its words (FTS row, tags row, current words version), and no
    other sound has an FTS row; returns the done ids."""
    db = library / CATALOG_FILENAME
    done = {r[0] for r in _read(db, "SELECT id FROM sounds WHERE status = 'done'")}
    fts = [r[0] for r in _read(db, "SELECT rowid FROM sound_words")]
    assert len(fts) == len(set(fts))
    assert set(fts) == done, (sorted(set(fts) - done), sorted(done - set(fts)))
    tags = {r[0] for r in _read(db, "SELECT sound_id FROM sound_tags")}
    assert done <= tags
    known = {r[0] for r in _read(db, "SELECT id FROM sounds")}
    assert tags <= known  # none left behind by a deleted sound
    versions = _read(db, "SELECT DISTINCT words_version FROM sounds WHERE status = 'done'")
    assert versions in ([], [(WORDS_VERSION,)])
    # The FTS5 index agrees with its own content.
    _read(db, "SELECT 1 FROM sound_words WHERE sound_words MATCH 'zzzz' LIMIT 1")
    # The written words (for prefixes) are those of the current entries, each counted once
    # per sound: a forgotten or left-behind entry changes a count.
    written = sorted(_read(db, "SELECT term, doc FROM sound_word_forms_vocab"))
    assert written == _written_words(_read(db, f"SELECT {', '.join(FIELDS)} FROM sound_words"))
    return done


def _written_words(entries: list[tuple]) -> list[tuple[str, int]]:
    """(word, sounds holding it) of lexical entries, as FTS5 splits them without stemming."""
    conn = sqlite3.connect(":memory:")
    columns = ", ".join(FIELDS)
    conn.execute(
        f"CREATE VIRTUAL TABLE f USING fts5 ({columns}, "
        "tokenize = 'unicode61 remove_diacritics 2', detail = 'none')"
    )
    conn.executemany(f"INSERT INTO f ({columns}) VALUES ({', '.join('?' * len(FIELDS))})", entries)
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab (f, 'row')")
    return sorted(conn.execute("SELECT term, doc FROM v").fetchall())


def words_ids(service: SearchService, text: str) -> set[int]:
    return {i for i, _ in service.lexical.search(parse_words(text), 1000)}


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[SearchService, Path]]:
    root = tmp_path / "sounds"
    wav(root / "zebra_growl.wav", 1, front=[bext_chunk(b"stripyfur savanna")])
    wav(root / "Birds" / "robin_song.wav", 2, back=[info_list({b"IKEY": b"featherkey"})])
    plain(root / "Birds" / "crow_caw.wav", 3)
    plain(root / "engine_idle.flac", 4)
    plain(root / "ZZZQFoo_Odd Thing_JD_LIB.wav", 5)
    service = SearchService(make_settings(tmp_path / "library"))
    report = service.index_folder(root, progress=False)
    assert report.ok == 5
    yield service, root
    service.close()


def _embedded_at(service: SearchService) -> dict[int, float | None]:
    return {row.id: row.embedded_at for row in service.catalog.rows_under("/").values()}


def test_in_step_after_index(setup: tuple[SearchService, Path]) -> None:
    service, root = setup
    assert len(assert_in_step(service.library_dir)) == 5
    zebra = service.catalog.find_by_path(str(root / "zebra_growl.wav"))
    assert zebra is not None and words_ids(service, "stripyfur") == {zebra.id}
    robin = service.catalog.find_by_path(str(root / "Birds" / "robin_song.wav"))
    assert robin is not None and words_ids(service, "birds featherkey") == words_ids(
        service, "birds"
    ) | {robin.id}


def _scan_only(service: SearchService, root: Path) -> None:
    """What `index` records before it decodes anything (as a run killed right after it)."""
    scan = scan_folder(root, service.settings.ingest.extensions, True)
    known = service.catalog.fingerprints_under(str(root))
    plan = plan_scan(known, scan.entries, False, unreadable=scan.unreadable)
    service.catalog.apply_scan(
        str(root), plan.new, plan.changed, plan.moved + plan.touched, plan.deleted
    )


def test_changed_content_drops_old_words_until_reindexed(
    setup: tuple[SearchService, Path],
) -> None:
    service, root = setup
    path = root / "zebra_growl.wav"
    row = service.catalog.find_by_path(str(path))
    assert row is not None
    wav(path, 11, front=[bext_chunk(b"newgrowlword only")])
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))

    _scan_only(service, root)
    assert service.catalog.get(row.id).status == "pending"  # type: ignore[union-attr]
    assert words_ids(service, "stripyfur") == set()  # the old words are gone at once
    assert words_ids(service, "zebra") == set()
    assert words_ids(service, "newgrowlword") == set()  # the new ones not read yet
    assert_in_step(service.library_dir)

    report = service.index_folder(root, progress=False)
    assert report.ok == 1 and report.resumed == 1
    assert words_ids(service, "newgrowlword") == {row.id} == words_ids(service, "zebra")
    assert words_ids(service, "stripyfur") == set()
    assert service.catalog.tags(row.id)[0]["bext.description"] == "newgrowlword only"
    assert_in_step(service.library_dir)


def test_changed_in_one_run(setup: tuple[SearchService, Path]) -> None:
    service, root = setup
    path = root / "Birds" / "robin_song.wav"
    wav(path, 12, back=[info_list({b"IKEY": b"plumagekey"})])
    report = service.index_folder(root, progress=False)
    assert report.changed == 1 and report.ok == 1
    row = service.catalog.find_by_path(str(path))
    assert row is not None
    assert words_ids(service, "plumagekey") == {row.id}
    assert words_ids(service, "featherkey") == set()
    assert_in_step(service.library_dir)


def test_moved_file_found_by_its_new_name_without_reembedding(
    setup: tuple[SearchService, Path],
) -> None:
    service, root = setup
    before = _embedded_at(service)
    revision = service.catalog.revision
    old = root / "zebra_growl.wav"
    row = service.catalog.find_by_path(str(old))
    assert row is not None
    (root / "Cats").mkdir()
    old.rename(root / "Cats" / "lion_roar.wav")

    report = service.index_folder(root, progress=False)
    assert report.moved == 1 and report.ok == 0 and report.words_read == 0
    assert _embedded_at(service) == before
    assert service.catalog.revision > revision  # the path changed
    assert words_ids(service, "lion roar") == {row.id}
    assert words_ids(service, "cats") == {row.id}  # its new folder
    assert words_ids(service, "zebra") == set() and words_ids(service, "growl") == set()
    assert words_ids(service, "stripyfur") == {row.id}  # its tags came along
    hits = service.search(text="lion", match="words").hits
    assert [h.id for h in hits] == [row.id] and hits[0].path.endswith("Cats/lion_roar.wav")
    assert_in_step(service.library_dir)


def test_renamed_to_a_ucs_name_gets_its_category_and_loses_derived_warnings(
    setup: tuple[SearchService, Path],
) -> None:
    service, root = setup
    before = _embedded_at(service)
    odd = root / "ZZZQFoo_Odd Thing_JD_LIB.wav"
    odd_row = service.catalog.find_by_path(str(odd))
    crow_row = service.catalog.find_by_path(str(root / "Birds" / "crow_caw.wav"))
    assert odd_row is not None and crow_row is not None
    assert "looks like UCS" in service.catalog.tags(odd_row.id)[1][0]
    odd.rename(root / "odd_thing.wav")
    (root / "Birds" / "crow_caw.wav").rename(root / "Birds" / "DOORWood_Crow Door_JD_LIB.wav")

    report = service.index_folder(root, progress=False)
    assert report.moved == 2 and report.ok == 0
    assert _embedded_at(service) == before
    assert service.catalog.tags(odd_row.id)[1] == []  # the name no longer looks like UCS
    crow = service.catalog.get(crow_row.id)
    assert crow is not None and (crow.ucs_category, crow.ucs_subcategory) == ("DOORS", "WOOD")
    assert words_ids(service, "closet") == {crow.id}
    assert service.catalog.category_counts() == [("DOORS", "WOOD", 1)]
    assert_in_step(service.library_dir)


def test_read_warnings_survive_a_move(tmp_path: Path) -> None:
    root = tmp_path / "sounds"
    wav(root / "ZZZQFoo_Bad Xml_JD_LIB.wav", 1, front=[ixml_chunk(raw=b"<BWFXML><NOTE>x")])
    service = SearchService(make_settings(tmp_path / "library"))
    try:
        service.index_folder(root, progress=False)
        row = service.catalog.find_by_path(str(root / "ZZZQFoo_Bad Xml_JD_LIB.wav"))
        assert row is not None
        warnings = service.catalog.tags(row.id)[1]
        assert len(warnings) == 2 and warnings[0].startswith("iXML skipped")
        (root / "ZZZQFoo_Bad Xml_JD_LIB.wav").rename(root / "bad_xml.wav")
        service.index_folder(root, progress=False)
        assert service.catalog.tags(row.id)[1] == warnings[:1]  # read from the file: kept
    finally:
        service.close()


def test_touched_file_keeps_its_words(setup: tuple[SearchService, Path]) -> None:
    service, root = setup
    path = root / "engine_idle.flac"
    row = service.catalog.find_by_path(str(path))
    assert row is not None
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 5 * 10**9))
    report = service.index_folder(root, progress=False)
    assert report.ok == 0
    assert words_ids(service, "engine idle") == {row.id}
    assert_in_step(service.library_dir)


def test_deleted_and_forgotten_sounds_leave_the_words_index(
    setup: tuple[SearchService, Path],
) -> None:
    service, root = setup
    (root / "zebra_growl.wav").unlink()
    report = service.index_folder(root, progress=False)
    assert report.deleted == 1
    assert words_ids(service, "zebra") == set() and words_ids(service, "stripyfur") == set()
    assert len(assert_in_step(service.library_dir)) == 4

    assert service.forget_folder(root / "Birds") == 2
    assert words_ids(service, "robin") == set() and words_ids(service, "birds") == set()
    assert words_ids(service, "featherkey") == set()
    assert len(assert_in_step(service.library_dir)) == 2
    left = _read(service.library_dir / CATALOG_FILENAME, "SELECT COUNT(*) FROM sound_tags")
    assert left == [(2,)]


def test_a_file_that_turns_bad_leaves_the_words_index(setup: tuple[SearchService, Path]) -> None:
    service, root = setup
    path = root / "engine_idle.flac"
    row = service.catalog.find_by_path(str(path))
    assert row is not None
    write_corrupt(path, "random_bytes")
    report = service.index_folder(root, progress=False)
    assert report.failed == 1
    assert service.catalog.get(row.id).status == "failed"  # type: ignore[union-attr]
    assert words_ids(service, "engine") == set()
    assert service.search(text="engine idle", match="words").hits == []
    assert_in_step(service.library_dir)


def test_a_reembed_that_fails_leaves_the_words_index(setup: tuple[SearchService, Path]) -> None:
    """An unchanged-looking file (same size and mtime) embedded again for another encoder
    version, whose bytes went bad meanwhile: the failure takes its words out too."""
    service, root = setup
    path = root / "zebra_growl.wav"
    row = service.catalog.find_by_path(str(path))
    assert row is not None and words_ids(service, "zebra") == {row.id}
    with service.catalog.transaction() as conn:
        conn.execute("UPDATE sounds SET encoder_version = 'tiny-older' WHERE id = ?", (row.id,))
    st = path.stat()
    path.write_bytes(b"\x00" * st.st_size)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    report = service.index_folder(root, progress=False)
    assert report.failed == 1 and report.reembedded == 1
    assert service.catalog.get(row.id).status == "failed"  # type: ignore[union-attr]
    assert words_ids(service, "zebra") == set() and words_ids(service, "stripyfur") == set()
    assert_in_step(service.library_dir)


def test_a_file_that_turns_bad_does_not_show_its_old_tags(
    setup: tuple[SearchService, Path],
) -> None:
    service, root = setup
    path = root / "zebra_growl.wav"
    row = service.catalog.find_by_path(str(path))
    assert row is not None
    assert service.catalog.tags(row.id)[0]["bext.description"] == "stripyfur savanna"
    write_corrupt(path, "random_bytes")
    report = service.index_folder(root, progress=False)
    assert report.failed == 1
    tags, _ = service.catalog.tags(row.id)
    assert "stripyfur" not in " ".join(tags.values())


def test_failed_files_never_get_words(tmp_path: Path) -> None:
    root = tmp_path / "sounds"
    write_corrupt(root / "broken_thing.wav", "truncated_wav")
    write_corrupt(root / "noise_thing.mp3", "random_bytes")
    plain(root / "good_thing.wav", 1)
    service = SearchService(make_settings(tmp_path / "library"))
    try:
        report = service.index_folder(root, progress=False)
        assert report.failed == 2 and report.ok == 1
        good = service.catalog.find_by_path(str(root / "good_thing.wav"))
        assert good is not None and words_ids(service, "thing") == {good.id}
        assert len(assert_in_step(service.library_dir)) == 1
    finally:
        service.close()


# --- a kill mid-run --------------------------------------------------------------------------

N_KILL_FILES = 120


@pytest.mark.slow
def test_sigkill_mid_ingest_keeps_words_in_step(tmp_path: Path) -> None:
    root, library = tmp_path / "sounds", tmp_path / "library"
    for i in range(N_KILL_FILES):
        word = f"killword{chr(97 + i % 26)}{chr(97 + i // 26)}"
        wav(root / f"d{i % 4}" / f"s{i:03d}.wav", i, front=[bext_chunk(word.encode())], seconds=3.0)
    db = library / CATALOG_FILENAME
    finished: dict[int, tuple[float, bytes]] = {}
    for target in (12, 40):  # two kills, the second run resuming the first
        proc = start_index(library, root, "--workers", "0")
        deadline = time.monotonic() + 120
        try:
            while len(done_rows(db)) < target:
                assert proc.poll() is None, "ingest ended before it could be killed"
                assert time.monotonic() < deadline
                time.sleep(0.005)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        now = done_rows(db)
        assert len(now) < N_KILL_FILES, "the kill must land mid-run"
        assert all(now[i] == row for i, row in finished.items())
        finished = now
        assert assert_in_step(library) == set(now)
        pending = _read(db, "SELECT COUNT(*) FROM sounds WHERE status = 'pending'")[0][0]
        assert pending == N_KILL_FILES - len(now)

    service = SearchService(make_settings(library))
    try:
        report = service.index_folder(root, progress=False)
        assert report.ok == N_KILL_FILES - len(finished) and report.words_read == 0
        assert len(assert_in_step(library)) == N_KILL_FILES
        for i in (0, 37, N_KILL_FILES - 1):
            word = f"killword{chr(97 + i % 26)}{chr(97 + i // 26)}"
            row = service.catalog.find_by_path(str(root / f"d{i % 4}" / f"s{i:03d}.wav"))
            assert row is not None and words_ids(service, word) == {row.id}
    finally:
        service.close()


# --- a library indexed before words were read ------------------------------------------------


def _old_library(tmp_path: Path) -> tuple[Path, Path, int]:
    root = tmp_path / "sounds"
    wav(root / "clip_one.wav", 1, front=[bext_chunk(b"oldlibword description")])
    tagged_ucs = [ixml_chunk({"CATID": "AMBForst"})]
    wav(root / "Forest" / "clip_two.wav", 2, front=tagged_ucs)
    plain(root / "DOORWood_Slam_JD_LIB.wav", 3)
    plain(root / "clip_three.flac", 4)
    write_corrupt(root / "broken.wav", "truncated_wav")
    return root, tmp_path / "library", 4


def _check_backfill(service: SearchService, root: Path, n: int) -> None:
    before = _embedded_at(service)
    revision = service.catalog.revision
    assert words_ids(service, "oldlibword") == set()
    assert service.catalog.words_pending() and len(service.catalog.words_pending()) == n

    report = service.index_folder(root, progress=False)
    assert report.words_read == n
    assert report.ok == 0 and report.failed == 0 and report.unchanged == n
    assert _embedded_at(service) == before  # nothing embedded again
    assert service.catalog.revision == revision  # words do not touch the vectors
    assert service.catalog.words_pending() == []
    one = service.catalog.find_by_path(str(root / "clip_one.wav"))
    assert one is not None and words_ids(service, "oldlibword") == {one.id}
    assert service.search(text="oldlibword", match="words").hits[0].id == one.id
    assert service.catalog.category_counts() == [("AMBIENCE", "FOREST", 1), ("DOORS", "WOOD", 1)]
    assert len(assert_in_step(service.library_dir)) == n

    again = service.index_folder(root, progress=False)
    assert again.words_read == 0 and again.ok == 0


def _wipe_words(service: SearchService) -> None:
    """Empty the words tables and clear the version, as if no version had read them."""
    with service.catalog.transaction() as conn:
        conn.execute("DELETE FROM sound_words")
        conn.execute("INSERT INTO sound_word_forms (sound_word_forms) VALUES ('delete-all')")
        conn.execute("DELETE FROM sound_tags")
        conn.execute(
            "UPDATE sounds SET words_version = NULL, ucs_catid = NULL, ucs_category = NULL, "
            "ucs_subcategory = NULL"
        )


def test_backfill_after_words_were_wiped(tmp_path: Path) -> None:
    """The words tables emptied and the version cleared, as if read by no version yet."""
    root, library, n = _old_library(tmp_path)
    service = SearchService(make_settings(library))
    try:
        service.index_folder(root, progress=False)
        _wipe_words(service)
        _check_backfill(service, root, n)
    finally:
        service.close()


def test_words_read_again_when_the_rules_change(tmp_path: Path) -> None:
    """Sounds whose words an older WORDS_VERSION wrote are read again, replacing (not
    adding to) their lexical rows."""
    root, library, n = _old_library(tmp_path)
    service = SearchService(make_settings(library))
    try:
        service.index_folder(root, progress=False)
        before = _embedded_at(service)
        with service.catalog.transaction() as conn:
            conn.execute("UPDATE sounds SET words_version = ?", (WORDS_VERSION - 1,))
        report = service.index_folder(root, progress=False)
        assert report.words_read == n and report.ok == 0
        assert _embedded_at(service) == before
        assert len(assert_in_step(library)) == n
        assert len(words_ids(service, "oldlibword")) == 1
    finally:
        service.close()


def test_backfill_of_a_file_moved_before_its_words_were_read(tmp_path: Path) -> None:
    root, library, n = _old_library(tmp_path)
    service = SearchService(make_settings(library))
    try:
        service.index_folder(root, progress=False)
        _wipe_words(service)
        before = _embedded_at(service)
        one = service.catalog.find_by_path(str(root / "clip_one.wav"))
        assert one is not None
        (root / "clip_one.wav").rename(root / "Forest" / "renamed_owl.wav")
        report = service.index_folder(root, progress=False)
        assert report.moved == 1 and report.ok == 0 and report.words_read == n
        assert _embedded_at(service) == before
        assert words_ids(service, "owl") == {one.id} == words_ids(service, "oldlibword")
        assert words_ids(service, "one") == set()  # its old name
        assert len(assert_in_step(library)) == n
    finally:
        service.close()


def test_backfill_of_a_schema_3_library(tmp_path: Path) -> None:
    """A real catalog of schema 3 (migrations 0001-0003 only, rows copied from an indexed
    library): opening it migrates it, the next `index` reads words without embedding."""
    root, library, n = _old_library(tmp_path)
    service = SearchService(make_settings(library))
    service.index_folder(root, progress=False)
    service.close()
    new_db = library / CATALOG_FILENAME
    old_db = tmp_path / "v3.sqlite"
    migrations = Path(__file__).parents[2] / "src/soundscout/catalog/migrations"
    conn = sqlite3.connect(old_db)
    for script in sorted(migrations.glob("000[123]_*.sql")):
        conn.executescript(script.read_text())
    conn.execute("PRAGMA user_version = 3")
    columns = [r[1] for r in conn.execute("PRAGMA table_info(sounds)")]
    assert "words_version" not in columns
    conn.execute("ATTACH DATABASE ? AS new", (str(new_db),))
    conn.execute("DELETE FROM meta")
    for table, cols in (("meta", "*"), ("sounds", ", ".join(columns)), ("embeddings", "*")):
        target = "" if cols == "*" else f"({cols})"
        conn.execute(f"INSERT INTO {table} {target} SELECT {cols} FROM new.{table}")
    conn.commit()
    conn.execute("DETACH DATABASE new")
    conn.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{new_db}{suffix}").unlink(missing_ok=True)
    shutil.move(old_db, new_db)

    service = SearchService(make_settings(library))
    try:
        version = service.catalog.query("PRAGMA user_version")[0][0]
        assert version == 11
        _check_backfill(service, root, n)
    finally:
        service.close()


def test_written_words_of_a_schema_10_library(tmp_path: Path) -> None:
    """A library indexed before the written words were kept (schema 10): opening it fills
    them from the lexical index, and a prefix past a stem finds its word at once."""
    root, library, n = _old_library(tmp_path)
    service = SearchService(make_settings(library))
    service.index_folder(root, progress=False)
    one = service.catalog.find_by_path(str(root / "clip_one.wav"))
    service.close()
    conn = sqlite3.connect(library / CATALOG_FILENAME)
    conn.execute("DROP TABLE sound_word_forms_vocab")
    conn.execute("DROP TABLE sound_word_forms")
    conn.execute("PRAGMA user_version = 10")
    conn.commit()
    conn.close()

    service = SearchService(make_settings(library))
    try:
        assert service.catalog.query("PRAGMA user_version")[0][0] == 11
        assert len(assert_in_step(library)) == n
        found = service.search(text="descripti*", match="words")  # "description": "descript"
        assert one is not None and [h.id for h in found.hits] == [one.id]
    finally:
        service.close()


# --- bad metadata never loses the audio ------------------------------------------------------


def test_bad_metadata_never_loses_audio(tmp_path: Path) -> None:
    root = tmp_path / "sounds"
    files = write_bad_metadata(root)
    assert files["huge_bext.wav"].stat().st_size > 10_000_000
    service = SearchService(make_settings(tmp_path / "library"))
    try:
        report = service.index_folder(root, progress=False)
        assert report.ok == len(files) and report.failed == 0
        sound = service.search(text="anything at all", match="sound", k=100)
        assert len(sound.hits) == len(files)  # every one is in the vector index
        for name, (_, warning, word) in BAD_METADATA.items():
            row = service.catalog.find_by_path(str(files[name]))
            assert row is not None and row.status == "done" and row.duration
            tags, warnings = service.catalog.tags(row.id)
            if warning is None:
                assert warnings == []
            else:
                assert len(warnings) == 1 and warnings[0].startswith(warning), warnings
            assert words_ids(service, word) == {row.id}, name
            assert all("\x00" not in v and "\x07" not in v for v in tags.values())
        latin = service.catalog.find_by_path(str(files["latin1.wav"]))
        assert latin is not None
        assert service.catalog.tags(latin.id)[0]["info.INAM"] == "Crème brûlée"
        controls = service.catalog.find_by_path(str(files["controls.wav"]))
        assert controls is not None
        assert service.catalog.tags(controls.id)[0]["info.ICMT"] == "bellring next line tail"
        assert len(assert_in_step(service.library_dir)) == len(files)
    finally:
        service.close()


def test_bad_metadata_with_decode_workers(tmp_path: Path) -> None:
    """The same files through worker processes: tags and warnings cross the process line."""
    root = tmp_path / "sounds"
    files = write_bad_metadata(root)
    service = SearchService(make_settings(tmp_path / "library", **{"ingest.workers": 2}))
    try:
        report = service.index_folder(root, progress=False)
        assert report.ok == len(files)
        bomb = service.catalog.find_by_path(str(files["bomb.wav"]))
        assert bomb is not None
        assert service.catalog.tags(bomb.id)[1][0].startswith("iXML skipped")
        assert words_ids(service, "quillsnap") == {bomb.id}
        assert len(assert_in_step(service.library_dir)) == len(files)
    finally:
        service.close()


def test_edited_tags_keep_the_embedding(setup: tuple[SearchService, Path]) -> None:
    """A file whose tags were edited (same audio, other bytes) gets its new words and keeps
    its vector; a file whose audio changed is embedded again."""
    service, root = setup
    zebra = root / "zebra_growl.wav"
    robin = root / "Birds" / "robin_song.wav"
    before = _embedded_at(service)
    wav(zebra, 1, front=[bext_chunk(b"retaggedword savanna, longer description now")])
    wav(robin, 22, back=[info_list({b"IKEY": b"featherkey"})])  # other audio, same tags
    report = service.index_folder(root, progress=False)
    assert report.changed == 2 and report.ok == 2 and report.kept_vectors == 1
    zebra_row = service.catalog.find_by_path(str(zebra))
    robin_row = service.catalog.find_by_path(str(robin))
    assert zebra_row is not None and robin_row is not None
    assert zebra_row.embedded_at == before[zebra_row.id]  # not embedded again
    assert robin_row.embedded_at != before[robin_row.id]
    assert words_ids(service, "retaggedword") == {zebra_row.id}
    assert words_ids(service, "stripyfur") == set()
    hits = service.search(sound_id=zebra_row.id, k=5).hits  # still in the vector index
    assert hits and zebra_row.id not in [h.id for h in hits]
    assert service.search(text="retaggedword", match="both", k=1).hits[0].id == zebra_row.id
    assert_in_step(service.library_dir)
