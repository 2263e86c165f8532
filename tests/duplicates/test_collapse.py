"""search --collapse: one result per recording, its best eligible copy, and the count."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from soundscout.config import Settings
from soundscout.search.query import Filters
from soundscout.search.service import SearchService
from tests.api.live import LiveServer
from tests.audiogen import write_audio
from tests.duplicates.conftest import BEST, COPIES, SR, copies_library, recording


@pytest.fixture
def service(tmp_path: Path, settings_factory: Callable[..., Settings]) -> Iterator[SearchService]:
    svc = SearchService(settings_factory())
    svc.index_folder(copies_library(tmp_path / "sounds"), progress=False)
    yield svc
    svc.close()


def _kick(service: SearchService) -> int:
    return next(r.id for p, r in service.catalog.rows_under("/").items() if p.endswith("kick.wav"))


def _names(hits) -> list[str]:
    return [Path(h.path).name for h in hits]


def test_collapse_keeps_the_best_copy_and_counts_the_others(service: SearchService) -> None:
    plain = service.search(sound_id=_kick(service), k=8).hits
    assert sorted(n for n in _names(plain) if n in COPIES) == sorted(COPIES)
    assert all(h.copies == 0 for h in plain)
    folded = service.search(sound_id=_kick(service), k=8, collapse=True).hits
    names = _names(folded)
    assert [n for n in names if n in COPIES] == [BEST]
    assert next(h.copies for h in folded if Path(h.path).name == BEST) == len(COPIES) - 1
    assert len(names) == 4 and len(set(names)) == 4  # every other sound, once
    first_copy = min(i for i, n in enumerate(_names(plain)) if n in COPIES)
    others_before = [n for n in _names(plain)[:first_copy]]
    assert names.index(BEST) == len(others_before)  # in the place of its best-ranked copy


def test_collapse_keeps_the_best_copy_the_filters_allow(service: SearchService) -> None:
    ref = _kick(service)
    lossless_wav_or_mp3 = Filters(formats=("wav", "mp3"))
    hits = service.search(sound_id=ref, k=8, collapse=True, filters=lossless_wav_or_mp3).hits
    assert [n for n in _names(hits) if n in COPIES] == ["hit.wav"]  # 44.1 kHz, the longer
    hits = service.search(sound_id=ref, k=8, collapse=True, filters=Filters(formats=("mp3",)))
    assert _names(hits.hits) == ["hit.mp3"] and hits.hits[0].copies == len(COPIES) - 1


def test_the_api_takes_collapse_in_the_query_and_the_body(service: SearchService) -> None:
    live = LiveServer(service.settings, service).start()
    try:
        with httpx.Client(base_url=live.url, timeout=60) as http:
            ref = _kick(service)
            got = http.get("/api/search", params={"sound_id": ref, "k": 8, "collapse": "true"})
            body = http.post("/api/search", json={"sound_id": ref, "k": 8, "collapse": True})
            plain = http.get("/api/search", params={"sound_id": ref, "k": 8})
    finally:
        live.stop()
    for response in (got, body):
        results = response.json()["results"]
        kept = [r for r in results if r["name"] in COPIES]
        assert [(r["name"], r["copies"]) for r in kept] == [(BEST, len(COPIES) - 1)]
    assert len([r for r in plain.json()["results"] if r["name"] in COPIES]) == len(COPIES)


def test_a_copy_shown_for_another_carries_that_ones_evidence(
    tmp_path: Path, settings_factory: Callable[..., Settings]
) -> None:
    """The words matched a lossy copy; collapse shows the lossless one in its place, with
    the matched copy's words, coverage and relevance, and names it."""
    x = recording()
    write_audio(tmp_path / "sounds" / "take_0042.flac", x, SR)
    write_audio(tmp_path / "sounds" / "Glass_Break.mp3", x, SR)
    for seed in range(3):
        write_audio(tmp_path / "sounds" / f"other_{seed}.wav", recording(seed=seed + 7), SR)
    service = SearchService(settings_factory())
    try:
        service.index_folder(tmp_path / "sounds", progress=False)
        plain = service.search(text="glass", k=5).hits
        matched = next(h for h in plain if Path(h.path).name == "Glass_Break.mp3")
        folded = service.search(text="glass", k=5, collapse=True).hits
        shown = next(h for h in folded if Path(h.path).name == "take_0042.flac")
    finally:
        service.close()
    assert shown.copies == 1 and shown.explain is not None and matched.explain is not None
    assert shown.explain.ranked_as is not None and shown.explain.ranked_as.endswith("Break.mp3")
    assert shown.explain.matches == matched.explain.matches and shown.explain.matches
    assert (shown.relevance, shown.band) == (matched.relevance, matched.band)
    assert shown.explain.coverage == 1.0


def test_the_reference_is_not_counted_among_the_copies_hidden(service: SearchService) -> None:
    """By one copy of a recording: the others are its results, folded into one; the
    reference itself is left out of the results and of their count."""
    ref = next(r.id for p, r in service.catalog.rows_under("/").items() if p.endswith("hit.mp3"))
    hits = service.search(sound_id=ref, k=8, collapse=True).hits
    shown = [h for h in hits if Path(h.path).name in COPIES]
    assert [(Path(h.path).name, h.copies) for h in shown] == [(BEST, len(COPIES) - 2)]
