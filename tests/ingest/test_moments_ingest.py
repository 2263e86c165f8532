"""Segments of long sounds kept in step with the catalog: add, change, delete, kill,
rebuild, export, libraries from before, streamed and cut files."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import soundscout.ingest.stages as stages
from soundscout.catalog import segments as segdb
from soundscout.catalog.catalog import CATALOG_FILENAME
from soundscout.index.faiss_index import VectorIndex
from soundscout.moments.segments import Segments
from soundscout.search.query import SearchHit
from soundscout.search.service import SearchService
from tests.audiogen import tone, write_audio, write_corrupt
from tests.conftest import make_settings
from tests.ingest_process import kill_index_after, wait_gone
from tests.moments import SR, iou, span, write_burst, write_recording
from tests.taggen import bext_chunk

LONG_AT = 16.0


# --- helpers ----------------------------------------------------------------------------------


def _sets(service: SearchService) -> dict[int, tuple[int, int]]:
    """sound id → (first segment id, count), from the catalog."""
    with service.catalog.reading() as conn:
        rows = conn.execute("SELECT sound_id, first_id, count FROM segment_sets").fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def _removed(service: SearchService) -> list[tuple[int, int, int]]:
    with service.catalog.reading() as conn:
        return conn.execute("SELECT first_id, count, rev FROM segments_removed").fetchall()


def _segments(service: SearchService, sound_id: int) -> Segments:
    with service.catalog.reading() as conn:
        found = segdb.read_segments(conn, sound_id, service.encoder.dim)
    assert found is not None, f"sound {sound_id} has no segments"
    return found


def _id(service: SearchService, path: Path) -> int:
    row = service.catalog.find_by_path(str(path))
    assert row is not None, path
    return row.id


def _ids(first: int, count: int) -> np.ndarray:
    return np.arange(first, first + count, dtype=np.int64)


def _held(index: VectorIndex, ids: np.ndarray) -> set[int]:
    """Which of ``ids`` the segment index holds."""
    if index.count == 0 or len(ids) == 0:
        return set()
    query = np.ones((1, index.dim), np.float32) / np.sqrt(index.dim)
    _, found = index.search(query, len(ids), allowed_ids=ids)
    return {int(i) for i in found[0] if i >= 0}


def _assert_in_step(service: SearchService) -> int:
    """Every segment set belongs to a done sound, the segment index holds exactly their
    ids, and each long done sound has one; returns how many segments there are."""
    sets = _sets(service)
    with service.catalog.reading() as conn:
        status = dict(conn.execute("SELECT id, status FROM sounds").fetchall())
        long_done = {
            r[0]
            for r in conn.execute(
                "SELECT id FROM sounds WHERE status = 'done' AND duration > ?",
                (service.settings.moments.min_seconds,),
            )
        }
    assert {status.get(i) for i in sets} <= {"done"}, "segments of a sound that is not done"
    assert set(sets) == long_done
    total = sum(count for _, count in sets.values())
    index = service.segments.sync()
    assert index.count == total
    every = np.concatenate([_ids(*r) for r in sets.values()]) if sets else np.zeros(0, np.int64)
    assert _held(index, every) == set(every.tolist())
    return total


def _moment(hit: SearchHit) -> tuple[float, float]:
    assert hit.moments, f"{hit.path} has no moments"
    return hit.moments[0].start, hit.moments[0].end


def _hit(service: SearchService, query: Path, path: Path, **kw: object) -> SearchHit:
    hits = service.search(audio_path=query, k=50, moments=True, **kw).hits  # type: ignore[arg-type]
    found = [h for h in hits if h.path == str(path)]
    assert len(found) == 1
    return found[0]


@dataclass
class Small:
    """A small library: a 24 s recording (burst at LONG_AT), a 9.5 s and a 4 s sound."""

    root: Path
    sounds: Path
    long: Path
    nine: Path
    short: Path
    query: Path

    def service(self, **overrides: object) -> SearchService:
        return SearchService(make_settings(self.root / "library", **overrides))


@pytest.fixture
def small(tmp_path: Path) -> Small:
    sounds = tmp_path / "sounds"
    return Small(
        tmp_path,
        sounds,
        write_recording(sounds / "long" / "field.wav", 24.0, (LONG_AT,), seed=4),
        write_recording(sounds / "short" / "nine.wav", 9.5, seed=5),
        write_recording(sounds / "short" / "four.wav", 4.0, seed=6),
        write_burst(tmp_path / "burst.wav"),
    )


@pytest.fixture
def indexed(small: Small) -> Iterator[SearchService]:
    service = small.service()
    service.index_folder(small.sounds, progress=False)
    yield service
    service.close()


def _rewrite(path: Path, seconds: float, bursts_at: tuple[float, ...], seed: int) -> None:
    before = path.stat().st_mtime_ns
    write_recording(path, seconds, bursts_at, seed)
    os.utime(path, ns=(before + 2_000_000_000, before + 2_000_000_000))


# --- add --------------------------------------------------------------------------------------


def test_long_sounds_get_segments_and_short_ones_none(small: Small, indexed) -> None:
    service = indexed
    long_id = _id(service, small.long)
    assert set(_sets(service)) == {long_id}  # 9.5 s and 4 s: under moments.min_seconds
    segments = _segments(service, long_id)
    n = int(24.0 * SR)
    expected = np.asarray(service.encoder.window_times(n), np.float32)
    np.testing.assert_allclose(segments.times, expected, atol=1e-4)
    assert segments.times[0, 0] == 0.0 and segments.times[-1, 1] == pytest.approx(24.0)
    np.testing.assert_allclose(np.linalg.norm(segments.vectors, axis=1), 1.0, atol=2e-3)
    assert _assert_in_step(service) == len(expected)
    assert service.stats()["moments"] == {
        "sounds": 1,
        "segments": len(expected),
        "cut": {"count": 0, "max_file_seconds": 21600.0, "sounds": []},
    }
    assert iou(_moment(_hit(service, small.query, small.long)), span(LONG_AT)) >= 0.5
    assert _hit(service, small.query, small.short).moments == ()


def test_min_seconds_decides_which_sounds_get_segments(small: Small) -> None:
    service = small.service(**{"moments.min_seconds": 5})
    try:
        service.index_folder(small.sounds, progress=False)
        with_segments = set(_sets(service))
        assert with_segments == {_id(service, small.long), _id(service, small.nine)}
        _assert_in_step(service)
    finally:
        service.close()


# --- change -----------------------------------------------------------------------------------


def test_a_rewritten_recording_gets_new_segments_and_drops_the_old(small: Small, indexed) -> None:
    reader = small.service()  # a second service, like a server, caught up incrementally
    try:
        long_id = _id(indexed, small.long)
        assert iou(_moment(_hit(reader, small.query, small.long)), span(LONG_AT)) >= 0.5
        old_first, old_count = _sets(indexed)[long_id]
        revision = indexed.catalog.revision

        _rewrite(small.long, 30.0, (5.0,), seed=7)  # longer, the burst elsewhere
        report = indexed.index_folder(small.sounds, progress=False)
        assert report.changed == 1 and report.ok == 1

        assert _id(indexed, small.long) == long_id
        first, count = _sets(indexed)[long_id]
        assert first >= old_first + old_count  # ids are never reused
        assert count == len(indexed.encoder.window_times(int(30.0 * SR)))
        assert [(a, n) for a, n, rev in _removed(indexed) if rev > revision] == [
            (old_first, old_count)
        ]
        old = _ids(old_first, old_count)
        for service in (indexed, reader):
            assert _held(service.segments.sync(), old) == set()
            assert _assert_in_step(service) == count
        hit = _hit(reader, small.query, small.long)
        assert iou(_moment(hit), span(5.0)) >= 0.5
        assert all(iou((m.start, m.end), span(LONG_AT)) == 0 for m in hit.moments)
    finally:
        reader.close()


@pytest.mark.parametrize("stream_seconds", [600, 20], ids=["decoded whole", "streamed"])
def test_new_tags_keep_the_segments(small: Small, stream_seconds: int) -> None:
    service = small.service(**{"ingest.stream_seconds": stream_seconds})
    try:
        service.index_folder(small.sounds, progress=False)
        long_id = _id(service, small.long)
        before = _sets(service)[long_id]
        raw = small.long.read_bytes()  # the same audio, with a BWF description added
        raw = raw[:12] + bext_chunk(b"harbour foghorn") + raw[12:]
        small.long.write_bytes(raw[:4] + len(raw[8:]).to_bytes(4, "little") + raw[8:])
        report = service.index_folder(small.sounds, progress=False)
        assert report.changed == 1
        assert report.kept_vectors == 1  # the audio did not change: not embedded again
        assert _sets(service)[long_id] == before
        assert _assert_in_step(service) == before[1]
    finally:
        service.close()


def test_a_recording_that_turns_bad_drops_its_segments(small: Small, indexed) -> None:
    long_id = _id(indexed, small.long)
    first, count = _sets(indexed)[long_id]
    write_corrupt(small.long, "random_bytes")
    report = indexed.index_folder(small.sounds, progress=False)
    assert report.failed == 1
    assert long_id not in _sets(indexed)
    assert (first, count) in [(a, n) for a, n, _ in _removed(indexed)]
    assert _held(indexed.segments.sync(), _ids(first, count)) == set()
    assert _assert_in_step(indexed) == 0


# --- delete -----------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["file deleted", "folder forgotten"])
def test_a_removed_recording_leaves_no_segments(small: Small, indexed, how: str) -> None:
    long_id = _id(indexed, small.long)
    first, count = _sets(indexed)[long_id]
    if how == "file deleted":
        small.long.unlink()
        assert indexed.index_folder(small.sounds, progress=False).deleted == 1
    else:
        assert indexed.forget_folder(small.sounds / "long") == 1
    assert _sets(indexed) == {}
    assert [(a, n) for a, n, _ in _removed(indexed)] == [(first, count)]
    assert _held(indexed.segments.sync(), _ids(first, count)) == set()
    assert _assert_in_step(indexed) == 0
    assert indexed.stats()["moments"]["segments"] == 0
    fresh = small.service()  # the saved segment index agrees
    try:
        assert fresh.segments.sync().count == 0
    finally:
        fresh.close()


# --- rebuild and export -----------------------------------------------------------------------


def _summary(hits: list[SearchHit]) -> list[tuple[int, float, tuple]]:
    return [(h.id, round(h.score, 4), tuple((m.start, m.end) for m in h.moments)) for h in hits]


def test_rebuild_rebuilds_both_indexes(small: Small, indexed) -> None:
    before = _summary(indexed.search(audio_path=small.query, k=10, moments=True).hits)
    total = sum(n for _, n in _sets(indexed).values())
    segment_dir = indexed.segments.keeper.index_dir
    shutil.rmtree(segment_dir)  # gone: only a rebuild writes it again now
    sound_saved = VectorIndex.saved_manifest(indexed.index_dir)
    assert sound_saved is not None
    indexed.rebuild()
    for folder, count in ((segment_dir, total), (indexed.index_dir, 3)):
        manifest = VectorIndex.saved_manifest(folder)
        assert manifest is not None, folder
        assert manifest.count == count
        assert manifest.catalog_revision == indexed.catalog.revision
    rebuilt = VectorIndex.saved_manifest(indexed.index_dir)
    assert rebuilt is not None and rebuilt.created_at > sound_saved.created_at
    fresh = small.service()
    try:
        after = _summary(fresh.search(audio_path=small.query, k=10, moments=True).hits)
    finally:
        fresh.close()
    assert after == before and before[0][2]  # the same hits, with their moments


def test_export_writes_the_segments(small: Small, indexed, tmp_path: Path) -> None:
    out = tmp_path / "export"
    info = indexed.export(out)
    vectors = np.load(out / "segments.npy")
    table = json.loads((out / "segments.json").read_text())
    paths = json.loads((out / "paths.json").read_text())
    sets = _sets(indexed)
    total = sum(n for _, n in sets.values())
    assert info["segments"] == total == len(table) == len(vectors)
    assert vectors.shape == (total, indexed.encoder.dim)
    long_id = _id(indexed, small.long)
    stored = _segments(indexed, long_id)
    rows = [r for r in table if paths[r[0]] == str(small.long)]
    assert len(rows) == len(stored) == total
    for path_index, start, end in table:
        assert 0 <= path_index < len(paths)
        row = indexed.catalog.find_by_path(paths[path_index])
        assert row is not None and row.duration is not None
        assert 0.0 <= start < end <= row.duration + 1e-3
    np.testing.assert_allclose([r[1:] for r in rows], stored.times, atol=1e-3)
    np.testing.assert_allclose(vectors, stored.vectors, atol=1e-6)


# --- a library from before moments ------------------------------------------------------------


def test_a_library_from_before_gets_segments_on_the_next_index(small: Small, indexed) -> None:
    long_id, short_id = _id(indexed, small.long), _id(indexed, small.short)
    short_embedded = indexed.catalog.get(short_id).embedded_at
    segment_dir = indexed.segments.keeper.index_dir
    indexed.close()
    with sqlite3.connect(small.root / "library" / CATALOG_FILENAME) as conn:  # as before 0009
        conn.execute("DELETE FROM segment_sets")
    shutil.rmtree(segment_dir)

    service = small.service()
    try:
        assert _sets(service) == {}
        report = service.index_folder(small.sounds, progress=False)
        assert report.reembedded == 1 and report.ok == 1
        assert set(_sets(service)) == {long_id}
        assert service.catalog.get(short_id).embedded_at == short_embedded
        _assert_in_step(service)
        assert iou(_moment(_hit(service, small.query, small.long)), span(LONG_AT)) >= 0.5
        again = service.index_folder(small.sounds, progress=False)
        assert again.reembedded == 0 and again.ok == 0
    finally:
        service.close()


# --- kill -9 mid-run --------------------------------------------------------------------------

N_KILL = 24


@pytest.mark.slow
def test_kill_9_leaves_no_orphan_segments_and_resumes(tmp_path: Path) -> None:
    root, library = tmp_path / "sounds", tmp_path / "library"
    for i in range(N_KILL):
        seconds = 12.0 if i % 4 else 6.0  # most long enough for segments, some not
        write_recording(root / f"d{i % 3}" / f"rec_{i:02d}.wav", seconds, (2.0,), seed=100 + i)
    _, helpers = kill_index_after(library, root, workers=0, done_at_least=6)
    wait_gone(helpers)
    db = library / CATALOG_FILENAME
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        done = {r[0] for r in conn.execute("SELECT id FROM sounds WHERE status = 'done'")}
        long_done = {
            r[0]
            for r in conn.execute("SELECT id FROM sounds WHERE status = 'done' AND duration > 10")
        }
        owners = {r[0] for r in conn.execute("SELECT sound_id FROM segment_sets")}
    assert 6 <= len(done) < N_KILL, "the kill must land mid-run"
    assert owners == long_done, "segments without a done sound, or a done sound without them"

    service = SearchService(make_settings(library))
    try:
        report = service.index_folder(root, progress=False)
        assert report.ok == N_KILL - len(done) and report.failed == 0
        total = _assert_in_step(service)
        assert len(_sets(service)) == N_KILL - N_KILL // 4
        assert total == service.stats()["moments"]["segments"]
    finally:
        service.close()


# --- streamed files ---------------------------------------------------------------------------

STREAM_AT = (39.5, 50.0)  # one burst across the 40 s piece edge, one inside a piece


@dataclass
class Indexed:
    """What indexing one 60 s recording gave in one library."""

    vector: np.ndarray
    segments: Segments
    duration: float
    streamed: list[str]  # paths embed_long was called with
    best: SearchHit  # the recording's hit for the burst
    moments: dict[str, object]


def _index_one(root: Path, name: str, **overrides: object) -> Indexed:
    calls: list[str] = []
    real = stages.embed_long

    def recording_calls(encoder, path, **kw):  # type: ignore[no-untyped-def]
        calls.append(path)
        return real(encoder, path, **kw)

    service = SearchService(make_settings(root / name, **overrides))
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(stages, "embed_long", recording_calls)
            report = service.index_folder(root / "sounds", progress=False)
        assert report.ok == 2 and report.failed == 0
        long_id = _id(service, root / "sounds" / "field.wav")
        row = service.catalog.get(long_id)
        return Indexed(
            vector=service.catalog.embedding(long_id),
            segments=_segments(service, long_id),
            duration=row.duration,
            streamed=calls,
            best=_hit(service, root / "burst.wav", root / "sounds" / "field.wav"),
            moments=service.stats()["moments"],
        )
    finally:
        service.close()


@pytest.fixture(scope="module")
def streaming(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Indexed]:
    """The same folder indexed whole, streamed in 20 s pieces, and cut at 30 s."""
    root = tmp_path_factory.mktemp("streaming")
    write_recording(root / "sounds" / "field.wav", 60.0, STREAM_AT, seed=8)
    write_audio(root / "sounds" / "short.wav", tone(300, 2.0, SR), SR)
    write_burst(root / "burst.wav")
    return {
        "whole": _index_one(root, "whole"),
        "streamed": _index_one(root, "streamed", **{"ingest.stream_seconds": 20}),
        "cut": _index_one(root, "cut", **{"ingest.max_file_seconds": 30}),
        "cut streamed": _index_one(
            root, "cut_streamed", **{"ingest.max_file_seconds": 30, "ingest.stream_seconds": 20}
        ),
    }


def test_a_file_longer_than_stream_seconds_is_streamed(streaming) -> None:
    assert streaming["whole"].streamed == []
    assert [Path(p).name for p in streaming["streamed"].streamed] == ["field.wav"]
    assert streaming["streamed"].duration == pytest.approx(60.0)


def test_streamed_segments_cover_the_whole_file(streaming) -> None:
    times = streaming["streamed"].segments.times
    assert times[0, 0] == 0.0 and times[-1, 1] == pytest.approx(60.0, abs=1e-3)
    assert np.all(np.diff(times[:, 0]) > 0)
    assert np.all(times[1:, 0] <= times[:-1, 1])  # no gap, across piece edges too


def test_the_streamed_file_vector_is_the_whole_ones(streaming) -> None:
    whole, streamed = streaming["whole"], streaming["streamed"]
    assert float(whole.vector @ streamed.vector) >= 0.99


def test_streamed_segments_are_the_whole_files_windows(streaming) -> None:
    whole, streamed = streaming["whole"].segments, streaming["streamed"].segments
    assert len(streamed) == len(whole)
    np.testing.assert_allclose(streamed.times, whole.times, atol=0.01)
    cosines = np.sum(whole.vectors * streamed.vectors, axis=1)
    assert cosines.min() >= 0.99


@pytest.mark.parametrize("library", ["whole", "streamed"])
def test_both_bursts_are_found_in_a_streamed_file(streaming, library: str) -> None:
    moments = [(m.start, m.end) for m in streaming[library].best.moments]
    for at in STREAM_AT:
        assert max(iou(m, span(at)) for m in moments) >= 0.5, (at, moments)


@pytest.mark.parametrize("library", ["cut", "cut streamed"])
def test_max_file_seconds_cuts_a_file_and_says_so(streaming, library: str) -> None:
    found = streaming[library]
    assert found.duration == pytest.approx(60.0)  # the file's length, not what was embedded
    assert found.segments.times[-1, 1] <= 30.0 + 1e-3
    assert found.moments["cut"]["count"] == 1
    assert found.moments["cut"]["max_file_seconds"] == 30.0
    [listed] = found.moments["cut"]["sounds"]
    assert Path(listed["path"]).name == "field.wav" and listed["duration"] == pytest.approx(60.0)
    for m in found.best.moments:  # neither burst (both after 30 s) is inside it
        assert m.start < 30.0
        assert all(iou((m.start, m.end), span(at)) == 0 for at in STREAM_AT)
    assert streaming["whole"].moments["cut"]["count"] == 0


def test_a_cut_shorter_than_min_seconds_is_not_embedded_again_and_again(tmp_path: Path) -> None:
    sounds = tmp_path / "sounds"
    write_recording(sounds / "field.wav", 30.0, (20.0,), seed=9)
    service = SearchService(make_settings(tmp_path / "library", **{"ingest.max_file_seconds": 8}))
    try:
        first = service.index_folder(sounds, progress=False)
        assert first.ok == 1
        again = service.index_folder(sounds, progress=False)
        assert again.reembedded == 0 and again.ok == 0 and again.unchanged == 1
    finally:
        service.close()


def test_a_sound_a_hair_over_min_seconds_is_not_embedded_again_and_again(tmp_path: Path) -> None:
    """480,001 frames at 48 kHz are 10.00002 s by the header (the catalog's duration) and
    exactly 10 s once resampled to 16 kHz: whether it gets segments is decided by the
    catalog's duration, as the next run's check for missing segments is."""
    sounds = tmp_path / "sounds"
    noise = np.random.default_rng(3).standard_normal(480_001).astype(np.float32) * 0.1
    path = write_audio(sounds / "just_over.wav", noise, 48_000)
    service = SearchService(make_settings(tmp_path / "library"))
    try:
        assert service.index_folder(sounds, progress=False).ok == 1
        row = service.catalog.find_by_path(str(path))
        assert row is not None and row.duration is not None and row.duration > 10.0
        assert len(_segments(service, row.id)) > 0
        assert service.index_folder(sounds, progress=False).processed == 0
    finally:
        service.close()
