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


def test_teacher_term_pulls_the_student_towards_the_teachers_neighbours():
    import torch.nn.functional as F

    from training.train import teacher_term

    torch.manual_seed(0)
    # Four items with a teacher vector (two pairs of near neighbours), two without.
    base = F.normalize(torch.randn(2, 16), dim=-1)
    tv = F.normalize(torch.cat([base[:1], base[:1], base[1:], base[1:]]) + 0.05, dim=-1)
    vecs = torch.cat([tv, torch.zeros(2, 16)])
    has = torch.tensor([True, True, True, True, False, False])
    idx = [0, 1, 2, 3, 4, 5]
    agree = F.normalize(torch.tensor([[1.0, 0], [1, 0], [0, 1], [0, 1], [1, 1], [1, -1]]), dim=-1)
    disagree = agree[[0, 2, 1, 3, 4, 5]]  # each item's neighbour swapped for a stranger
    loss_agree = teacher_term((vecs, has), idx, agree, agree, 0.1, 0.1)
    loss_disagree = teacher_term((vecs, has), idx, disagree, disagree, 0.1, 0.1)
    assert loss_agree is not None and loss_disagree is not None
    assert loss_agree < loss_disagree - 1.0
    # Too few items with a teacher vector in the batch: no term.
    assert teacher_term((vecs, has), [0, 4, 5], agree[:3], agree[:3], 0.1, 0.1) is None
