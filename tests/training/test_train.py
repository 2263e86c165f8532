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


def test_teacher_feature_term_trains_a_head_onto_the_teachers_vectors_of_covered_items():
    import torch.nn.functional as F

    from training.train import teacher_feature_term

    torch.manual_seed(0)
    vecs = F.normalize(torch.randn(6, 8), dim=-1)
    has = torch.tensor([True, True, True, False, True, False])
    student = torch.randn(6, 4)
    head = torch.nn.Linear(4, 8)
    opt = torch.optim.SGD(head.parameters(), lr=0.5)
    first = teacher_feature_term((vecs, has), range(6), head, (student,))
    for _ in range(200):
        loss = teacher_feature_term((vecs, has), range(6), head, (student,))
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert first is not None and loss < 0.05 < first - 0.3
    # The items without a teacher vector were no target: the head is free on them.
    assert float(F.cosine_similarity(head(student[3:4]), vecs[3:4]).item()) < 0.9
    assert teacher_feature_term((vecs, has), [3, 5], head, (student,)) is None


def test_a_sound_over_a_bed_sits_inside_a_full_window_with_the_bed_quieter():
    import random

    from soundscout.encoders.builtin_net import PAD_VALUE
    from training.train import bed_pool, over_bed

    event = torch.full((8, 30), 2.0)  # 30 loud frames
    bed = torch.full((8, 500), 1.0)
    rng = random.Random(0)
    for _ in range(20):
        out, n = over_bed(event, 30, bed, rng, 200)
        assert n == 200 and out.shape == (8, 200)
        loud = (out[0] >= 2.0).nonzero().flatten()
        assert len(loud) == 30 and int(loud[-1] - loud[0]) == 29  # one run, the event's length
        rest = torch.cat([out[:, : int(loud[0])], out[:, int(loud[-1]) + 1 :]], dim=1)
        # The bed alone elsewhere: its own level lowered by 0-15 dB (0.75 scaled units/dB).
        assert ((rest <= 1.0 + 1e-5) & (rest >= 1.0 - 15 / 20 - 1e-5)).all()
    short_bed = torch.full((8, 70), 1.0)  # a trimmed copy: looped to fill the window
    out, n = over_bed(event, 30, short_bed, rng, 200)
    assert n == 200 and out.shape == (8, 200) and (out >= 1.0 - 15 / 20 - 1e-5).all()
    silent = torch.full((8, 500), PAD_VALUE)
    out, _ = over_bed(event, 30, silent, random.Random(1), 200)
    assert torch.isclose(out, torch.tensor(2.0), atol=1e-3).sum() == 8 * 30

    items = [{"captions": [c]} for c in ("rain on a roof", "dog barking", "forest ambience")]
    mels = [[torch.zeros(8, 300)], [torch.zeros(8, 300)], [torch.zeros(8, 100)]]
    assert bed_pool(items, mels, 200) == [0]  # the dog is no bed; the forest is too short


def test_weight_average_ramps_up_so_the_first_steps_fade_out():
    from torch.optim.swa_utils import AveragedModel

    from training.train import ema_average

    model = torch.nn.Linear(1, 1, bias=False)
    ema = AveragedModel(model, avg_fn=ema_average(0.999), use_buffers=True)
    with torch.no_grad():
        model.weight.fill_(100.0)
    ema.update_parameters(model)  # the first update copies the weights
    with torch.no_grad():
        model.weight.fill_(0.0)
    for _ in range(300):
        ema.update_parameters(model)
    # A plain 0.999 average would still hold 0.999**300 = 74% of the first weights (74.1);
    # ramped up, they are gone.
    assert float(ema.module.weight.detach()) < 1.0
    with torch.no_grad():
        model.weight.fill_(1.0)
    ema.update_parameters(model)
    # One step moves the average by 1 - 0.97 (the decay after 301 updates), not all the way.
    assert 0.01 < float(ema.module.weight.detach()) < 0.05
