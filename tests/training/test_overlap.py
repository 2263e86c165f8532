"""Near-copy detection between training and held-out sounds (training/overlap.py)."""

from __future__ import annotations

import numpy as np
import torch

from soundscout.encoders.builtin_net import LogMel, load_config
from training.overlap import near_copies

SR = 16000


def _mel(wave: np.ndarray) -> list[torch.Tensor]:
    return [LogMel(load_config("builtin"))(torch.from_numpy(wave.astype(np.float32)))]


def _sounds(seed: int, n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        t = np.arange(int(SR * rng.uniform(0.3, 1.5))) / SR
        tone = np.sin(2 * np.pi * rng.uniform(60, 3000) * t) * np.exp(-t * rng.uniform(1, 12))
        noise = rng.standard_normal(t.size) * rng.uniform(0, 0.5) * np.exp(-t * 3)
        out.append(tone + noise if i % 2 else tone)
    return out


def test_a_reencoded_copy_is_found_and_distinct_sounds_are_not():
    held_waves = _sounds(0, 12)
    held = [({"package": "held", "path": f"h{i}"}, _mel(w)) for i, w in enumerate(held_waves)]
    rng = np.random.default_rng(1)
    copy = held_waves[3] * 0.5 + rng.standard_normal(held_waves[3].size) * 1e-4  # quieter, dithered
    train = [({"package": "copies", "path": "copy"}, _mel(copy))]
    train += [
        ({"package": "other", "path": f"t{i}"}, _mel(w)) for i, w in enumerate(_sounds(2, 12))
    ]
    found = near_copies(train, held)
    assert set(found) == {"copies"}
    assert found["copies"][0]["heldout_path"] == "h3"
