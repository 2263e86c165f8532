"""split_windows: lengths, remainders, short inputs and bad inputs."""

from __future__ import annotations

import numpy as np
import pytest

from soundscout.audio.windows import split_windows


def lengths(windows: list[np.ndarray]) -> list[int]:
    return [w.size for w in windows]


def test_exact_multiple_gives_equal_windows_in_order() -> None:
    x = np.arange(12, dtype=np.float32)
    windows = split_windows(x, 4)
    assert lengths(windows) == [4, 4, 4]
    np.testing.assert_array_equal(np.concatenate(windows), x)
    assert all(np.shares_memory(w, x) for w in windows)  # views, no copies


def test_remainder_is_kept_unpadded_by_default() -> None:
    x = np.arange(10, dtype=np.float32)
    windows = split_windows(x, 4)
    assert lengths(windows) == [4, 4, 2]
    np.testing.assert_array_equal(windows[-1], [8, 9])


@pytest.mark.parametrize(("min_last", "expected"), [(2, [4, 4, 2]), (3, [4, 4]), (4, [4, 4])])
def test_min_last_drops_a_short_remainder(min_last: int, expected: list[int]) -> None:
    assert lengths(split_windows(np.zeros(10), 4, min_last=min_last)) == expected


def test_waveform_of_exactly_one_window() -> None:
    assert lengths(split_windows(np.ones(5), 5, min_last=3, pad_short_to=8)) == [5]


def test_short_waveform_is_one_window_whatever_min_last() -> None:
    x = np.array([1.0, 2.0, 3.0])
    windows = split_windows(x, 8, min_last=5)
    assert len(windows) == 1
    np.testing.assert_array_equal(windows[0], x)


def test_short_waveform_is_tiled_up_to_pad_short_to() -> None:
    x = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    (window,) = split_windows(x, 8, pad_short_to=7)
    np.testing.assert_array_equal(window, [1, 2, 3, 1, 2, 3, 1])
    assert window.dtype == np.float32


def test_pad_short_to_never_shortens() -> None:
    (window,) = split_windows(np.arange(6.0), 8, pad_short_to=4)
    assert window.size == 6


def test_pad_short_to_does_not_touch_long_waveforms() -> None:
    assert lengths(split_windows(np.zeros(9), 4, pad_short_to=16)) == [4, 4, 1]


@pytest.mark.parametrize(
    ("waveform", "window"),
    [(np.zeros(0), 4), (np.zeros((2, 8)), 4), (np.zeros(8), 0), (np.zeros(8), -1)],
)
def test_bad_input_raises_value_error(waveform: np.ndarray, window: int) -> None:
    with pytest.raises(ValueError):
        split_windows(waveform, window)
