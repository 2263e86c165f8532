"""A compact "same recording" fingerprint of a waveform, and how two are compared.

The fingerprint is the sound's loudness in 16 bands (100 Hz to 7 kHz, log-spaced) every
16 ms (64 ms Hann windows), in dB below its loudest cell, 0.5 dB steps, one byte per value,
for the first :data:`MAX_SECONDS` seconds. It is computed in the ingest's decode stage from
the waveform already in memory (at the encoder's rate), so no file is read twice.

What it ignores, by construction: gain (levels are relative to the loudest cell), the
container and codec (bands stop at 7 kHz, below MP3/Vorbis low-pass filters and every
common sample rate's Nyquist frequency), channels (the decoder mixes to mono) and small
trims (:func:`distance` searches the best alignment within :data:`MAX_LAG_SECONDS`). What
it keeps: the spectrum and its course in time, which differ between takes, pitches and
effects. Thresholds are measured in ``benchmarks/eval_duplicates.py`` (docs/search.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Bump when the computation changes: prints of other versions are never compared.
VERSION = 1
BANDS = 16
F_MIN, F_MAX = 100.0, 7000.0
WINDOW_SECONDS = 0.064
HOP_SECONDS = 0.016
#: Only the start of a long file is printed (a 3-hour file: its first 8 s of sound; its
#: duration must match too).
MAX_SECONDS = 8.0
#: Levels below this many dB under the loudest cell are clipped to it.
FLOOR_DB = 60.0
STEP_DB = 0.5
#: A sound whose loudest 64 ms window stays below this (dBFS RMS) is silent.
SILENCE_DBFS = -70.0
#: Alignments searched when comparing: trims and codec delays up to this many seconds.
MAX_LAG_SECONDS = 0.1
#: Loud frames a trim may cut from either print (150 ms).
TRIM_FRAMES = int(round(0.15 / HOP_SECONDS))
#: Alignments whose exact (median) score is computed, the best by the cheap score.
EXACT_LAGS = 3
#: Bump when :func:`distance` changes: the groups are then computed again.
COMPARISON = 3
#: Cells quieter than this (dB under the loudest cell) in both prints do not count.
ACTIVE_DB = 40.0


@dataclass(frozen=True)
class Print:
    """A sound's fingerprint: ``frames`` x :data:`BANDS` uint8 levels (0 = loudest), or
    none for a silent sound."""

    data: bytes | None
    silent: bool
    version: int = VERSION

    @property
    def matrix(self) -> np.ndarray:
        """The levels as a (frames, bands) array in dB below the loudest cell (float32)."""
        if self.data is None:
            return np.zeros((0, BANDS), np.float32)
        raw = np.frombuffer(self.data, dtype=np.uint8).reshape(-1, BANDS)
        return raw.astype(np.float32) * STEP_DB


def compute(waveform: np.ndarray, sample_rate: int) -> Print:
    """The fingerprint of a mono waveform: silent when no 64 ms block of it reaches
    :data:`SILENCE_DBFS`, else the :data:`MAX_SECONDS` from its first block that does
    (leading digital silence is skipped, so a long silent intro prints no silence)."""
    window = int(round(WINDOW_SECONDS * sample_rate))
    hop = int(round(HOP_SECONDS * sample_rate))
    start = _first_sound(np.asarray(waveform, dtype=np.float32), window)
    if start is None:
        return Print(None, silent=True)
    x = np.asarray(waveform[start : start + int(MAX_SECONDS * sample_rate)], dtype=np.float32)
    if x.size < window:
        x = np.pad(x, (0, window - x.size))
    frames = np.lib.stride_tricks.sliding_window_view(x, window)[::hop]
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(window), axis=1)) ** 2
    energy = spectrum @ band_matrix(window, sample_rate)
    level = 10 * np.log10(energy + 1e-12)
    below = np.clip(level.max() - level, 0.0, FLOOR_DB)
    return Print(np.round(below / STEP_DB).astype(np.uint8).tobytes(), silent=False)


def _first_sound(x: np.ndarray, block: int) -> int | None:
    """Start of the first ``block``-sample block louder than :data:`SILENCE_DBFS` (RMS);
    None when there is none (digital silence, or nearly)."""
    n = -(-max(x.size, 1) // block) * block
    blocks = np.pad(x, (0, n - x.size)).reshape(-1, block)
    loud = np.nonzero(np.mean(np.square(blocks), axis=1) >= 10 ** (SILENCE_DBFS / 10))[0]
    return int(loud[0]) * block if loud.size else None


def band_matrix(window: int, sample_rate: int) -> np.ndarray:
    """(bins, bands) 0/1 matrix summing FFT bins into log-spaced bands."""
    freqs = np.fft.rfftfreq(window, 1.0 / sample_rate)
    edges = np.geomspace(F_MIN, min(F_MAX, sample_rate / 2), BANDS + 1)
    band = np.searchsorted(edges, freqs, side="right") - 1
    matrix = np.zeros((freqs.size, BANDS), np.float64)
    inside = (band >= 0) & (band < BANDS)
    matrix[np.nonzero(inside)[0], band[inside]] = 1.0
    return matrix


def distance(a: Print, b: Print) -> float:
    """How far apart two prints are, in dB: at their best alignment, the mean absolute
    difference of the cells loud in either (after removing the median difference, a
    residual gain); ``inf`` when they cannot be compared (silent, other versions, or no
    alignment overlapping nearly all their loud frames).

    Every alignment is scored at once with the mean difference as the offset (cheap); the
    exact score, with the median, is computed for the :data:`EXACT_LAGS` best of them.
    """
    if a.version != b.version or a.data is None or b.data is None:
        return float("inf")
    ma, mb = a.matrix, b.matrix
    needed = 0.9 * max(_loud_frames(ma), _loud_frames(mb)) - TRIM_FRAMES
    lags = int(round(MAX_LAG_SECONDS / HOP_SECONDS))
    # windows[l, t] is a's frame t + l - lags beside b's frame t (NaN where a has none).
    padded = np.pad(ma, ((lags, len(mb) + lags), (0, 0)), constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(padded, len(mb), axis=0)
    windows = windows[: 2 * lags + 1].transpose(0, 2, 1)
    both = ~np.isnan(windows[..., 0])
    loud = (windows < ACTIVE_DB) | (mb < ACTIVE_DB)
    frames = both & loud.any(axis=2)
    cells = loud & frames[..., None]
    count = cells.sum(axis=(1, 2))
    usable = (frames.sum(axis=1) >= needed) & (count > 0)
    if not usable.any():
        return float("inf")
    diff = np.where(cells, windows - mb, 0.0)
    mean = diff.sum(axis=(1, 2)) / np.maximum(count, 1)
    rough = (np.abs(diff - mean[:, None, None]) * cells).sum(axis=(1, 2)) / np.maximum(count, 1)
    best = np.argsort(np.where(usable, rough, np.inf))[:EXACT_LAGS]
    exact = []
    for lag in best[usable[best]]:
        d = (windows[lag] - mb)[cells[lag]]
        exact.append(float(np.abs(d - np.median(d)).mean()))
    return min(exact)


def _loud_frames(matrix: np.ndarray) -> int:
    return int((matrix < ACTIVE_DB).any(axis=1).sum())
