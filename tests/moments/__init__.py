"""Long recordings for the moments tests: quiet noise with a distinct burst at known times.

Import as ``from tests.moments import ...``. The burst (a 1.5 s square wave) is also
written as a short file of its own, to search with. The "hum" sounds are short files of a
quieter square wave under louder noise: as whole files they are closer to the burst than
a long recording's file vector is (mostly quiet noise), and further than the burst's own
stretch of it, so only a search inside long files ranks the long files first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.audiogen import tone, write_audio

SR = 16000
BURST_SECONDS = 1.5
_BURST_HZ = 880.0
_NOISE_AMP = 0.05
#: (frequency, square amplitude, noise amplitude) of each hum sound.
_HUMS = ((880, 0.1, 0.2), (880, 0.1, 0.1), (1000, 0.1, 0.2), (880, 0.2, 0.2))


def burst(seconds: float = BURST_SECONDS) -> np.ndarray:
    """The burst: a loud 880 Hz square wave."""
    return tone(_BURST_HZ, seconds, SR, kind="square", amp=0.5)


def recording(seconds: float, bursts_at: tuple[float, ...] = (), seed: int = 0) -> np.ndarray:
    """Quiet white noise with the burst starting at each of ``bursts_at`` seconds."""
    x = tone(0, seconds, SR, kind="noise", amp=_NOISE_AMP, seed=seed)
    b = burst()
    for at in bursts_at:
        i = int(round(at * SR))
        x[i : i + len(b)] += b[: len(x) - i]
    return x


def write_recording(
    path: Path, seconds: float, bursts_at: tuple[float, ...] = (), seed: int = 0
) -> Path:
    """A WAV of :func:`recording` at 16 kHz."""
    return write_audio(path, recording(seconds, bursts_at, seed), SR)


def write_burst(path: Path) -> Path:
    """The burst alone, as a WAV to search with."""
    return write_audio(path, burst(), SR)


def write_hum(path: Path, i: int) -> Path:
    """The ``i``-th hum (0-3): a 2 s decoy, see the module docstring."""
    freq, amp, noise = _HUMS[i]
    x = tone(freq, 2.0, SR, kind="square", amp=amp) + tone(
        0, 2.0, SR, kind="noise", amp=noise, seed=20 + i
    )
    return write_audio(path, x, SR)


def span(at: float, seconds: float = BURST_SECONDS) -> tuple[float, float]:
    """The true time range of a burst starting at ``at``."""
    return at, at + seconds


def iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Intersection over union of two time ranges."""
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


@dataclass(frozen=True)
class MomentsLibrary:
    """A generated folder of long recordings, decoys and short sounds, and the query."""

    sounds: Path
    query: Path  # the burst alone, outside ``sounds``
    field_a: Path  # 50 s, burst at A_AT, folder forest/
    field_b: Path  # 45 s, burst at B_AT, folder harbour/
    field_c: Path  # 40 s, no burst, folder quiet/
    hums: tuple[Path, ...]  # 2 s decoys, folder hum/
    noises: tuple[Path, ...]  # 3 s of quiet noise, folder noise/

    @property
    def long(self) -> tuple[Path, ...]:
        """The long recordings."""
        return (self.field_a, self.field_b, self.field_c)

    @property
    def count(self) -> int:
        """How many sounds ``sounds`` holds."""
        return len(self.long) + len(self.hums) + len(self.noises)


A_AT, B_AT = 31.0, 12.0


def make_moments_library(root: Path) -> MomentsLibrary:
    """Write :class:`MomentsLibrary` under ``root`` (sounds in ``root/sounds``)."""
    sounds = root / "sounds"
    return MomentsLibrary(
        sounds=sounds,
        query=write_burst(root / "query" / "burst.wav"),
        field_a=write_recording(sounds / "forest" / "field_a.wav", 50.0, (A_AT,), seed=1),
        field_b=write_recording(sounds / "harbour" / "field_b.wav", 45.0, (B_AT,), seed=2),
        field_c=write_recording(sounds / "quiet" / "field_c.wav", 40.0, seed=3),
        hums=tuple(write_hum(sounds / "hum" / f"hum_{i}.wav", i) for i in range(len(_HUMS))),
        noises=tuple(
            write_audio(
                sounds / "noise" / f"noise_{i}.wav",
                tone(0, 3.0, SR, kind="noise", amp=_NOISE_AMP, seed=10 + i),
                SR,
            )
            for i in range(2)
        ),
    )
