"""What two indexed sounds are to each other: the same recording, variants, or neither.

Exact copies need no rule here: they share their bytes or their decoded audio, which the
catalog finds by hash. For two neighbours in the vector index:

* **same recording**: lengths within :data:`DURATION_TOLERANCE` (trims of 50 ms at each end,
  codec padding) and fingerprints within ``recording_distance`` dB
  (:func:`soundscout.duplicates.fingerprint.distance`);
* **variants**: otherwise, an embedding cosine of at least ``variant_threshold``.

Both were measured on held-out recordings (``benchmarks/eval_duplicates.py``,
docs/search.md); variants are off unless a threshold is configured (see
:data:`VARIANT_THRESHOLDS`).
"""

from __future__ import annotations

from dataclasses import dataclass

from soundscout.config import Settings
from soundscout.duplicates.fingerprint import Print, distance

#: Largest difference in length of two copies of one recording, seconds: 50 ms trimmed at
#: each end plus codec padding (MP3, AAC) of a few tens of milliseconds.
DURATION_TOLERANCE = 0.12
#: Neighbours below this cosine are not compared (copies measured at 0.81 and above).
CANDIDATE_COSINE = 0.5
#: Variant thresholds per encoder name, for encoders whose embedding separates other takes
#: from other sounds. None does yet: with the builtin encoder no cosine threshold passes
#: precision 0.15 on held-out takes (docs/search.md), so variants are grouped only when
#: ``duplicates.variant_threshold`` is set.
VARIANT_THRESHOLDS: dict[str, float] = {}


@dataclass(frozen=True)
class Rules:
    """The thresholds and limits one grouping runs with."""

    recording_distance: float
    variant_threshold: float | None  # None: variants are not grouped
    neighbours: int = 32  # nearest sounds each new or changed sound is compared with
    decoded_seconds: float | None = None  # ingest.max_file_seconds: longer files are cut

    @classmethod
    def from_settings(cls, settings: Settings, encoder_name: str) -> Rules:
        """The configured rules; a missing variant threshold is the encoder's measured one
        (none for encoders never measured)."""
        cfg = settings.duplicates
        variant = cfg.variant_threshold
        if variant is None:
            variant = VARIANT_THRESHOLDS.get(encoder_name)
        return cls(
            cfg.recording_distance, variant, cfg.neighbours, settings.ingest.max_file_seconds
        )


@dataclass(frozen=True)
class Candidate:
    """What the rules need to know of one sound."""

    duration: float | None
    fingerprint: Print | None  # None: indexed before fingerprints were taken


def same_length(a: float | None, b: float | None) -> bool:
    """Whether two durations can be one recording's (unknown ones cannot)."""
    return a is not None and b is not None and abs(a - b) <= DURATION_TOLERANCE


def classify(a: Candidate, b: Candidate, cosine: float, rules: Rules) -> str | None:
    """``"recording"``, ``"variant"`` or None for two neighbours with this cosine."""
    if cosine < CANDIDATE_COSINE:
        return None
    if _same_recording(a, b, rules.recording_distance):
        return "recording"
    if rules.variant_threshold is not None and cosine >= rules.variant_threshold:
        return "variant"
    return None


def _same_recording(a: Candidate, b: Candidate, max_distance: float) -> bool:
    if a.fingerprint is None or b.fingerprint is None:
        return False  # printed before fingerprints were taken: exact copies only
    if not same_length(a.duration, b.duration):
        return False
    return distance(a.fingerprint, b.fingerprint) <= max_distance
