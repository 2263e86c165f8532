"""Load cached shards, deduplicate by decoded content, embed captions once."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

import numpy as np
import torch

from training import config
from training.captions import path_caption, sfx_category, vary
from training.features import all_sources


@dataclass
class Pool:
    """Items of one split with their log-mel variants."""

    items: list[dict]
    mels: list[list[torch.Tensor]]


def load_pools() -> tuple[Pool, Pool, dict[str, str]]:
    """(train, heldout, licences); a sound is kept once, held-out copies win."""
    shards = {}
    for source in all_sources():
        path = config.FEATS / f"{source}.pt"
        if path.exists():
            shards[source] = torch.load(path, weights_only=False)
    licences = {s: d["licence"] for s, d in shards.items()}
    order = sorted(shards, key=lambda s: (s not in config.HOLDOUT, all_sources().index(s)))
    seen: set[str] = set()
    train, held = Pool([], []), Pool([], [])
    for source in order:
        data = shards[source]
        for item, mels in zip(data["items"], data["mels"], strict=True):
            if source in config.SFX_PACKAGES and not recaption(item):
                continue
            if item["content"] in seen:
                item["duplicate"] = True
                continue
            seen.add(item["content"])
            pool = held if item["split"] == "heldout" else train
            pool.items.append(item)
            pool.mels.append(mels)
    return train, held, licences


def recaption(item: dict) -> bool:
    """Captions and category of an SFX item again from its path (the caption stage).

    Runs at load time, so caption rules can change without recomputing features.
    Returns False when the path no longer yields a caption.
    """
    caption = path_caption(item["path"], item["package"])
    if not caption:
        return False
    item["captions"] = vary(caption, random.Random(item["sha1"]))
    item["category"] = sfx_category(caption)
    return True


def caption_embeddings(
    captions: list[str], tower: str | None = None, text_case: str = "as-typed"
) -> dict[str, np.ndarray]:
    """Text-tower vectors of captions (each caption's :func:`case_forms` averaged, as the
    encoder does with a query), the tower's vector of each form cached in
    ``feats/text-<tower>.pt``; ``tower`` defaults to the recipe's net config's (evaluate
    passes the run's own)."""
    from soundscout.encoders.builtin import cased_text_vectors, load_text_tower
    from soundscout.encoders.builtin_config import case_forms, load_config

    tower = tower or load_config(config.NET).text_tower
    path = config.FEATS / f"text-{tower}.pt"
    cache: dict[str, np.ndarray] = torch.load(path, weights_only=False) if path.exists() else {}
    forms = {f for c in captions for f in case_forms(c, text_case)}
    missing = sorted(forms - set(cache))
    if missing:
        vecs = load_text_tower(tower).encode(missing)
        cache.update(zip(missing, vecs.astype(np.float32), strict=True))
        part = path.with_name(f"{path.name}.{os.getpid()}.part")
        torch.save(cache, part)
        os.replace(part, path)  # side-by-side runs never read a half-written cache
    if text_case == "as-typed":
        return cache
    captions = sorted(set(captions))
    lookup = lambda texts: np.stack([cache[t] for t in texts])  # noqa: E731
    return dict(zip(captions, cased_text_vectors(captions, text_case, lookup), strict=True))


def group_of(item: dict) -> str:
    """Source group used to balance sampling."""
    pkg = item["package"]
    if pkg in config.VOICE_PACKAGES:
        return "voice"
    if pkg == "soundscout-synth":
        return "synth"
    if "render" in item:
        return "soundfont"
    return "sfx"


GROUP_WEIGHTS = {"soundfont": 0.42, "sfx": 0.42, "voice": 0.06, "synth": 0.10}
