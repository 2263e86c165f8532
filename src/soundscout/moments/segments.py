"""Segments: the vectors of a long sound's stretches, each with its time range.

A segment pools ``per_segment`` consecutive encoder windows (their normalised mean) and
the next segment starts ``per_segment`` windows later, so with the builtin encoder's 2 s
windows every 1 s, one window per segment gives a 2 s segment every second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from soundscout.encoders.base import l2_normalize


@dataclass(frozen=True)
class Segments:
    """A sound's segments: ``times`` (n, 2) float32 start/end seconds, ``vectors`` (n, dim);
    with the whole sound's occurrence print (:mod:`soundscout.moments.occurrence`)."""

    times: np.ndarray
    vectors: np.ndarray
    prints: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.times)

    @property
    def starts(self) -> np.ndarray:
        """Start of each segment, in seconds."""
        return self.times[:, 0]

    @property
    def ends(self) -> np.ndarray:
        """End of each segment, in seconds."""
        return self.times[:, 1]


def segments_from_windows(
    vectors: np.ndarray, times: list[tuple[float, float]], per_segment: int = 1
) -> Segments:
    """Pool window vectors (n, dim) with their (start, end) times into segments.

    Raises:
        ValueError: the counts of vectors and times differ, or there are none.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    if len(vectors) != len(times) or len(times) == 0:
        raise ValueError(f"{len(vectors)} window vectors for {len(times)} window times")
    spans = np.asarray(times, dtype=np.float32).reshape(-1, 2)
    if per_segment <= 1:
        return Segments(spans, l2_normalize(vectors))
    starts = range(0, max(1, len(vectors) - per_segment + 1), per_segment)
    groups = [slice(s, min(s + per_segment, len(vectors))) for s in starts]
    if groups[-1].stop < len(vectors):  # the tail, so the end of the sound is covered
        groups.append(slice(len(vectors) - per_segment, len(vectors)))
    pooled = np.stack([vectors[g].mean(axis=0) for g in groups])
    pooled_times = np.array([[spans[g][0, 0], spans[g][-1, 1]] for g in groups], np.float32)
    return Segments(pooled_times, l2_normalize(pooled))
