"""Where a sound occurs inside a long recording: its spectral pattern matched in time.

A segment's vector says what a stretch of a recording sounds like; it does not say where
*this very sound* was placed in it, and under a bed as loud as the sound (or louder) the
vector of the stretch holding it is mostly the bed's. So each long sound also keeps an
**occurrence print**: its level in 16 bands (100 Hz to 7 kHz, log-spaced) every 32 ms
(64 ms Hann windows), in 0.5 dB steps, one byte per value (500 bytes a second, 1.8 MB an
hour). A sound given as the query is printed the same way and slid along the recording's
print; at each offset the score is the correlation of the two patterns, each cell weighted
by how loud it is in the query (its loudest cells count fully, cells 30 dB under them not
at all), so the bed's own course only counts where the sound is loud.

The best places (a query length apart) are the moments where they fit clearly: ranked by
fit, a place is clear when its correlation reaches :data:`MATCH_SCORE` and stands
:data:`MATCH_GAP` above the next place, or reaches :data:`CLEAR_SCORE` and stands
:data:`CLEAR_GAP` above it (a sound under a bed 10 dB louder correlates less, but nowhere
else comes close); the places above a clear one are clear too (a sound used twice). Without
a clear place the segments' rule stands (:mod:`soundscout.moments.locate`). Measured in
``benchmarks/eval_moments.py`` (docs/search.md, "Moments").

A clear place is where the sound most likely is *if* the recording holds it; another sound
with a like envelope (a dog's bark for an explosion, over wind) is often clear too. So a
place is said to be the sound **itself** only by stricter thresholds (:data:`ITSELF`, the
same rule with higher numbers): in recordings that do not hold the query sound, the clear
places alone were wrong for two thirds of the queries, the places "itself" for under a
fifth (``benchmarks/eval_occurrence.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.fft

from soundscout.duplicates.fingerprint import BANDS, band_matrix

#: Bump when the print changes: prints of another version are computed again.
VERSION = 1
WINDOW_SECONDS = 0.064
HOP_SECONDS = 0.032
#: Levels are stored as ``(dB + OFFSET_DB) / STEP_DB`` in a byte: -100 dB .. +27.5 dB of
#: a full-scale band (quieter is clipped to -100 dB).
OFFSET_DB = 100.0
STEP_DB = 0.5
#: Query cells this many dB under the query's loudest cell weigh nothing in the match.
WEIGHT_RANGE_DB = 30.0
#: A query's frames within this many dB of its loudest frame are the sound: leading and
#: trailing quiet is no part of the pattern (as in ``locate.audible_seconds``).
AUDIBLE_DB = 40.0
#: A stretch of the recording whose weighted levels spread less than this (dB) is flat.
FLAT_DB = 1.0
#: The longest query matched (a longer one is a recording, not a sound to find).
MAX_QUERY_SECONDS = 30.0
#: A clear place: this correlation and this lead over the next place (chosen on the moments
#: evaluation's first data set, measured on a second one: docs/search.md, "Moments")...
MATCH_SCORE = 0.5
MATCH_GAP = 0.08
#: ...or this lower correlation with a longer lead.
CLEAR_SCORE = 0.3
CLEAR_GAP = 0.2
#: The sound itself: (score, lead) pairs of which a place meets one, by the same rule
#: (chosen on the first data set of ``benchmarks/eval_occurrence.py``, measured on a second).
ITSELF = ((0.8, 0.08), (0.5, 0.3))


@dataclass(frozen=True)
class Occurrence:
    """A place where a query's pattern fits a recording: seconds, how well it fits (the
    weighted correlation, -1..1), whether it stands clear of the places that fit less, and
    whether it is the query sound itself (clearer still; see the module docstring)."""

    start: float
    end: float
    score: float
    clear: bool
    itself: bool = False


def is_clear(score: float, gap: float) -> bool:
    """Whether a place scoring ``score``, ``gap`` above the next best place, is clear."""
    return (score >= MATCH_SCORE and gap >= MATCH_GAP) or (
        score >= CLEAR_SCORE and gap >= CLEAR_GAP
    )


def is_itself(score: float, gap: float) -> bool:
    """Whether a place scoring ``score``, ``gap`` above the next best place, is the query
    sound itself (:data:`ITSELF`)."""
    return any(score >= least and gap >= lead for least, lead in ITSELF)


def _frame_sizes(sample_rate: int) -> tuple[int, int]:
    return int(round(WINDOW_SECONDS * sample_rate)), int(round(HOP_SECONDS * sample_rate))


def _levels(frames: np.ndarray, sample_rate: int) -> np.ndarray:
    """(n, window) samples -> (n, 16) uint8 band levels."""
    window = frames.shape[1]
    taper = np.hanning(window).astype(np.float32)
    spectrum = np.abs(scipy.fft.rfft(frames * taper, axis=1)) ** 2  # float32 throughout
    bands = band_matrix(window, sample_rate).astype(np.float32)
    energy = spectrum @ bands / (window * float(np.sum(taper**2)))
    level = 10 * np.log10(energy + 1e-20)
    return np.clip(np.round((level + OFFSET_DB) / STEP_DB), 0, 255).astype(np.uint8)


#: A whole waveform is printed this many seconds at a time (the frames and spectra of a
#: slice are held at once: a 10-minute 48 kHz file at once would take 0.5 GB).
SLICE_SECONDS = 30.0


def occurrence_print(waveform: np.ndarray, sample_rate: int) -> np.ndarray:
    """The print of a whole mono waveform: (frames, 16) uint8, a frame every 32 ms."""
    builder = PrintBuilder(sample_rate)
    step = int(SLICE_SECONDS * sample_rate)
    for start in range(0, max(len(waveform), 1), step):
        builder.add(waveform[start : start + step])
    return builder.finish()


class PrintBuilder:
    """The print of a waveform that arrives in pieces (a streamed long file): the same
    frames as :func:`occurrence_print` of the whole, in bounded memory."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.window, self.hop = _frame_sizes(sample_rate)
        self._carry = np.zeros(0, np.float32)
        self._parts: list[np.ndarray] = []
        self._seen = 0

    def add(self, chunk: np.ndarray) -> None:
        """The next samples."""
        chunk = np.asarray(chunk, dtype=np.float32).reshape(-1)
        self._seen += len(chunk)
        buffer = np.concatenate([self._carry, chunk]) if len(self._carry) else chunk
        if len(buffer) < self.window:
            self._carry = buffer
            return
        n = (len(buffer) - self.window) // self.hop + 1
        frames = np.lib.stride_tricks.sliding_window_view(buffer, self.window)[:: self.hop][:n]
        self._parts.append(_levels(frames, self.sample_rate))
        self._carry = buffer[n * self.hop :].copy()

    def finish(self) -> np.ndarray:
        """The print; a waveform shorter than one window gives one (zero-padded) frame."""
        if not self._parts and self._seen:
            frame = np.pad(self._carry, (0, self.window - len(self._carry)))[None, :]
            self._parts.append(_levels(frame, self.sample_rate))
        if not self._parts:
            return np.zeros((0, BANDS), np.uint8)
        return np.concatenate(self._parts)


def to_bytes(levels: np.ndarray) -> bytes:
    """A print as stored (frames x 16 bytes, row after row)."""
    return np.ascontiguousarray(levels, dtype=np.uint8).tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    """A stored print back as (frames, 16) uint8."""
    return np.frombuffer(data, dtype=np.uint8).reshape(-1, BANDS)


class _Slider:
    """Sums over a pattern slid along a recording: ``dot(kernel)[t]`` is the sum of
    ``kernel * values[t : t + len(kernel)]`` for every full offset t (FFTs of the
    recording taken once; the bands are summed before the inverse transform)."""

    def __init__(self, values: np.ndarray, m: int) -> None:
        self.n, self.m = len(values), m
        self.size = scipy.fft.next_fast_len(self.n + m, real=True)
        self.spectrum = scipy.fft.rfft(values, self.size, axis=0)

    def dot(self, kernel: np.ndarray) -> np.ndarray:
        kernel = np.ascontiguousarray(kernel[::-1], dtype=self.spectrum.real.dtype)
        product = (self.spectrum * scipy.fft.rfft(kernel, self.size, axis=0)).sum(axis=1)
        return scipy.fft.irfft(product, self.size)[self.m - 1 : self.n].astype(np.float64)


def find_occurrences(
    query: np.ndarray,
    recording: np.ndarray,
    exclude: tuple[float, float | None] | None = None,
    limit: int = 3,
) -> list[Occurrence]:
    """The ``limit`` places where ``query``'s print fits ``recording``'s best, best first
    and a query length apart (prints from :func:`occurrence_print`, at any sample rates),
    leaving out offsets overlapping ``exclude`` (start, end seconds; end None: to the end).
    The places above the lowest clear gap to the next one are clear (:func:`is_clear`), so
    a sound placed twice is clear at both places; the same for :func:`is_itself`. None
    found when the query has no sound, is longer than :data:`MAX_QUERY_SECONDS` or than the
    recording, or every offset is left out."""
    curve = _fit_curve(query, recording)
    if curve is None:
        return []
    score, m = curve
    span = (m - 1) * HOP_SECONDS + WINDOW_SECONDS  # of the pattern's frames, in seconds
    if exclude is not None:
        starts = np.arange(len(score)) * HOP_SECONDS
        stop = np.inf if exclude[1] is None else exclude[1]
        score[(starts < stop) & (starts + span > exclude[0])] = -np.inf
    peaks = _peaks(score, m, limit + 1)
    if not peaks:
        return []
    # A recording with room for fewer places than that: its last place has nothing to
    # stand clear of, so it is not clear by itself (a short recording is no easier).
    fits = [float(score[p]) for p in peaks]
    fits.append(fits[-1] if len(peaks) <= limit else -1.0)  # the -1 is never compared

    def above(test: Callable[[float, float], bool]) -> int:
        """How many places from the best down are above the last place meeting ``test``."""
        places = range(min(limit, len(peaks)))
        return max((i + 1 for i in places if test(fits[i], fits[i] - fits[i + 1])), default=0)

    clear, itself = above(is_clear), above(is_itself)
    found = []
    for i, p in enumerate(peaks[:limit]):
        start = p * HOP_SECONDS
        found.append(
            Occurrence(round(start, 3), round(start + span, 3), fits[i], i < clear, i < itself)
        )
    return found


def find_occurrence(
    query: np.ndarray, recording: np.ndarray, exclude: tuple[float, float | None] | None = None
) -> Occurrence | None:
    """The best of :func:`find_occurrences`, or None."""
    found = find_occurrences(query, recording, exclude)
    return found[0] if found else None


def _peaks(score: np.ndarray, m: int, count: int) -> list[int]:
    """Up to ``count`` offsets of the best scores, each at least ``m`` from the others."""
    score = score.copy()
    found: list[int] = []
    while len(found) < count:
        best = int(np.argmax(score))
        if not np.isfinite(score[best]):
            break
        found.append(best)
        score[max(0, best - m) : best + m + 1] = -np.inf
    return found


def _fit_curve(query: np.ndarray, recording: np.ndarray) -> tuple[np.ndarray, int] | None:
    """The fit (weighted correlation) of the query's pattern at every offset of the
    recording, and the pattern's length in frames; None when it cannot be matched."""
    q = query.astype(np.float64) * STEP_DB
    r = recording.astype(np.float64) * STEP_DB
    power = np.sum(10 ** (q / 10), axis=1)
    if len(q) == 0 or not np.any(power > 0):
        return None
    frame_db = 10 * np.log10(power)
    loud = np.flatnonzero(frame_db >= frame_db.max() - AUDIBLE_DB)
    q = q[loud[0] : loud[-1] + 1]
    m = len(q)
    if m * HOP_SECONDS > MAX_QUERY_SECONDS or m > len(r):
        return None
    weight = np.clip(1 - (q.max() - q) / WEIGHT_RANGE_DB, 0.0, None)
    total = weight.sum()
    centred = q - (weight * q).sum() / total
    spread = np.sqrt((weight * centred**2).sum())
    if total <= 0 or spread <= 0:  # a flat pattern fits everywhere equally
        return None
    # float32 transforms (5x faster than float64 here); sums over the offsets are
    # relative to the recording's mean level, which keeps their rounding small.
    r = r - r.mean()
    level, energy = _Slider(r.astype(np.float32), m), _Slider((r**2).astype(np.float32), m)
    first = level.dot(weight)
    # a stretch whose levels hardly move (digital silence, a steady tone) fits nothing
    variance = np.maximum(energy.dot(weight) - first**2 / total, total * FLAT_DB**2)
    fit = level.dot(weight * centred) / (spread * np.sqrt(variance))
    return np.clip(fit, -1.0, 1.0), m  # float32 rounding can pass 1 by a hair
