"""Cut a waveform into fixed-length, non-overlapping windows."""

from __future__ import annotations

import numpy as np


def split_windows(
    waveform: np.ndarray,
    window: int,
    *,
    min_last: int = 0,
    pad_short_to: int | None = None,
) -> list[np.ndarray]:
    """Non-overlapping windows of ``window`` samples.

    Args:
        waveform: 1-D samples.
        window: window length in samples (> 0).
        min_last: the trailing partial window is kept, unpadded, only if it has at
            least this many samples (0 keeps any remainder).
        pad_short_to: a waveform shorter than ``window`` comes back as one window;
            if it is also shorter than ``pad_short_to`` it is tiled (repeated) up to
            that length.

    Returns:
        Views into ``waveform`` (copies only when tiled); never empty.

    Raises:
        ValueError: empty or non-1-D input, or a non-positive ``window``.
    """
    x = np.asarray(waveform)
    if x.ndim != 1:
        raise ValueError(f"waveform must be 1-D, got shape {x.shape}")
    if x.size == 0:
        raise ValueError("cannot split an empty waveform")
    if window <= 0:
        raise ValueError(f"window must be positive, got {window}")
    if x.size < window:
        if pad_short_to is not None and x.size < pad_short_to:
            x = np.resize(x, pad_short_to)  # np.resize repeats the data cyclically
        return [x]
    n_full = x.size // window
    windows = [x[i * window : (i + 1) * window] for i in range(n_full)]
    rest = x[n_full * window :]
    if rest.size and rest.size >= min_last:
        windows.append(rest)
    return windows
