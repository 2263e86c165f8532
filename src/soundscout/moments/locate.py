"""Where in a long sound a query matches: moments from its segments' scores.

Rule (measured in ``benchmarks/eval_moments.py``; docs/search.md, "Moments"):

* The best segment is the peak. Around it, the run of consecutive segments scoring at
  least half-way from the sound's median score to the peak is where the query matches.
* A sound as the query (its length known): the moment is that long, centred on the
  score-weighted centre of the run.
* Words as the query: the moment spans the run, from half a segment hop before the centre
  of its first segment to half a hop after the centre of its last.
* Further moments: the next peaks outside the moments found, while they score at least
  three quarters of the way from the median to the best peak; one that would overlap a
  moment found (a sound query's length around a nearby peak) is none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: A sound given as the query counts as long as its frames within this many dB of its
#: loudest (a release tail or silence around it is no part of the moment sought).
AUDIBLE_DB = 40.0
_FRAME_SECONDS = 0.02

#: Where the run around a peak ends, from the median (0) to the peak (1).
RUN_LEVEL = 0.5
#: How strong a further peak must be, from the median (0) to the best peak (1).
FURTHER_LEVEL = 0.75


@dataclass(frozen=True)
class Moment:
    """A time range inside a sound, in seconds, and the score of its best segment;
    ``pattern``: the query sound itself, found there by its own pattern
    (:attr:`soundscout.moments.occurrence.Occurrence.itself`)."""

    start: float
    end: float
    score: float
    pattern: bool = False


def locate(
    times: np.ndarray,
    scores: np.ndarray,
    *,
    duration: float | None = None,
    query_seconds: float | None = None,
    limit: int = 3,
) -> list[Moment]:
    """The best moments of a sound, best first (see the module docstring).

    Args:
        times: (n, 2) start and end seconds of its segments, in time order.
        scores: (n,) the query's score of each segment.
        duration: the sound's length (moments are kept inside it).
        query_seconds: the length of a sound given as the query, if one was.
        limit: the most moments returned.
    """
    times = np.asarray(times, dtype=np.float64).reshape(-1, 2)
    scores = np.asarray(scores, dtype=np.float64)
    if len(scores) == 0:
        return []
    end_of_sound = float(duration) if duration else float(times[:, 1].max())
    median, best = float(np.median(scores)), float(scores.max())
    free = np.ones(len(scores), dtype=bool)
    found: list[Moment] = []
    while len(found) < max(1, limit) and free.any():
        peak = int(np.flatnonzero(free)[np.argmax(scores[free])])
        if found and scores[peak] < median + FURTHER_LEVEL * (best - median):
            break
        level = median + RUN_LEVEL * (scores[peak] - median)
        first, last = _run(scores, free, peak, level)
        start, end = _span(times, scores, first, last, level, query_seconds)
        start, end = max(0.0, start), min(end_of_sound, end)
        moment = Moment(round(start, 3), round(end, 3), float(scores[peak]))
        free[first : last + 1] = False
        if any(moment.start < m.end and m.start < moment.end for m in found):
            continue  # a query-long moment around a nearby peak: part of one found
        found.append(moment)
        free &= (times[:, 1] <= start) | (times[:, 0] >= end)  # segments outside it
    return found


def audible_seconds(waveform: np.ndarray, sample_rate: int) -> float:
    """How long a sound lasts from its first to its last frame within :data:`AUDIBLE_DB`
    of its loudest (its whole length when it is silent)."""
    x = np.asarray(waveform, dtype=np.float32)
    frame = max(1, int(_FRAME_SECONDS * sample_rate))
    n = len(x) // frame
    if n < 2:
        return len(x) / sample_rate
    energy = np.square(x[: n * frame].reshape(n, frame)).mean(axis=1)
    loud = np.flatnonzero(energy >= energy.max() * 10 ** (-AUDIBLE_DB / 10))
    if energy.max() <= 0 or len(loud) == 0:
        return len(x) / sample_rate
    return (loud[-1] - loud[0] + 1) * frame / sample_rate


def _run(scores: np.ndarray, free: np.ndarray, peak: int, level: float) -> tuple[int, int]:
    """First and last index of the consecutive free segments around ``peak`` at ``level``."""
    first = last = peak
    while first > 0 and free[first - 1] and scores[first - 1] >= level:
        first -= 1
    while last < len(scores) - 1 and free[last + 1] and scores[last + 1] >= level:
        last += 1
    return first, last


def _span(
    times: np.ndarray,
    scores: np.ndarray,
    first: int,
    last: int,
    level: float,
    query_seconds: float | None,
) -> tuple[float, float]:
    centres = times[first : last + 1].mean(axis=1)
    if query_seconds:
        weights = scores[first : last + 1] - level + 1e-6
        centre = float(np.average(centres, weights=weights))
        return centre - query_seconds / 2, centre + query_seconds / 2
    hop = float(np.median(np.diff(times[:, 0]))) if len(times) > 1 else 0.0
    half = hop / 2 if hop > 0 else float(times[first, 1] - times[first, 0]) / 2
    return float(centres[0]) - half, float(centres[-1]) + half
