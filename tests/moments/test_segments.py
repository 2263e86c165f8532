"""segments_from_windows: encoder windows pooled into segments, and the encoder's windows."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from soundscout.encoders.tiny import TinyEncoder
from soundscout.moments.segments import Segments, segments_from_windows


def _windows(n: int, dim: int = 8, hop: float = 0.5, length: float = 1.0, seed: int = 0):
    vectors = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    times = [(i * hop, i * hop + length) for i in range(n)]
    return vectors, times


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def test_one_window_per_segment_keeps_times_and_normalises() -> None:
    vectors, times = _windows(7)
    found = segments_from_windows(vectors * 3.0, times)
    assert isinstance(found, Segments) and len(found) == 7
    assert found.times.dtype == np.float32 and found.times.shape == (7, 2)
    np.testing.assert_allclose(found.times, np.asarray(times, np.float32))
    np.testing.assert_allclose(found.starts, [t[0] for t in times])
    np.testing.assert_allclose(found.ends, [t[1] for t in times])
    np.testing.assert_allclose(found.vectors, _unit(vectors), rtol=1e-5, atol=1e-6)


def test_pooled_segments_are_normalised_means_of_their_windows() -> None:
    vectors, times = _windows(9)
    found = segments_from_windows(vectors, times, per_segment=3)
    assert len(found) == 3
    for s, first in enumerate((0, 3, 6)):
        group = slice(first, first + 3)
        expected = _unit(vectors[group].mean(axis=0))
        np.testing.assert_allclose(found.vectors[s], expected, rtol=1e-5, atol=1e-6)
        assert found.times[s].tolist() == [times[first][0], times[first + 2][1]]
    np.testing.assert_allclose(np.linalg.norm(found.vectors, axis=1), 1.0, rtol=1e-5)


def test_a_tail_segment_covers_the_end() -> None:
    vectors, times = _windows(10)
    found = segments_from_windows(vectors, times, per_segment=3)
    # 0-2, 3-5, 6-8, and the last three windows so that window 9 is in a segment
    assert len(found) == 4
    assert found.ends[-1] == pytest.approx(times[-1][1])
    assert found.starts[-1] == pytest.approx(times[7][0])
    np.testing.assert_allclose(found.vectors[-1], _unit(vectors[7:10].mean(0)), atol=1e-6)
    assert np.all(np.diff(found.starts) > 0)


def test_fewer_windows_than_a_segment_make_one_segment() -> None:
    vectors, times = _windows(2)
    found = segments_from_windows(vectors, times, per_segment=5)
    assert len(found) == 1
    assert found.times[0].tolist() == [times[0][0], times[1][1]]
    np.testing.assert_allclose(found.vectors[0], _unit(vectors.mean(0)), atol=1e-6)


@pytest.mark.parametrize("n, per", [(1, 1), (5, 2), (12, 4), (13, 4), (40, 7)])
def test_every_window_is_in_some_segment(n: int, per: int) -> None:
    vectors, times = _windows(n)
    found = segments_from_windows(vectors, times, per_segment=per)
    assert len(found) == -(-n // per)  # ceil: the tail adds one segment at most
    assert found.starts[0] == 0.0 and found.ends[-1] == pytest.approx(times[-1][1])
    assert np.all(found.starts[1:] <= found.ends[:-1])  # no gap between segments


@pytest.mark.parametrize(
    "n_vectors, n_times", [(3, 2), (2, 3), (0, 0)], ids=["more vectors", "more times", "none"]
)
def test_mismatched_or_no_windows_are_refused(n_vectors: int, n_times: int) -> None:
    vectors, _ = _windows(max(n_vectors, 1))
    _, times = _windows(max(n_times, 1))
    with pytest.raises(ValueError, match="window"):
        segments_from_windows(vectors[:n_vectors], times[:n_times])


@pytest.mark.parametrize("seconds", [0.4, 1.0, 10.0, 10.3, 61.25])
def test_tiny_windows_cover_the_waveform(seconds: float) -> None:
    encoder = TinyEncoder()
    n = int(seconds * encoder.sample_rate)
    waveform = np.random.default_rng(1).uniform(-0.1, 0.1, n).astype(np.float32)
    times = encoder.window_times(n)
    windows = encoder.embed_windows(waveform)
    assert len(windows) == len(times) and windows.shape[1] == encoder.dim
    np.testing.assert_allclose(np.linalg.norm(windows, axis=1), 1.0, rtol=1e-5)
    assert times[0][0] == 0.0 and times[-1][1] == pytest.approx(n / encoder.sample_rate)
    lengths = {round(b - a, 6) for a, b in times}
    assert lengths == {round(min(1.0, n / encoder.sample_rate), 6)}  # 1 s windows
    starts = [a for a, _ in times]
    assert starts == sorted(starts)
    assert all(b - a <= 0.5 + 1e-9 for a, b in pairwise(starts))  # hops of 0.5 s at most
    file_vector, per_window = encoder.embed_with_windows(waveform)
    np.testing.assert_allclose(per_window, windows, atol=1e-6)
    np.testing.assert_allclose(file_vector, encoder.encode_audio(waveform), atol=1e-6)
