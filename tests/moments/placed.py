"""Sounds placed in beds, for the occurrence tests: a sound with a course in time, a bed
that drifts and swells, and the sound added into the bed at a chosen level."""

from __future__ import annotations

import numpy as np

SR = 16000


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x))))


def event(seed: int = 1, seconds: float = 1.2) -> np.ndarray:
    """A sound with a course in time: three tone blips and a noise burst, each its own band."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    x = np.zeros_like(t)
    for k, f in enumerate(rng.uniform(300, 3000, 3)):
        on = (t >= 0.3 * k) & (t < 0.3 * k + 0.2)
        x += on * np.sin(2 * np.pi * f * t) * np.exp(-8 * (t - 0.3 * k)).clip(max=1)
    burst = (t >= 0.9) & (t < 1.1)
    x += burst * rng.normal(0, 0.5, len(t))
    return (0.3 * x / np.abs(x).max()).astype(np.float32)


def bed(seconds: float, seed: int = 7) -> np.ndarray:
    """A bed: slowly swelling coloured noise and two drifting tones (as loud as a room)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    noise = np.cumsum(rng.normal(0, 1, n)).astype(np.float32)
    noise -= np.convolve(noise, np.ones(64) / 64, mode="same")  # brown, low end removed
    t = np.arange(n) / SR
    swell = 1 + 0.5 * np.sin(2 * np.pi * 0.07 * t)
    tones = np.sin(2 * np.pi * (220 + 20 * np.sin(0.3 * t)) * t) + 0.5 * np.sin(
        2 * np.pi * 1310 * t
    )
    x = noise / noise.std() * swell + 0.4 * tones
    return (0.1 * x / _rms(x)).astype(np.float32)


def place(base: np.ndarray, sound: np.ndarray, at: float, snr_db: float) -> np.ndarray:
    """``sound`` added into ``base`` at ``at`` seconds, its RMS ``snr_db`` against the
    base's RMS over the same stretch."""
    out = base.copy()
    i = int(at * SR)
    stretch = out[i : i + len(sound)]
    gain = _rms(stretch) / _rms(sound) * 10 ** (snr_db / 20)
    out[i : i + len(sound)] += gain * sound
    return out
