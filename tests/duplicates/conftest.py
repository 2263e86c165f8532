"""Sounds for the duplicates tests: one recording and what a library does to it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soxr

from tests.audiogen import tone, write_audio

SR = 44100


def recording(seed: int = 0, seconds: float = 2.0, sr: int = SR) -> np.ndarray:
    """A sound with a course in time: a pitched hit over a noise bed, seeded."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    hits = np.zeros_like(t)
    for start in np.sort(rng.uniform(0, seconds * 0.8, 4)):
        env = np.where(t >= start, np.exp(-(t - start) * rng.uniform(4, 12)), 0.0)
        hits += env * np.sin(2 * np.pi * rng.uniform(150, 900) * t)
    bed = tone(0, seconds, sr, kind="noise", seed=seed, amp=0.03)
    return (0.5 * hits / max(np.abs(hits).max(), 1e-9) + bed).astype(np.float32)


def resampled(x: np.ndarray, sr: int, to: int) -> np.ndarray:
    """``x`` at another sample rate (what a library's 48 kHz copy holds)."""
    return soxr.resample(x, sr, to).astype(np.float32)


def reverb(x: np.ndarray, sr: int, seconds: float = 0.4) -> np.ndarray:
    """``x`` through a decaying-noise reverb, mixed 50/50 (another effect, same source)."""
    rng = np.random.default_rng(99)
    n = int(seconds * sr)
    tail = rng.standard_normal(n) * np.exp(-np.arange(n) / (0.1 * sr))
    wet = np.convolve(x, tail / np.abs(tail).sum() * 20)[: x.size]
    return (0.5 * x + 0.5 * wet / max(np.abs(wet).max(), 1e-9) * np.abs(x).max()).astype(np.float32)


#: The copies of :func:`recording` in :func:`copies_library`, and which --collapse keeps:
#: lossless before lossy, then the higher sample rate, then the longer.
COPIES = ("hit.mp3", "hit_22k.wav", "hit_48k.flac", "hit.wav", "hit_trim.wav")
BEST = "hit_48k.flac"


def copies_library(root: Path) -> Path:
    """Five copies of one recording and four other sounds under ``root``."""
    x = recording()
    write_audio(root / "pack1" / "hit.mp3", x, SR)
    write_audio(root / "pack1" / "hit_22k.wav", resampled(x, SR, 22050), 22050)
    write_audio(root / "pack2" / "hit_48k.flac", resampled(x, SR, 48000), 48000)
    write_audio(root / "pack2" / "hit.wav", x, SR)
    write_audio(root / "pack3" / "hit_trim.wav", x[2205:-2205], SR)
    write_audio(root / "other" / "kick.wav", tone(55, 1.0, SR, kind="kick"), SR)
    write_audio(root / "other" / "beep.wav", tone(880, 0.5, SR, kind="square"), SR)
    write_audio(root / "other" / "sweep.ogg", tone(200, 1.5, SR, kind="chirp"), SR)
    write_audio(root / "other" / "take2.wav", recording(seed=2), SR)
    return root
