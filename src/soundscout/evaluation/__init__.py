"""`soundscout eval`: measure encoders on a user's own labelled sounds.

``labels`` says which files belong together, ``vectors`` gets each encoder's vectors
(from the library when it already holds them, else embedded in a throwaway library),
``mfcc`` is the MFCC-statistics baseline, ``metrics`` scores rankings, ``run`` ties them
together and ``report``/``html`` show the result. See ``docs/eval.md``.
"""

from soundscout.errors import SoundscoutError


class EvaluationError(SoundscoutError):
    """`soundscout eval` cannot measure what it was asked to: bad folder, labels or queries."""

    status_code = 422
    code = "evaluation_error"
