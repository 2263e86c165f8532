"""A relevance a person can read: the chance that a result is what was asked for.

Raw scores say little on their own (a builtin text query's cosines sit in 0.14-0.21
whether the hit is good or bad). Three features do: how far a sound's score stands above
the library's for the same query (``sound_z``: standard deviations over a sample of the
library), the share of the query's words its names and tags hold (``coverage``), and
whether it holds none of them while other sounds do (``unmatched``). A logistic model of
each search mode turns them into 0..1, fitted on held-out queries
(``benchmarks/eval_fusion.py``; docs/search.md has the data and the fit), and bands name
it: strong, fair, weak.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Calibration:
    """Logistic coefficients: intercept, per standard deviation of sound score, per unit
    of word coverage, and for a result holding none of the query's words when others in
    the library do (``unmatched``)."""

    intercept: float
    sound_z: float
    coverage: float
    unmatched: float = 0.0

    def __call__(
        self, sound_z: float | None, coverage: float | None, unmatched: bool = False
    ) -> float:
        x = self.intercept + self.sound_z * (sound_z or 0.0) + self.coverage * (coverage or 0.0)
        x += self.unmatched if unmatched else 0.0
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, x))))


#: Fitted per mode of the text side on the top 20 of 91 held-out queries (the recipe's
#: held-out SFX packages and soundfont, named and anonymous: 3,640 results per mode).
CALIBRATIONS = {
    "sound": Calibration(intercept=-3.76, sound_z=1.68, coverage=0.0),
    "words": Calibration(intercept=-3.50, sound_z=0.0, coverage=8.82),
    "both": Calibration(intercept=-3.68, sound_z=1.57, coverage=5.72, unmatched=-0.78),
}
#: Lower edges of the bands.
STRONG, FAIR = 0.6, 0.3
#: What a result's relevance is scaled by when no word of its query is known (to the
#: lexicon, in any of its languages) and no sound's words hold them: the sound side's guess
#: alone is never strong, and mostly weak ("qwertyuiop", docs/search.md: on held-out
#: queries such results were relevant 0.17 of the time; scaled, 0.21 is said on average,
#: the fair ones were relevant 0.33-0.39 of the time and the weak ones 0.13-0.16).
UNKNOWN_WORDS_SCALE = 0.4


def relevance(
    mode: str, sound_z: float | None, coverage: float | None, unmatched: bool = False
) -> float:
    """Calibrated relevance in 0..1 of one result of a text query searched by ``mode``."""
    return CALIBRATIONS[mode](sound_z, coverage, unmatched)


def band(value: float) -> str:
    """``strong``, ``fair`` or ``weak``."""
    if value >= STRONG:
        return "strong"
    return "fair" if value >= FAIR else "weak"
