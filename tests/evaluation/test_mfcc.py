"""The MFCC-statistics baseline: DCT, statistics, standardisation over the set."""

from __future__ import annotations

import numpy as np
import pytest

from soundscout.evaluation import metrics, mfcc
from tests.audiogen import tone


def test_dct_rows_are_orthogonal_cosines() -> None:
    basis = mfcc.dct_matrix(20, 64)
    assert basis.shape == (20, 64)
    assert np.allclose(basis[0], 1.0)  # c0: the sum of the bands
    gram = basis @ basis.T
    assert np.allclose(gram - np.diag(np.diag(gram)), 0.0, atol=1e-9)


def test_constant_bands_have_only_c0() -> None:
    coeffs = mfcc.dct_matrix(20, 64) @ np.full(64, 3.0)
    assert coeffs[0] == pytest.approx(192.0)
    assert np.allclose(coeffs[1:], 0.0, atol=1e-9)


def test_standardise_centres_columns_and_normalises_rows() -> None:
    feats = np.random.default_rng(0).normal(5.0, [1.0, 100.0, 0.01], size=(50, 3))
    out = mfcc.standardise(feats)
    assert out.dtype == np.float32
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-6)
    # Standardised before normalising: no column dominates (raw, column 1 would).
    assert np.abs(out).mean(axis=0).min() > 0.3


def test_statistics_tell_tones_from_noise() -> None:
    rate = mfcc.sample_rate()
    sounds = [tone(220.0 * (1 + i / 10), 0.8, rate) for i in range(3)]
    sounds += [tone(0.0, 0.8, rate, kind="noise", seed=i) for i in range(3)]
    feats = np.stack([mfcc.mfcc_statistics(s) for s in sounds])
    assert feats.shape == (6, 2 * mfcc.N_COEFFS)
    precision = metrics.neighbour_precision(mfcc.standardise(feats), list("tttnnn"), k=2)
    assert precision.tolist() == [1.0] * 6
