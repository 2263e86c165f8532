"""Digital silence in searches: found by its name, never as what a sound query sounds like."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from soundscout.config import Settings
from soundscout.search.service import SearchService
from tests.audiogen import write_audio
from tests.duplicates.conftest import SR, recording


def test_digital_silence_is_found_by_its_name_not_by_sound(
    tmp_path: Path, settings_factory: Callable[..., Settings]
) -> None:
    """A silent file sounds like nothing asked for: it leaves the sound list (its vector is
    the model's answer to zeros), and its words still find it."""
    write_audio(tmp_path / "sounds" / "room_silence.wav", np.zeros(SR, np.float32), SR)
    for seed in range(4):
        write_audio(tmp_path / "sounds" / f"hit_{seed}.wav", recording(seed=seed + 3), SR)
    service = SearchService(settings_factory())
    try:
        service.index_folder(tmp_path / "sounds", progress=False)
        silent = service.catalog.find_by_path(str(tmp_path / "sounds" / "room_silence.wav"))
        hit = service.catalog.find_by_path(str(tmp_path / "sounds" / "hit_0.wav"))
        assert silent is not None and hit is not None
        for query in ({"text": "quiet hit", "match": "sound"}, {"sound_id": hit.id}):
            ids = [h.id for h in service.search(k=10, **query).hits]  # type: ignore[arg-type]
            assert silent.id not in ids and ids, query
        by_name = service.search(text="silence", k=10, match="words").hits
    finally:
        service.close()
    assert [h.id for h in by_name] == [silent.id]


def test_what_is_left_out_after_the_fetch_does_not_cost_results(
    tmp_path: Path, settings_factory: Callable[..., Settings]
) -> None:
    """Silent sounds and sounds holding a left-out word are known only once fetched: the
    search fetches more until k remain (before, k=3 could give none)."""
    for n in range(4):
        write_audio(tmp_path / "sounds" / f"blank_{n}.wav", np.zeros(SR, np.float32), SR)
    for seed in range(6):
        name = f"blast_{seed}.wav" if seed < 3 else f"hit_{seed}.wav"
        write_audio(tmp_path / "sounds" / name, recording(seed=seed + 3), SR)
    service = SearchService(settings_factory())
    try:
        service.index_folder(tmp_path / "sounds", progress=False)
        hit = service.catalog.find_by_path(str(tmp_path / "sounds" / "hit_3.wav"))
        assert hit is not None
        for k in (1, 3, 5):  # 5 sounds are neither silent nor the reference
            hits = service.search(sound_id=hit.id, k=k).hits
            assert len(hits) == k, k
        for k in (1, 2):  # and not holding "blast": hit_4, hit_5
            hits = service.search(sound_id=hit.id, text="-blast", k=k).hits
            assert len(hits) == k and all("blast" not in h.path for h in hits), k
        assert len(service.search(text="quiet hit -blast", match="sound", k=3).hits) == 3
    finally:
        service.close()
