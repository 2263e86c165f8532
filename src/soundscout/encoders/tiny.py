"""A tiny deterministic encoder for tests and plumbing.

Audio: log-magnitude band energies (mean and spread over time) through a fixed
random projection, so similar spectra give similar vectors. Text: a bag of hashed
words, each word a fixed random vector. It carries no meaning linking text to
audio; it only lets every code path run fast and reproducibly without a model.
Windows (for moments): 1 s every 0.5 s, the last one ending at the end of the waveform.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

from soundscout.encoders.base import Encoder, l2_normalize

_N_BANDS = 32
_FRAME = 512
_WINDOW_SECONDS, _HOP_SECONDS = 1.0, 0.5


class TinyEncoder(Encoder):
    """Random-projection encoder; see the module docstring."""

    name = "tiny"
    sample_rate = 16000

    def __init__(self, dim: int = 64, seed: int = 0) -> None:
        self.dim = dim
        self.version = f"tiny-v1-d{dim}-s{seed}"
        rng = np.random.default_rng(seed)
        self._audio_proj = rng.standard_normal((2 * _N_BANDS, dim)).astype(np.float32)
        self._seed = seed

    def _features(self, waveform: np.ndarray) -> np.ndarray:
        x = np.asarray(waveform, dtype=np.float32)
        if x.size < _FRAME:
            x = np.pad(x, (0, _FRAME - x.size))
        n_frames = x.size // _FRAME
        frames = x[: n_frames * _FRAME].reshape(n_frames, _FRAME) * np.hanning(_FRAME)
        spectrum = np.abs(np.fft.rfft(frames, axis=1))
        edges = np.unique(np.geomspace(1, spectrum.shape[1], _N_BANDS + 1).astype(int))
        bands = np.stack(
            [spectrum[:, a:b].mean(axis=1) for a, b in zip(edges[:-1], edges[1:], strict=False)],
            axis=1,
        )
        bands = np.pad(bands, ((0, 0), (0, _N_BANDS - bands.shape[1])))
        log_bands = np.log1p(100.0 * bands)
        stats = np.concatenate([log_bands.mean(axis=0), log_bands.std(axis=0)])
        return stats - stats.mean()

    def _embed_waveforms(self, waveforms: list[np.ndarray]) -> np.ndarray:
        feats = np.stack([self._features(w) for w in waveforms])
        return feats @ self._audio_proj

    def _window_spans(self, n_samples: int) -> list[tuple[int, int]]:
        window = int(_WINDOW_SECONDS * self.sample_rate)
        hop = int(_HOP_SECONDS * self.sample_rate)
        if n_samples <= window:
            return [(0, n_samples)]
        starts = list(range(0, n_samples - window, hop)) + [n_samples - window]
        return [(s, s + window) for s in starts]

    def window_times(self, n_samples: int) -> list[tuple[float, float]]:
        """(start, end) seconds of each window :meth:`embed_windows` returns."""
        sr = self.sample_rate
        return [(a / sr, b / sr) for a, b in self._window_spans(n_samples)]

    def embed_windows(self, waveform: np.ndarray) -> np.ndarray:
        """One L2-normalised vector per window (times from :meth:`window_times`)."""
        spans = self._window_spans(len(waveform))
        return l2_normalize(self._embed_waveforms([waveform[a:b] for a, b in spans]))

    def _word_vector(self, word: str) -> np.ndarray:
        digest = hashlib.sha1(f"{self._seed}:{word}".encode()).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
        return rng.standard_normal(self.dim).astype(np.float32)

    def _embed_texts(self, texts: list[str]) -> np.ndarray:
        rows = []
        for text in texts:
            words = re.findall(r"\w+", text.lower()) or [""]
            rows.append(np.sum([self._word_vector(w) for w in words], axis=0))
        return np.stack(rows)


def create_tiny_encoder(
    device: str = "auto", weights: str | Path | None = None, **options: object
) -> TinyEncoder:
    """Factory used by the registry; ``dim`` and ``seed`` may be given as options."""
    dim = int(options.get("dim", 64))  # type: ignore[arg-type]
    seed = int(options.get("seed", 0))  # type: ignore[arg-type]
    return TinyEncoder(dim=dim, seed=seed)
