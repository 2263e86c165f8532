"""locate(): moments from a sound's per-segment scores, on synthetic score profiles."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from soundscout.moments.locate import Moment, audible_seconds, locate

HOP, LENGTH, N = 0.5, 1.0, 100  # segments 0-1 s, 0.5-1.5 s, ... 49.5-50.5 s


def _times(n: int = N, hop: float = HOP, length: float = LENGTH) -> np.ndarray:
    starts = np.arange(n) * hop
    return np.stack([starts, starts + length], axis=1)


def _centre(i: int) -> float:
    return i * HOP + LENGTH / 2


def _profile(*peaks: tuple[int, float], width: int = 2, base: float = 0.1) -> np.ndarray:
    """A flat profile at ``base`` with triangular peaks (index, height) ``width`` wide."""
    scores = np.full(N, base)
    for at, height in peaks:
        for d in range(-width, width + 1):
            if 0 <= at + d < N:
                level = height - (height - base) * abs(d) / (width + 1)
                scores[at + d] = max(scores[at + d], level)
    return scores


@pytest.mark.parametrize("peak", [12, 40, 77])
def test_the_moment_is_centred_on_the_peak(peak: int) -> None:
    found = locate(_times(), _profile((peak, 0.9)), query_seconds=2.0)
    assert found[0].start == pytest.approx(_centre(peak) - 1.0, abs=0.01)
    assert found[0].end == pytest.approx(_centre(peak) + 1.0, abs=0.01)
    assert found[0].score == pytest.approx(0.9)


@pytest.mark.parametrize("query_seconds", [0.5, 1.5, 4.0, 9.0])
def test_query_seconds_sets_the_length(query_seconds: float) -> None:
    found = locate(_times(), _profile((50, 0.9), width=6), query_seconds=query_seconds)
    assert found[0].end - found[0].start == pytest.approx(query_seconds, abs=0.002)
    middle = (found[0].start + found[0].end) / 2
    assert middle == pytest.approx(_centre(50), abs=0.01)


def test_the_centre_leans_to_the_stronger_side() -> None:
    scores = np.full(N, 0.1)
    scores[[29, 30, 31, 32]] = [0.6, 1.0, 0.95, 0.9]  # stronger after the peak
    moment = locate(_times(), scores, query_seconds=1.0)[0]
    middle = (moment.start + moment.end) / 2
    assert _centre(30) < middle < _centre(32)


def test_without_a_query_length_the_moment_spans_the_run() -> None:
    scores = np.full(N, 0.1)
    scores[38:43] = 0.9  # segments 38-42, centres 19.5 .. 21.5
    scores[37] = scores[43] = 0.4  # under half-way from the median (0.1) to the peak
    moment = locate(_times(), scores)[0]
    assert moment.start == pytest.approx(_centre(38) - HOP / 2)
    assert moment.end == pytest.approx(_centre(42) + HOP / 2)


def test_a_further_moment_only_when_it_is_strong() -> None:
    strong = locate(_times(), _profile((20, 0.9), (70, 0.8)), query_seconds=1.0)
    assert [round((m.start + m.end) / 2, 2) for m in strong] == [_centre(20), _centre(70)]
    assert strong[0].score > strong[1].score
    # 0.5 is a little over half-way from the median (0.1) to 0.9: not a moment
    weak = locate(_times(), _profile((20, 0.9), (70, 0.5)), query_seconds=1.0)
    assert len(weak) == 1 and weak[0].score == pytest.approx(0.9)


def test_a_flat_profile_gives_one_moment() -> None:
    found = locate(_times(), np.full(N, 0.3), limit=3)
    assert len(found) == 1 and found[0].score == pytest.approx(0.3)


@pytest.mark.parametrize("limit, expected", [(1, 1), (2, 2), (3, 3), (5, 3)])
def test_limit(limit: int, expected: int) -> None:
    scores = _profile((10, 0.9), (45, 0.88), (80, 0.86))
    found = locate(_times(), scores, query_seconds=1.0, limit=limit)
    assert len(found) == expected
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)


def test_moments_do_not_overlap() -> None:
    scores = _profile((30, 0.9), (33, 0.89), (36, 0.88), width=3)
    found = locate(_times(), scores, query_seconds=3.0, limit=3)
    spans = sorted((m.start, m.end) for m in found)
    assert all(a[1] <= b[0] + 1e-6 for a, b in pairwise(spans))


def test_a_query_long_moment_around_a_nearby_peak_does_not_overlap() -> None:
    """Peaks 7.5 s apart, a 10 s query sound: the second moment would cover the first."""
    found = locate(_times(), _profile((10, 0.9), (25, 0.88), (60, 0.87)), query_seconds=10.0)
    spans = sorted((m.start, m.end) for m in found)
    assert all(a[1] <= b[0] + 1e-6 for a, b in pairwise(spans))
    assert [round(m.score, 2) for m in found] == [0.9, 0.87]  # the one far away stays


@pytest.mark.parametrize("hop", [0.29, 0.37, 0.41, 0.5])
def test_touching_moments_are_both_kept(hop: float) -> None:
    """Words as the query: two runs side by side touch, whatever the hop's rounding."""
    starts = np.arange(40) * hop
    times = np.stack([starts, starts + hop], axis=1)
    scores = np.zeros(40)
    scores[0:3], scores[3], scores[4:6] = 1.0, 0.48, 0.95
    found = locate(times, scores, limit=3)
    assert [round(m.score, 2) for m in found] == [1.0, 0.95]
    assert found[0].end == found[1].start


def test_moments_are_kept_inside_the_sound() -> None:
    at_start = locate(_times(), _profile((0, 0.9)), query_seconds=4.0, duration=50.5)[0]
    assert at_start.start == 0.0 and at_start.end > 0
    at_end = locate(_times(), _profile((N - 1, 0.9)), query_seconds=4.0, duration=50.5)[0]
    assert at_end.end == pytest.approx(50.5) and at_end.start < 50.5
    # the duration given wins over the last segment's end
    cut = locate(_times(), _profile((N - 1, 0.9)), query_seconds=4.0, duration=50.2)[0]
    assert cut.end == pytest.approx(50.2)
    # and without one, the last segment's end bounds it
    open_end = locate(_times(), _profile((N - 1, 0.9)), query_seconds=4.0)[0]
    assert open_end.end == pytest.approx(_times()[-1, 1])


def test_one_segment_and_no_segments() -> None:
    one = locate(np.array([[0.0, 5.0]]), np.array([0.4]), duration=5.0)
    assert one == [Moment(0.0, 5.0, pytest.approx(0.4))]
    assert locate(np.zeros((0, 2)), np.zeros(0)) == []


def test_times_are_rounded_to_milliseconds() -> None:
    times = _times() + 0.0001234
    found = locate(times, _profile((33, 0.9)), query_seconds=1.2345)
    for m in found:
        assert round(m.start, 3) == m.start and round(m.end, 3) == m.end
        assert isinstance(m.start, float) and isinstance(m.score, float)


def test_a_query_sound_counts_as_long_as_it_is_audible() -> None:
    """Silence and a tail 40 dB down around a sound are no part of the moment sought."""
    sr = 1000
    body = np.ones(500, dtype=np.float32)
    tail = np.full(700, 1e-3, dtype=np.float32)  # -60 dB
    wave = np.concatenate([np.zeros(300, np.float32), body, tail])
    assert audible_seconds(wave, sr) == pytest.approx(0.5, abs=0.02)
    assert audible_seconds(np.zeros(800, np.float32), sr) == pytest.approx(0.8)
    quiet_end = np.concatenate([body, np.full(500, 0.05, np.float32)])  # -26 dB: audible
    assert audible_seconds(quiet_end, sr) == pytest.approx(1.0, abs=0.02)
