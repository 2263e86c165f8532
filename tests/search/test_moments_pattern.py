"""A sound given as the query is found inside long recordings by its pattern, under a bed
louder than it, where the segments' vectors hear mostly the bed; where it fits clearly
enough, it is said to be the sound itself (``pattern``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from soundscout.moments.locate import audible_seconds
from soundscout.search.query import SearchHit
from soundscout.search.reference import Region
from soundscout.search.service import SearchService
from tests.audiogen import write_audio
from tests.conftest import make_settings
from tests.moments.placed import SR, bed, event, place

#: Where the event sits in each recording (seconds), and its level against the bed (dB):
#: twice in the street, 5 dB under its bed; in the hall under a bed 10 dB louder.
PLACED = {"street.wav": (23.4, 41.0), "hall.wav": (8.2,)}
SNR_DB = {"street.wav": -5.0, "hall.wav": -10.0}
EVENT_SECONDS = 1.2


@dataclass
class Library:
    sounds: Path
    query: Path
    recordings: dict[str, Path]


def _make(root: Path) -> Library:
    sounds = root / "sounds"
    recordings = {}
    for i, (name, times) in enumerate({**PLACED, "park.wav": ()}.items()):
        x = bed(60.0, seed=10 + i)
        for at in times:
            x = place(x, event(), at, SNR_DB[name])
        recordings[name] = write_audio(sounds / "long" / name, x, SR)
    for seed in (2, 3):  # other one-shots
        write_audio(sounds / "shots" / f"shot_{seed}.wav", event(seed=seed), SR)
    query = write_audio(sounds / "shots" / "event.wav", event(), SR)
    quiet = np.zeros(2 * SR, np.float32)  # the same sound with 2 s of silence either side
    write_audio(sounds / "shots" / "event_padded.wav", np.concatenate([quiet, event(), quiet]), SR)
    return Library(sounds, query, recordings)


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SearchService, Library]]:
    root = tmp_path_factory.mktemp("moments_pattern")
    library = _make(root)
    service = SearchService(make_settings(root / "library"))
    report = service.index_folder(library.sounds, progress=False)
    assert report.failed == 0 and report.ok == 7
    yield service, library
    service.close()


def _iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    return inter / ((a[1] - a[0]) + (b[1] - b[0]) - inter)


def _hit(hits: list[SearchHit], path: Path) -> SearchHit:
    [hit] = [h for h in hits if h.path == str(path)]
    return hit


def _best_iou(hit: SearchHit, name: str) -> float:
    best = hit.moments[0]
    return max(_iou((best.start, best.end), (at, at + EVENT_SECONDS)) for at in PLACED[name])


def test_the_query_sound_is_found_at_its_place_in_each_recording(lib) -> None:
    service, library = lib
    hits = service.search(audio_path=library.query, k=10, moments=True).hits
    for name in PLACED:
        hit = _hit(hits, library.recordings[name])
        best = hit.moments[0]
        assert _best_iou(hit, name) >= 0.8, (name, best)
        # as long as the sound is audible (its last 0.1 s is silence)
        assert best.end - best.start == pytest.approx(audible_seconds(event(), SR), abs=0.01)
    # 5 dB under its bed, it is clearly the sound itself, at both places
    street = _hit(hits, library.recordings["street.wav"])
    assert [m.pattern for m in street.moments[:2]] == [True, True]
    assert _iou((street.moments[1].start, street.moments[1].end), (41.0, 42.2)) >= 0.8
    # under a bed 10 dB louder, it is found but not said to be the sound itself: another
    # sound of a like envelope fits that well as often (docs/search.md, "Moments")
    assert not any(m.pattern for m in _hit(hits, library.recordings["hall.wav"]).moments)
    park = _hit(hits, library.recordings["park.wav"])  # not in it: no pattern moment
    assert park.moments and not any(m.pattern for m in park.moments)


def test_without_patterns_the_segments_miss_it(lib, tmp_path: Path) -> None:
    """The segments alone place the event wrongly: the test above needs the patterns."""
    _, library = lib
    service = SearchService(make_settings(tmp_path / "library", **{"moments.pattern": False}))
    try:
        service.index_folder(library.sounds, progress=False)
        hits = service.search(audio_path=library.query, k=10, moments=True).hits
        misses = [
            name for name in PLACED if _best_iou(_hit(hits, library.recordings[name]), name) < 0.5
        ]
        assert misses, "the segments alone found every placement"
        assert not any(m.pattern for h in hits for m in h.moments)
    finally:
        service.close()


def test_a_catalogued_sound_as_the_query_is_printed_from_its_file(lib) -> None:
    service, library = lib
    row = service.catalog.find_by_path(str(library.query))
    assert row is not None
    hits = service.search(sound_id=row.id, k=10, moments=True).hits
    street = _hit(hits, library.recordings["street.wav"])
    assert street.moments[0].pattern and _best_iou(street, "street.wav") >= 0.8
    # its catalogued duration holds 4 s of silence: the moment is as long as the sound
    padded = service.catalog.find_by_path(str(library.sounds / "shots" / "event_padded.wav"))
    assert padded is not None and padded.duration and padded.duration > 5
    hits = service.search(sound_id=padded.id, k=10, moments=True).hits
    street = _hit(hits, library.recordings["street.wav"])
    best = street.moments[0]
    assert best.pattern and _best_iou(street, "street.wav") >= 0.8
    assert best.end - best.start == pytest.approx(audible_seconds(event(), SR), abs=0.01)


def test_a_region_of_a_recording_finds_the_sound_elsewhere_not_itself(lib) -> None:
    service, library = lib
    street = library.recordings["street.wav"]
    region = Region(23.4, 23.4 + EVENT_SECONDS)
    hits = service.search(audio_path=street, region=region, k=10, moments=True).hits
    # the region holds the bed too: its pattern is less clear than the sound's own, but
    # the region itself is never a moment of its recording
    for m in _hit(hits, street).moments:
        assert _iou((m.start, m.end), (region.start, region.end)) < 0.5, m
        assert not m.pattern or _iou((m.start, m.end), (41.0, 42.2)) >= 0.8, m


def test_text_queries_have_no_pattern(lib) -> None:
    service, _ = lib
    hits = service.search(text="a short blip", k=10, moments=True).hits
    assert not any(m.pattern for h in hits for m in h.moments)


def test_a_library_from_before_prints_gets_them_on_the_next_index(tmp_path: Path) -> None:
    library = _make(tmp_path)
    service = SearchService(make_settings(tmp_path / "library"))
    try:
        service.index_folder(library.sounds, progress=False)
        db = tmp_path / "library" / "catalog.sqlite"
        with sqlite3.connect(db) as conn:  # as a library indexed before prints were kept
            conn.execute("UPDATE segment_sets SET prints = NULL, prints_version = NULL")
        hits = service.search(audio_path=library.query, k=10, moments=True).hits
        assert not any(m.pattern for h in hits for m in h.moments)
        report = service.index_folder(library.sounds, progress=False)
        assert report.reembedded == 3 and report.failed == 0
        hits = service.search(audio_path=library.query, k=10, moments=True).hits
        assert _hit(hits, library.recordings["street.wav"]).moments[0].pattern
        again = service.index_folder(library.sounds, progress=False)
        assert again.reembedded == 0 and again.unchanged == 7
    finally:
        service.close()


def test_prints_are_stored_beside_the_segments(lib) -> None:
    service, library = lib
    from soundscout.catalog import segments as segdb

    row = service.catalog.find_by_path(str(library.recordings["park.wav"]))
    assert row is not None
    with service.catalog.reading() as conn:
        prints = segdb.read_prints(conn, row.id)
    assert prints is not None and prints.dtype == np.uint8
    assert prints.shape[1] == 16 and abs(len(prints) * 0.032 - 60.0) < 0.2


def test_the_pattern_is_looked_for_within_a_budget_of_long_results(lib, tmp_path) -> None:
    """Best first, until the budget of long audio is spent; later results keep their
    segments' moments (the search stays fast however many hours the results hold)."""
    _, library = lib
    for hours, patterned in ((60 / 3600, 1), (0.0, 0)):  # one 60 s recording; none
        settings = make_settings(tmp_path / f"library-{hours}", **{"moments.pattern_hours": hours})
        service = SearchService(settings)
        try:
            service.index_folder(library.sounds, progress=False)
            hits = service.search(audio_path=library.query, k=10, moments=True).hits
        finally:
            service.close()
        long = [h for h in hits if h.moments]
        assert len(long) == 3
        assert not any(m.pattern for h in long[patterned:] for m in h.moments), hours
