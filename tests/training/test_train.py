"""Batch drawing of the builtin recipe (training/train.py): anchors and their partners."""

from __future__ import annotations

import numpy as np
import torch

from training.train import draw_batch, pair_pools

# 40 items: captions 0..19 (two takes each), categories 0..3, packages a/b. Category 3
# lives in package "a" only.
KEYS = torch.tensor([i // 2 for i in range(40)])
CATS = torch.tensor([(i // 2) % 4 for i in range(40)])
PACKAGES = ["a" if (i // 2) % 4 == 3 or i % 2 == 0 else "b" for i in range(40)]


def _draw(packages: list[str] | None, same_cat_p: float, seed: int = 0) -> np.ndarray:
    weights = np.full(40, 1 / 40)
    return draw_batch(
        np.random.default_rng(seed),
        weights,
        16,
        pair_pools(KEYS, CATS),
        KEYS,
        CATS,
        same_cat_p,
        packages,
    )


def test_second_half_are_partners_of_the_first():
    for same_cat_p in (0.0, 1.0):
        idx = _draw(None, same_cat_p)
        anchors, partners = idx[:8], idx[8:]
        assert len(set(anchors.tolist())) == 8
        assert (anchors != partners).all()
        assert (CATS[anchors] == CATS[partners]).all()
        if same_cat_p == 0.0:  # every caption has a second take: always the caption partner
            assert (KEYS[anchors] == KEYS[partners]).all()


def test_category_partners_come_from_other_packages_where_the_category_has_them():
    crossed = same_package = 0
    for seed in range(30):
        idx = _draw(PACKAGES, 1.0, seed)
        for i, j in zip(idx[:8].tolist(), idx[8:].tolist(), strict=True):
            assert CATS[i] == CATS[j]
            if int(CATS[i]) == 3:  # only package "a" has it: the partner stays in "a"
                assert PACKAGES[j] == "a"
                same_package += 1
            else:
                assert PACKAGES[j] != PACKAGES[i]
                crossed += 1
    assert crossed > 50 and same_package > 10
    # Without packages, same-package category partners do occur.
    pairs = [
        (i, j)
        for seed in range(30)
        for idx in [_draw(None, 1.0, seed)]
        for i, j in zip(idx[:8].tolist(), idx[8:].tolist(), strict=True)
        if int(CATS[i]) != 3
    ]
    assert any(PACKAGES[i] == PACKAGES[j] for i, j in pairs)
