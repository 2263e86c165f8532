"""Waveform overviews for the web page, decoded at a low rate and cached per file version."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from soundscout.audio.decode import load_audio

#: Decoding rate for overviews: enough for a few thousand peaks, cheap to resample to.
PEAK_RATE = 4000
MIN_PEAKS, MAX_PEAKS, DEFAULT_PEAKS = 16, 4000, 400
#: Width of the amplitude envelope's blocks (about one period of a 80 Hz tone).
ENVELOPE_SECONDS = 0.012


def compute_peaks(path: Path, n: int) -> tuple[float, list[float]]:
    """Duration in seconds and ``n`` peak amplitudes (max |x| per bucket, clipped to 1).

    Amplitudes are first taken per block of ``ENVELOPE_SECONDS``, so a bucket shorter
    than a period of a low tone still shows the tone's full height.
    """
    x = np.abs(load_audio(path, PEAK_RATE))
    duration = x.size / PEAK_RATE
    if x.size == 0:
        return 0.0, [0.0] * n
    block = max(1, int(PEAK_RATE * ENVELOPE_SECONDS))
    envelope = np.maximum.reduceat(x, np.arange(0, x.size, block))
    if n <= envelope.size:
        starts = np.linspace(0, envelope.size, n + 1)[:-1].astype(np.int64)
        peaks = np.maximum.reduceat(envelope, starts)
    else:
        peaks = envelope[(np.arange(n) * envelope.size) // n]
    return duration, [round(float(p), 4) for p in np.minimum(peaks, 1.0)]


class PeakCache:
    """A small thread-safe LRU of computed peaks, keyed by file identity and ``n``."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[tuple[object, ...], tuple[float, list[float]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: Path, n: int) -> tuple[float, list[float]]:
        """Cached :func:`compute_peaks` (recomputed when the file's size or mtime change)."""
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns, n)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute_peaks(path, n)
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return value
