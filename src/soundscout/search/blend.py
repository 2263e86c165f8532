"""Blending a reference sound's vector with a text's into one query vector (hybrid search)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from soundscout.encoders.base import l2_normalize


def _on_one_scale(
    audio_vec: np.ndarray, text_vec: np.ndarray, sample: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each query vector divided by the spread of its scores over library sounds.

    Sound-to-sound similarities spread far wider than text-to-sound ones (builtin: about
    0.15 against 0.03), so a plain mix lets the sound decide at any alpha short of the
    text end. Scaled, alpha 0.5 weighs both equally.
    """
    if sample.shape[0] < 8 or sample.shape[1] != audio_vec.shape[0]:
        return audio_vec, text_vec  # too few sounds to measure a spread
    spreads = [float(np.std(sample @ v)) for v in (audio_vec, text_vec)]
    if min(spreads) < 1e-6:
        return audio_vec, text_vec
    return audio_vec / spreads[0], text_vec / spreads[1]


def combine(
    audio_vec: np.ndarray | None,
    text_vec: np.ndarray | None,
    alpha: float | None,
    default_alpha: float,
    sample: Callable[[], np.ndarray],
) -> tuple[np.ndarray | None, str, float | None]:
    """The query vector, the mode ("text", "audio", "hybrid") and the alpha used; no
    vector for a text searched by its words only."""
    if audio_vec is not None and text_vec is not None:
        weight = default_alpha if alpha is None else alpha
        audio_part, text_part = _on_one_scale(audio_vec, text_vec, sample())
        return l2_normalize(weight * audio_part + (1 - weight) * text_part), "hybrid", weight
    if audio_vec is not None:
        return l2_normalize(audio_vec), "audio", None
    if text_vec is None:
        return None, "text", None
    return l2_normalize(text_vec), "text", None
