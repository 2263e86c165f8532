"""Search inside long recordings: a burst is found at its moment, once per recording."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

from soundscout.search.query import Filters, SearchHit
from soundscout.search.reference import Region
from soundscout.search.service import SearchService
from tests.audiogen import tone, write_audio
from tests.conftest import make_settings
from tests.moments import (
    A_AT,
    B_AT,
    BURST_SECONDS,
    SR,
    MomentsLibrary,
    iou,
    make_moments_library,
    span,
    write_burst,
    write_hum,
    write_recording,
)


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SearchService, MomentsLibrary]]:
    """The moments library, indexed once for this module."""
    root = tmp_path_factory.mktemp("moments_search")
    sounds = make_moments_library(root)
    service = SearchService(make_settings(root / "library"))
    report = service.index_folder(sounds.sounds, progress=False)
    assert report.ok == sounds.count and report.failed == 0
    yield service, sounds
    service.close()


def _hit(hits: list[SearchHit], path: Path) -> SearchHit:
    found = [h for h in hits if h.path == str(path)]
    assert len(found) == 1, f"{path.name} found {len(found)} times"
    return found[0]


def _rank(hits: list[SearchHit], path: Path) -> int:
    return [h.path for h in hits].index(str(path))


def _check_moments(hit: SearchHit, limit: int = 3) -> None:
    """Moments are ranges inside the sound, best first, apart from each other."""
    assert hit.duration is not None
    assert len(hit.moments) <= limit
    for m in hit.moments:
        assert isinstance(m.start, float) and isinstance(m.end, float)
        assert 0.0 <= m.start < m.end <= hit.duration + 1e-6
    assert not any(m.pattern for m in hit.moments[1:])  # the query sound itself first
    scores = [m.score for m in hit.moments if not m.pattern]
    assert scores == sorted(scores, reverse=True)
    spans = sorted((m.start, m.end) for m in hit.moments)
    assert all(a[1] <= b[0] + 1e-6 for a, b in pairwise(spans))


def test_a_burst_is_found_at_its_moment_in_each_long_file(lib) -> None:
    service, sounds = lib
    hits = service.search(audio_path=sounds.query, k=10, moments=True).hits
    # both recordings holding the burst come first, ahead of every whole-file match
    assert {h.path for h in hits[:2]} == {str(sounds.field_a), str(sounds.field_b)}
    for path, at in ((sounds.field_a, A_AT), (sounds.field_b, B_AT)):
        hit = _hit(hits, path)
        _check_moments(hit)
        best = hit.moments[0]
        assert iou((best.start, best.end), span(at)) >= 0.5, (path.name, best)
        # a sound as the query: the moment is as long as it
        assert best.end - best.start == pytest.approx(BURST_SECONDS, abs=0.01)
        assert hit.score == pytest.approx(best.score, abs=0.01)  # ranked by its moment
    assert _rank(hits, sounds.field_c) > _rank(hits, sounds.field_b)  # no burst in it


def test_whole_file_ranking_would_miss_the_moments(lib) -> None:
    """Without searching inside them, the long files rank below the hums: the test above
    can only pass when their segments are searched."""
    service, sounds = lib
    hits = service.search(audio_path=sounds.query, k=10).hits
    assert all(h.moments == () for h in hits)
    assert str(sounds.field_a) not in [h.path for h in hits[:2]]
    assert str(sounds.field_b) not in [h.path for h in hits[:2]]
    assert hits[0].path in {str(p) for p in sounds.hums}
    off = service.search(audio_path=sounds.query, k=10, moments=False).hits
    assert [h.id for h in off] == [h.id for h in hits]


def test_each_sound_appears_once(lib) -> None:
    service, sounds = lib
    hits = service.search(audio_path=sounds.query, k=50, moments=True).hits
    ids = [h.id for h in hits]
    assert len(ids) == len(set(ids)) == sounds.count
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    for hit in hits:  # moments for the long recordings, none for short sounds
        assert bool(hit.moments) == (Path(hit.path) in sounds.long), hit.path


def test_filters_apply_to_the_search_inside(lib) -> None:
    service, sounds = lib
    folder = service.search(
        audio_path=sounds.query, k=10, moments=True, filters=Filters(folder="harbour")
    ).hits
    assert [h.path for h in folder] == [str(sounds.field_b)]
    assert iou((folder[0].moments[0].start, folder[0].moments[0].end), span(B_AT)) >= 0.5

    short = service.search(
        audio_path=sounds.query, k=50, moments=True, filters=Filters(max_duration=20)
    ).hits
    assert len(short) == sounds.count - len(sounds.long)
    assert all(h.duration <= 20 and h.moments == () for h in short)

    long = service.search(
        audio_path=sounds.query, k=50, moments=True, filters=Filters(min_duration=20)
    ).hits
    assert [h.path for h in long][2] == str(sounds.field_c)
    assert {h.path for h in long} == {str(p) for p in sounds.long}


def test_the_reference_sound_itself_stays_out(lib) -> None:
    service, sounds = lib
    own = service.catalog.find_by_path(str(sounds.field_a))
    assert own is not None
    hits = service.search(sound_id=own.id, k=50, moments=True).hits
    assert own.id not in [h.id for h in hits]
    assert len(hits) == sounds.count - 1


def test_a_sound_query_sets_the_moments_length(lib) -> None:
    service, sounds = lib
    hum = service.catalog.find_by_path(str(sounds.hums[3]))
    assert hum is not None and hum.duration == pytest.approx(2.0)
    hits = service.search(sound_id=hum.id, k=50, moments=True).hits
    for path in sounds.long:
        hit = _hit(hits, path)
        assert hit.moments
        for m in hit.moments:  # 2 s, unless cut at either end of the recording
            clipped = m.start == 0.0 or m.end == pytest.approx(hit.duration)
            assert m.end - m.start == pytest.approx(2.0, abs=0.01) or clipped


def test_text_queries_return_moments_too(lib) -> None:
    service, sounds = lib
    for text in ("square beep", "rain on a tin roof"):
        result = service.search(text=text, k=50, moments=True, match="sound")
        assert result.mode == "text"
        long_hits = [h for h in result.hits if Path(h.path) in sounds.long]
        assert len(long_hits) == len(sounds.long)
        for hit in result.hits:
            _check_moments(hit, limit=service.settings.moments.per_file)
            assert bool(hit.moments) == (Path(hit.path) in sounds.long)
        assert [h.id for h in result.hits] == list(dict.fromkeys(h.id for h in result.hits))
        off = service.search(text=text, k=50, match="sound")
        assert all(h.moments == () for h in off.hits)


def test_status_counts_the_segments(lib) -> None:
    service, sounds = lib
    moments = service.stats()["moments"]
    assert moments["sounds"] == len(sounds.long)
    encoder = service.encoder
    expected = 0
    for path in sounds.long:
        row = service.catalog.find_by_path(str(path))
        assert row is not None and row.duration is not None
        expected += len(encoder.window_times(int(round(row.duration * encoder.sample_rate))))
    assert moments["segments"] == expected
    assert moments["cut"]["count"] == 0
    assert service.segments.sync().count == expected


def test_a_recording_matching_everywhere_does_not_hide_the_others(tmp_path: Path) -> None:
    """A long drone of the burst's sound matches in each of its segments; the recording
    with the burst in it must still rank by its own best segment, above the hums."""
    sounds = tmp_path / "sounds"
    drone = tone(880, 150.0, SR, kind="square", amp=0.5) + tone(
        0, 150.0, SR, kind="noise", amp=0.03, seed=9
    )
    write_audio(sounds / "drone" / "drone.wav", drone, SR)
    field = write_recording(sounds / "forest" / "field_a.wav", 50.0, (A_AT,), seed=1)
    hums = [write_hum(sounds / "hum" / f"hum_{i}.wav", i) for i in range(4)]
    query = write_burst(tmp_path / "burst.wav")
    service = SearchService(make_settings(tmp_path / "library"))
    try:
        service.index_folder(sounds, progress=False)
        everything = service.search(audio_path=query, k=50, moments=True).hits
        few = service.search(audio_path=query, k=4, moments=True).hits
    finally:
        service.close()
    assert _rank(everything, field) < min(_rank(everything, h) for h in hums)
    assert [h.id for h in few] == [h.id for h in everything[:4]]
    best = _hit(few, field).moments[0]
    assert iou((best.start, best.end), span(A_AT)) >= 0.5


def test_the_segment_penalty_weighs_segments_against_whole_sounds(lib) -> None:
    """moments.segment_penalty: the best of many segments gives up that many spreads of
    the query's scores; a large one leaves long sounds ranked by their own vector."""
    service, sounds = lib
    whole = service.search(audio_path=sounds.query, k=10, moments=False).hits
    penalised = SearchService(
        make_settings(service.library_dir, **{"moments.segment_penalty": 10.0})
    )
    try:
        hits = penalised.search(audio_path=sounds.query, k=10, moments=True).hits
    finally:
        penalised.close()
    assert [h.id for h in hits] == [h.id for h in whole]  # the file vectors decide
    assert _hit(hits, sounds.field_a).moments  # and the moments are still there
    free = service.search(audio_path=sounds.query, k=10, moments=True).hits
    assert _rank(free, sounds.field_a) < _rank(hits, sounds.field_a)


def test_like_this_moment_finds_it_elsewhere_in_its_own_recording(tmp_path: Path) -> None:
    """A region of a long recording as the query (the page's "Like this moment"): the same
    sound later in that recording is a result; the region itself is no moment of it."""
    root = tmp_path / "sounds"
    twice = write_recording(root / "twice.wav", 45.0, (8.0, 30.0), seed=5)
    write_recording(root / "other.wav", 40.0, (20.0,), seed=6)
    for i in range(3):
        write_hum(root / f"hum_{i}.wav", i)
    service = SearchService(make_settings(tmp_path / "library"))
    try:
        service.index_folder(root, progress=False)
        row = service.catalog.find_by_path(str(twice))
        assert row is not None
        region = Region(8.0, 8.0 + BURST_SECONDS)
        hits = service.search(sound_id=row.id, region=region, k=10, moments=True).hits
        own = _hit(hits, twice)
        assert iou((own.moments[0].start, own.moments[0].end), span(30.0)) >= 0.5
        assert all(iou((m.start, m.end), span(8.0)) == 0 for m in own.moments)
        other = _hit(hits, root / "other.wav").moments[0]
        assert iou((other.start, other.end), span(20.0)) >= 0.5
        # without moments a reference is still left out of its own results
        plain = service.search(sound_id=row.id, region=region, k=10).hits
        assert str(twice) not in [h.path for h in plain]
    finally:
        service.close()
