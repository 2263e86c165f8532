"""Procedurally synthesised sounds with known parameters and captions.

Risers, impacts, whooshes, drones, noise bursts, blips, sweeps, kicks, beeps: each
generator draws its parameters from a seeded RNG and words its caption from them.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from training.config import SAMPLE_RATE as SR


def _t(seconds: float) -> np.ndarray:
    return np.arange(int(seconds * SR)) / SR


def _noise(rng: np.random.Generator, n: int, color: str) -> np.ndarray:
    white = rng.standard_normal(n)
    if color == "white":
        return white
    spec = np.fft.rfft(white)
    f = np.maximum(np.fft.rfftfreq(n, 1 / SR), 20.0)
    spec /= np.sqrt(f) if color == "pink" else f
    out = np.fft.irfft(spec, n)
    return out / (np.abs(out).max() + 1e-9)


def _bandpass(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    sos = signal.butter(2, [max(lo, 30), min(hi, SR / 2 - 100)], btype="band", fs=SR, output="sos")
    return signal.sosfilt(sos, x)


def riser(rng):
    d = rng.uniform(1.5, 4.0)
    t = _t(d)
    f = 200 * (rng.uniform(4, 12)) ** (t / d)
    x = np.sin(2 * np.pi * np.cumsum(f) / SR) * (t / d) ** 1.5
    x += 0.3 * _noise(rng, t.size, "white") * (t / d) ** 2
    return x, "rising synth riser building tension"


def impact(rng):
    d = rng.uniform(0.4, 1.5)
    t = _t(d)
    f0 = rng.uniform(40, 120)
    body = np.sin(2 * np.pi * f0 * t) * np.exp(-t * rng.uniform(4, 10))
    crack = _noise(rng, t.size, "white") * np.exp(-t * 40)
    big = f0 < 70
    return body + 0.5 * crack, "big cinematic impact hit" if big else "short punchy impact thud"


def whoosh(rng):
    d = rng.uniform(0.4, 1.5)
    t = _t(d)
    env = np.sin(np.pi * t / d) ** 2
    centre = 300 + 2500 * np.sin(np.pi * t / d)
    n = _noise(rng, t.size, "pink")
    out = np.zeros_like(n)
    for i in range(0, t.size, 512):
        c = centre[i]
        out[i : i + 512] = _bandpass(n[max(0, i - 512) : i + 512], c * 0.5, c * 1.8)[
            -len(out[i : i + 512]) :
        ]
    return out * env, "fast whoosh swoosh passing by"


def drone(rng):
    d = rng.uniform(3.0, 6.0)
    t = _t(d)
    f0 = rng.uniform(40, 110)
    x = sum(
        np.sin(2 * np.pi * f0 * k * (1 + 0.002 * rng.standard_normal()) * t) / k
        for k in range(1, 6)
    )
    x *= 1 + 0.3 * np.sin(2 * np.pi * rng.uniform(0.1, 0.5) * t)
    return x, "dark low ambient drone"


def noise_burst(rng):
    d = rng.uniform(0.05, 0.6)
    color = rng.choice(["white", "pink", "brown"])
    t = _t(d)
    return _noise(rng, t.size, color) * np.exp(
        -t * rng.uniform(3, 20)
    ), f"short {color} noise burst"


def blip(rng):
    d = rng.uniform(0.05, 0.25)
    t = _t(d)
    f = rng.uniform(600, 2500)
    wave = np.sign(np.sin(2 * np.pi * f * t)) if rng.random() < 0.5 else np.sin(2 * np.pi * f * t)
    return wave * np.exp(-t * 15), "short electronic blip, game interface beep"


def sweep(rng):
    d = rng.uniform(0.3, 2.0)
    up = rng.random() < 0.5
    f = signal.chirp(_t(d), 100 if up else 4000, d, 4000 if up else 100, method="logarithmic")
    return f * np.hanning(f.size) ** 0.3, "upward sine sweep" if up else "downward falling sweep"


def laser(rng):
    d = rng.uniform(0.15, 0.5)
    t = _t(d)
    f = rng.uniform(1500, 3500) * np.exp(-t * rng.uniform(5, 15))
    x = np.sign(np.sin(2 * np.pi * np.cumsum(f) / SR)) * np.exp(-t * 6)
    return x, "sci-fi laser zap shot"


def synth_kick(rng):
    d = rng.uniform(0.25, 0.8)
    t = _t(d)
    f = rng.uniform(40, 60) + rng.uniform(100, 250) * np.exp(-t * 30)
    x = np.sin(2 * np.pi * np.cumsum(f) / SR) * np.exp(-t * rng.uniform(5, 12))
    return x, "deep electronic 808 kick drum"


def beep_tone(rng):
    d = rng.uniform(0.2, 1.0)
    f = rng.choice([440, 880, 1000, 1200])
    x = np.sin(2 * np.pi * f * _t(d))
    return x * np.hanning(x.size) ** 0.1, "steady sine beep tone"


def rain(rng):
    d = rng.uniform(2.0, 5.0)
    n = int(d * SR)
    x = 0.2 * _noise(rng, n, "pink")
    for _ in range(int(d * rng.uniform(30, 120))):
        i = rng.integers(0, n - 400)
        x[i : i + 400] += (
            rng.uniform(0.2, 1.0) * _noise(rng, 400, "white") * np.exp(-np.arange(400) / 40)
        )
    return x, "rain falling, steady rain ambience"


GENERATORS = [
    riser,
    impact,
    whoosh,
    drone,
    noise_burst,
    blip,
    sweep,
    laser,
    synth_kick,
    beep_tone,
    rain,
]


def generate(count: int, seed: int):
    """Yield (meta, waveform) for ``count`` synthesised sounds."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        gen = GENERATORS[i % len(GENERATORS)]
        x, caption = gen(rng)
        x = np.asarray(x, dtype=np.float64)
        x = (x / (np.abs(x).max() + 1e-9) * 0.8).astype(np.float32)
        yield (
            {
                "captions": [caption],
                "category": f"synth: {gen.__name__}",
                "render": f"{gen.__name__} #{i}",
            },
            x,
        )
