"""The SQLite catalog: schema, revisions, outcomes, change tracking, filters."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from soundscout.catalog.catalog import Catalog, FileEntry, Outcome
from soundscout.errors import InvalidQueryError, LibraryError
from soundscout.search.query import MAX_FORMATS, Filters


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    cat = Catalog(tmp_path)
    yield cat
    cat.close()


def _scan(catalog: Catalog, *names: str) -> list[int]:
    catalog.apply_scan("/lib", [FileEntry(f"/lib/{n}", 10, 1) for n in names], [], [], [])
    return [catalog.find_by_path(f"/lib/{n}").id for n in names]


def test_schema_is_migrated_in_wal_mode(catalog: Catalog) -> None:
    conn = sqlite3.connect(catalog.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 11
    conn.close()
    assert catalog.integrity_ok() and catalog.revision == 0


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    Catalog(tmp_path).close()
    conn = sqlite3.connect(tmp_path / "catalog.sqlite")
    conn.execute("PRAGMA user_version=99")
    conn.close()
    with pytest.raises(LibraryError, match="newer than this Soundscout"):
        Catalog(tmp_path)


def test_outcomes_and_revisions(catalog: Catalog) -> None:
    a, b = _scan(catalog, "a.wav", "b.wav")
    assert catalog.counts() == {"pending": 2, "done": 0, "failed": 0, "total": 2}
    rev = catalog.commit_outcomes(
        [
            Outcome(a, "h1", 1.5, 44100, 2, "wav", vector=np.ones(4, np.float32)),
            Outcome(b, "h2", error="not an audio file"),
        ],
        "enc-1",
    )
    assert rev == catalog.revision == 2
    assert catalog.get(b).error == "not an audio file" and catalog.get(b).status == "failed"
    np.testing.assert_array_equal(catalog.embedding(a), np.ones(4))
    assert catalog.pending("enc-1") == []
    assert catalog.pending("enc-2") == [(a, "/lib/a.wav")]  # another encoder needs it again
    assert catalog.pending("enc-1", retry_failed=True) == [(b, "/lib/b.wav")]
    changed, removed = catalog.changes_since(1)
    assert sorted(changed) == [a, b] and len(removed) == 0
    catalog.delete([a])
    changed, removed = catalog.changes_since(2)
    assert list(removed) == [a] and catalog.embedding(a) is None


def test_failed_transaction_leaves_nothing(catalog: Catalog) -> None:
    (a,) = _scan(catalog, "a.wav")
    revision = catalog.revision
    with pytest.raises(LibraryError, match="no such table"), catalog.transaction() as conn:
        conn.execute("UPDATE sounds SET status = 'done' WHERE id = ?", (a,))
        conn.execute("INSERT INTO nowhere VALUES (1)")
    assert catalog.get(a).status == "pending" and catalog.revision == revision


def test_folder_filter_takes_wildcard_characters_literally(catalog: Catalog) -> None:
    ids = _scan(catalog, "100%_real/a.wav", "100xyreal/b.wav")
    catalog.commit_outcomes(
        [Outcome(i, format="wav", duration=1.0, vector=np.ones(2, np.float32)) for i in ids],
        "v",
    )
    assert list(catalog.filter_ids(Filters(folder="100%_real"))) == [ids[0]]
    assert list(catalog.filter_ids(Filters(folder="/lib/100xyreal/"))) == [ids[1]]


def test_folder_filter_is_a_prefix_under_any_root_ignoring_ascii_case(catalog: Catalog) -> None:
    ids = _scan(catalog, "Pads/a.wav", "pads/deep/b.wav", "pads2/c.wav", "x/pads/d.wav")
    catalog.apply_scan("/", [FileEntry("/pads/e.wav", 1, 1)], [], [], [])
    catalog.apply_scan("/other", [FileEntry("/other/PADS/f.wav", 1, 1)], [], [], [])
    ids += [catalog.find_by_path(p).id for p in ("/pads/e.wav", "/other/PADS/f.wav")]
    catalog.commit_outcomes(
        [Outcome(i, format="wav", duration=1.0, vector=np.ones(2, np.float32)) for i in ids],
        "v",
    )
    assert catalog.roots() == ["/", "/lib", "/other"]
    pads = {ids[0], ids[1], ids[4], ids[5]}
    assert set(catalog.filter_ids(Filters(folder="pads"))) == pads
    assert set(catalog.filter_ids(Filters(folder="/PADS/"))) == pads
    assert set(catalog.filter_ids(Filters(folder="/lib/pads"))) == {ids[0], ids[1]}
    assert set(catalog.filter_ids(Filters(folder="pads/Deep", min_duration=0.5))) == {ids[1]}
    assert set(catalog.filter_ids(Filters(folder="x/pads"))) == {ids[3]}
    for everything in ("/", "//", " / "):  # the filesystem root holds the whole library
        assert set(catalog.filter_ids(Filters(folder=everything))) == set(ids)


def test_format_filter_dedupes_and_is_bounded(catalog: Catalog) -> None:
    ids = _scan(catalog, "a.wav", "b.flac")
    catalog.commit_outcomes(
        [
            Outcome(i, format=f, duration=1.0, vector=np.ones(2, np.float32))
            for i, f in zip(ids, ("wav", "flac"), strict=True)
        ],
        "v",
    )
    many = Filters(formats=("WAV", ".wav", " wav ") * 100_000)
    assert many.formats == ("wav",)
    assert list(catalog.filter_ids(many)) == [ids[0]]
    allowed = tuple(f"f{i}" for i in range(MAX_FORMATS - 1)) + ("flac",)
    assert list(catalog.filter_ids(Filters(formats=allowed))) == [ids[1]]
    with pytest.raises(InvalidQueryError, match=f"At most {MAX_FORMATS} formats"):
        Filters(formats=(*allowed, "wav"))


def test_fingerprints_under_match_rows_under(catalog: Catalog) -> None:
    _scan(catalog, "a.wav", "sub/b.wav", "sub/ü 🎵.wav")
    catalog.apply_scan("/lib0", [FileEntry("/lib0/x.wav", 1, 1)], [], [], [])
    catalog.apply_scan("/li", [FileEntry("/li/y.wav", 1, 1)], [], [], [])
    rows = catalog.rows_under("/lib")
    prints = catalog.fingerprints_under("/lib/")
    assert sorted(prints) == sorted(rows) == ["/lib/a.wav", "/lib/sub/b.wav", "/lib/sub/ü 🎵.wav"]
    for path, row in rows.items():
        assert prints[path] == (row.id, row.size, row.mtime_ns, row.status, row.content_hash)
    assert catalog.get(rows["/lib/a.wav"].id).path == "/lib/a.wav"  # row factory restored
