"""Occurrence prints: a sound found where it was placed inside a louder recording."""

from __future__ import annotations

import numpy as np
import pytest

from soundscout.audio.decode import resample
from soundscout.moments.occurrence import (
    ITSELF,
    MAX_QUERY_SECONDS,
    PrintBuilder,
    find_occurrence,
    find_occurrences,
    from_bytes,
    is_clear,
    is_itself,
    occurrence_print,
    to_bytes,
)
from tests.moments.placed import SR, bed, event, place


def iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    return inter / ((a[1] - a[0]) + (b[1] - b[0]) - inter)


def test_a_print_built_in_pieces_is_the_print_of_the_whole() -> None:
    x = bed(7.3)
    whole = occurrence_print(x, SR)
    assert whole.dtype == np.uint8 and whole.shape == (1 + (len(x) - 1024) // 512, 16)
    for size in (100, 1023, 1024, 5000, 44100):
        builder = PrintBuilder(SR)
        for start in range(0, len(x), size):
            builder.add(x[start : start + size])
        assert np.array_equal(builder.finish(), whole), size
    assert np.array_equal(from_bytes(to_bytes(whole)), whole)
    # shorter than a window: one frame; nothing: no frame
    assert occurrence_print(x[:300], SR).shape == (1, 16)
    assert occurrence_print(x[:0], SR).shape == (0, 16)


def test_the_print_follows_the_level_and_ignores_the_sample_rate() -> None:
    x = event()
    louder = occurrence_print(2 * x, SR).astype(int) - occurrence_print(x, SR).astype(int)
    loud_cells = occurrence_print(x, SR) > 100
    assert np.all(np.abs(louder[loud_cells] - 12) <= 1)  # +6 dB = 12 steps of 0.5 dB
    high = occurrence_print(resample(x, SR, 44100), 44100)
    low = occurrence_print(x, SR)
    n = min(len(high), len(low))
    assert np.median(np.abs(high[:n].astype(int) - low[:n].astype(int))[low[:n] > 100]) <= 2


@pytest.mark.parametrize("snr_db", [0.0, -10.0])
def test_a_sound_is_found_where_it_was_placed_under_a_louder_bed(snr_db: float) -> None:
    at = 37.3
    recording = place(bed(120.0), event(), at, snr_db)
    fit = find_occurrence(occurrence_print(event(), SR), occurrence_print(recording, SR))
    assert fit is not None
    assert iou((fit.start, fit.end), (at, at + 1.2)) >= 0.8, fit
    assert fit.clear, fit
    # as loud as the bed it is the sound itself; 10 dB under it, a sound of a like
    # envelope would fit as well, so it is only where the sound is if it is there
    assert fit.itself == (snr_db == 0.0), fit


def test_another_sound_is_not_found_with_confidence() -> None:
    recording = occurrence_print(place(bed(120.0), event(seed=1), 37.3, 0.0), SR)
    for seed in (2, 3, 4):
        fit = find_occurrence(occurrence_print(event(seed=seed), SR), recording)
        assert fit is not None and not fit.clear and not fit.itself, (seed, fit)


def test_a_clear_place_is_the_sound_itself_by_stricter_thresholds() -> None:
    """A like sound that stands clear of the rest of a recording (a bark for an explosion,
    over wind) is where the sound would be, not the sound itself."""
    assert is_clear(0.33, 0.24) and not is_itself(0.33, 0.24)
    assert is_clear(0.6, 0.1) and not is_itself(0.6, 0.1)
    assert is_itself(0.85, 0.1) and is_itself(0.55, 0.35)
    for least, lead in ITSELF:  # every place that is the sound itself is clear
        assert is_clear(least, lead)


def test_excluded_offsets_are_passed_over() -> None:
    recording = place(place(bed(60.0), event(), 10.0, 0.0), event(), 40.0, -6.0)
    q, r = occurrence_print(event(), SR), occurrence_print(recording, SR)
    assert iou(_span(find_occurrence(q, r)), (10.0, 11.2)) >= 0.8
    assert iou(_span(find_occurrence(q, r, exclude=(9.5, 12.0))), (40.0, 41.2)) >= 0.8
    assert iou(_span(find_occurrence(q, r, exclude=(35.0, None))), (10.0, 11.2)) >= 0.8
    assert find_occurrence(q, r, exclude=(0.0, None)) is None


def _span(fit) -> tuple[float, float]:
    assert fit is not None
    return fit.start, fit.end


def test_quiet_or_flat_stretches_do_not_fit_anything() -> None:
    # digital silence before the bed: its flat levels must not score (0/0)
    silence = np.zeros(20 * SR, np.float32)
    q = occurrence_print(event(), SR)
    empty = occurrence_print(np.concatenate([silence, bed(20.0)]), SR)
    fit = find_occurrence(q, empty)
    assert fit is not None and fit.score < 0.2
    held = occurrence_print(np.concatenate([silence, place(bed(20.0), event(), 5.0, 0.0)]), SR)
    assert iou(_span(find_occurrence(q, held)), (25.0, 26.2)) >= 0.8


def test_queries_that_cannot_be_matched() -> None:
    r = occurrence_print(bed(30.0), SR)
    assert find_occurrence(occurrence_print(np.zeros(SR, np.float32), SR), r) is None  # silence
    assert find_occurrence(occurrence_print(bed(31.0), SR), r) is None  # longer than it
    long_query = occurrence_print(bed(MAX_QUERY_SECONDS + 2, seed=3), SR)
    assert find_occurrence(long_query, occurrence_print(bed(90.0), SR)) is None
    # leading and trailing silence of the query is no part of its pattern
    padded = np.concatenate([np.zeros(SR // 2, np.float32), event(), np.zeros(SR, np.float32)])
    recording = place(bed(60.0), event(), 20.0, 0.0)
    fit = find_occurrence(occurrence_print(padded, SR), occurrence_print(recording, SR))
    assert fit is not None and abs(fit.start - 20.0) <= 0.07 and fit.end - fit.start < 1.4


def test_a_short_recording_is_no_easier_to_be_clear_in() -> None:
    """Room for a single place: it has nothing to stand clear of, so it is not clear."""
    q = occurrence_print(bed(8.0, seed=3)[::-1].copy(), SR)  # the same kind of bed, reversed
    [only] = find_occurrences(q, occurrence_print(bed(12.0), SR))
    assert only.score >= 0.5 and not only.clear, only
    rng = np.random.default_rng(5)
    hiss = (0.05 * rng.normal(0, 1, 8 * SR)).astype(np.float32)  # 8 s of white noise
    for seconds in (12.0, 30.0):
        r = occurrence_print(place(bed(seconds), event(seed=1), 2.0, 0.0), SR)
        for q in (occurrence_print(hiss, SR), occurrence_print(event(seed=2), SR)):
            places = find_occurrences(q, r)
            assert places and not any(p.clear for p in places), (seconds, places)
    # the sound itself in a 12 s recording is still clear
    held = occurrence_print(place(bed(12.0), event(), 5.0, 0.0), SR)
    assert find_occurrence(occurrence_print(event(), SR), held).clear


def test_whole_waveforms_are_printed_in_slices_with_the_same_result() -> None:
    x = bed(75.0)
    builder = PrintBuilder(SR)
    builder.add(x)
    assert np.array_equal(occurrence_print(x, SR), builder.finish())
