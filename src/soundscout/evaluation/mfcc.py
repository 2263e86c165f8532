"""The MFCC-statistics baseline: what a plain spectral-envelope description scores.

Per file: the builtin model's own log-mel front-end (64 bands, 16 kHz, 10 ms hop), a
DCT-II along the bands, the mean and standard deviation over time of the first 20
coefficients (40 numbers). Over the evaluated set each of the 40 is standardised (zero
mean, unit variance) before the rows are L2-normalised, so no coefficient dominates the
cosine. This is the baseline of the training recipe's held-out evaluation
(``training/evaluate.py``); it has no text side.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import numpy as np

#: Name under which ``soundscout eval`` accepts the baseline (``--encoder mfcc``).
NAME = "mfcc"
N_COEFFS = 20


@cache
def _front_end():  # type: ignore[no-untyped-def]
    """The builtin model's log-mel front-end (torch), built once."""
    from soundscout.encoders.builtin_net import LogMel, load_config

    cfg = load_config("builtin")
    return LogMel(cfg).eval(), cfg.sample_rate


def sample_rate() -> int:
    """The rate waveforms must have for :func:`mfcc_statistics`."""
    return int(_front_end()[1])


@contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one thread (restored after): the front-end is small, and on a busy CPU
    two threads run it some 20x slower than one."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def dct_matrix(n_coeffs: int, n_bands: int) -> np.ndarray:
    """DCT-II basis, shape (n_coeffs, n_bands): row j is ``cos(pi / n * (b + 0.5) * j)``."""
    bands = np.arange(n_bands)
    return np.cos(np.pi / n_bands * (bands[None, :] + 0.5) * np.arange(n_coeffs)[:, None])


def mfcc_statistics(waveform: np.ndarray, n_coeffs: int = N_COEFFS) -> np.ndarray:
    """Mean and standard deviation over time of the first ``n_coeffs`` MFCCs of a mono
    waveform at :func:`sample_rate`: float64, shape (2 * n_coeffs,)."""
    import torch

    front, _ = _front_end()
    with torch.inference_mode():
        mel = front(torch.from_numpy(np.ascontiguousarray(waveform, dtype=np.float32)))
    mel_np = mel.numpy().astype(np.float64)
    coeffs = dct_matrix(n_coeffs, mel_np.shape[0]) @ mel_np
    return np.concatenate([coeffs.mean(axis=1), coeffs.std(axis=1)])


def standardise(features: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Each column to zero mean and unit variance over the rows, then rows L2-normalised
    (float32): the vectors the baseline is ranked by."""
    f = np.asarray(features, dtype=np.float64)
    f = (f - f.mean(axis=0)) / (f.std(axis=0) + eps)
    norms = np.linalg.norm(f, axis=1, keepdims=True)
    return (f / np.maximum(norms, 1e-12)).astype(np.float32)
