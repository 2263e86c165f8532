"""Stage `train`: locked-text-tower contrastive training of the audio tower.

Loss = caption InfoNCE (audio -> MiniLM text vectors, both directions, both views;
items sharing a canonical caption count as positives) + w * audio-audio InfoNCE
between two augmented views of the same sound (same-caption items positive too,
same-category items -- GM family, drum type, SFX category -- positive with weight
``cat_weight``). Half of each batch are partners of the other half (same caption or
same category, see :func:`draw_batch`), and every view is recoloured in the log-mel
domain (:func:`colour`). Measured on the held-out packages (runs of 10 epochs):
partners, category weight 1.0 and recolouring each helped; two-head designs did not.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import random
import re
import time

import numpy as np
import torch
import torch.nn.functional as F

from soundscout.encoders.builtin_net import (
    PAD_VALUE,
    AudioTower,
    bucket_size,
    count_parameters,
    load_config,
)
from training import config
from training.data import GROUP_WEIGHTS, caption_embeddings, group_of, load_pools
from training.translate import translations

#: Longest training crop in frames: 2 s, the inference window. (1 s crops cost half as
#: much but measured worse: held-out soundfont audio->audio P@10 0.717 vs 0.762.)
TRAIN_CROP = 200
#: Caption similarity (text-tower cosine) from which two sounds count as partly alike in
#: the audio-audio term, per text tower, and the span over which the target rises to 1.
#: MiniLM: 0.5 -> 0, 0.8 and above -> 1 ("dog barking" / "a dog growls" 0.69, "metal
#: clank" / "metal hit" 0.66; unrelated captions mostly below 0.4). USE multilingual
#: ranks the same pairs higher (0.83, 0.80; "door slam" / "door closing" 0.66; "piano" /
#: "violin" 0.53, unrelated 0.17-0.41), hence 0.55.
TEXT_SIM_LOWS = {"minilm": 0.5, "use-m3": 0.55}
TEXT_SIM_LOW = TEXT_SIM_LOWS["use-m3"]
TEXT_SIM_SPAN = 0.3
#: Temperature of the teacher's similarity targets (cosines of centred aisfx vectors: a
#: sound's nearest neighbour ~0.75, its fifth ~0.55, the median pair ~0; at 0.15 the
#: nearest gets ~0.2 of the weight of the sound itself and unrelated pairs ~0.001).
TEACHER_TEMP = 0.15


def crop(mel: torch.Tensor, rng: random.Random, size: int = TRAIN_CROP) -> tuple[torch.Tensor, int]:
    """A random training window of a cached log-mel (the inference windowing, randomised)."""
    n = mel.shape[-1]
    if n > size:
        start = rng.randrange(0, n - size + 1)
        return mel[:, start : start + size].float(), size
    return mel.float(), n


def spec_augment(x: torch.Tensor, rng: random.Random, n: int) -> torch.Tensor:
    """One frequency mask and one time mask (in place on a copy)."""
    x = x.clone()
    f = rng.randrange(0, 8)
    f0 = rng.randrange(0, x.shape[0] - f + 1)
    x[f0 : f0 + f] = PAD_VALUE
    t = rng.randrange(0, max(1, n // 8))
    t0 = rng.randrange(0, max(1, n - t))
    x[:, t0 : t0 + t] = PAD_VALUE
    return x


def colour(x: torch.Tensor, rng: random.Random, n: int) -> torch.Tensor:
    """Another recording chain, in the log-mel domain: a smooth random EQ curve
    (three cosines over the mel axis, up to about +-5 dB each) and, sometimes, a shift
    of one or two mel bands (a small pitch and formant shift). Cheap, so every view
    of every step gets a new one, on top of the cached augmented copies."""
    x = x.clone()
    bands = x.shape[0]
    if rng.random() < 0.7:
        pos = torch.arange(bands, dtype=torch.float32) + 0.5
        curve = sum(
            rng.uniform(-0.25, 0.25) * torch.cos(math.pi * k * pos / bands + rng.uniform(0, 6.3))
            for k in (1, 2, 3)
        )
        x[:, :n] = (x[:, :n] + curve[:, None]).clamp_min(PAD_VALUE)
    if rng.random() < 0.4:
        shift = rng.choice([-2, -1, 1, 2])
        x = torch.roll(x, shifts=shift, dims=0)
        if shift > 0:
            x[:shift] = PAD_VALUE
        else:
            x[shift:] = PAD_VALUE
    return x


def log_mix(x: torch.Tensor, other: torch.Tensor, n: int, ratio: float) -> torch.Tensor:
    """``x`` with ``other`` mixed in underneath, in power (log-mixup-exp, as in BYOL-A):
    the sound stays the subject, another recording plays quietly behind it."""
    to_log_power = math.log(10) / 10 * 20  # scaled log-mel unit -> natural log of power
    m = min(n, other.shape[-1])
    out = x.clone()
    a = x[:, :m] * to_log_power
    b = other[:, :m] * to_log_power + math.log(ratio)
    out[:, :m] = torch.logaddexp(a, b) / to_log_power
    return out


#: Captions of recordings that can serve as a bed (a continuous background) under another
#: sound: ambiences, weather, water, fire, engines, crowds, music, drones, noise.
BED_WORDS = re.compile(
    r"\b(ambien\w*|atmos\w*|amb|loop\w*|room|crowd\w*|rain\w*|wind|storm|water|river|ocean|"
    r"waves?|stream|fire|burn\w*|engine|motor|hum\w*|drone\w*|noise|music|song|theme|"
    r"forest|city|traffic|birds|insects?|crickets?|machine\w*)\b"
)
#: Bed level against the sound placed over it, in dB of power (the moments evaluation's
#: range is -20 to 0 dB of event against bed: the bed is as loud as the sound or quieter).
BED_DB = (-15.0, 0.0)


def bed_pool(items: list[dict], mels: list[list[torch.Tensor]], frames: int) -> list[int]:
    """Items that can be a bed: a bed-like caption and at least ``frames`` frames cached."""
    return [
        i
        for i, it in enumerate(items)
        if mels[i][0].shape[-1] >= frames and BED_WORDS.search(it["captions"][0].lower())
    ]


def over_bed(
    x: torch.Tensor, n: int, bed: torch.Tensor, rng: random.Random, frames: int
) -> tuple[torch.Tensor, int]:
    """``x`` (``n`` valid frames) placed at a random time in a ``frames``-long window of a
    bed recording, the bed -15 to 0 dB under it (as a short event sits inside a long
    recording's window at search time); the whole window is valid."""
    to_log_power = math.log(10) / 10 * 20  # scaled log-mel unit -> natural log of power
    if bed.shape[-1] < frames:  # a trimmed copy of a bed: looped, as ambiences are
        bed = bed.repeat(1, -(-frames // bed.shape[-1]))
    start = rng.randrange(0, bed.shape[-1] - frames + 1)
    level = math.log(10 ** (rng.uniform(*BED_DB) / 10))
    out = bed[:, start : start + frames].float() * to_log_power + level
    n = min(n, frames)
    t0 = rng.randrange(0, frames - n + 1)
    out[:, t0 : t0 + n] = torch.logaddexp(out[:, t0 : t0 + n], x[:, :n] * to_log_power)
    return (out / to_log_power).clamp_min(PAD_VALUE), frames


def make_batch(
    idx,
    mels,
    cfg,
    rng,
    recolour: bool = False,
    crop_frames: int = TRAIN_CROP,
    mix_p: float = 0.0,
    bed_p: float = 0.0,
    beds: list[int] | None = None,
):
    """Two views per item, padded to a shared bucket size; ``bed_p`` of the views are put
    over a bed drawn from ``beds`` (:func:`over_bed`)."""
    views = []
    for _ in range(2):
        crops = []
        for i in idx:
            variants = mels[i]
            x, n = crop(variants[rng.randrange(len(variants))], rng, crop_frames)
            if beds and rng.random() < bed_p:
                bed = mels[beds[rng.randrange(len(beds))]]
                x, n = over_bed(x, n, bed[rng.randrange(len(bed))], rng, crop_frames)
            if recolour:
                x = colour(x, rng, n)
            crops.append((x, n))
        xs, ns = [], []
        for x, n in crops:
            if rng.random() < mix_p:
                other = crops[rng.randrange(len(crops))][0]
                x = log_mix(x, other, n, rng.uniform(0.05, 0.4))
            xs.append(spec_augment(x, rng, n))
            ns.append(n)
        size = bucket_size(max(ns), cfg)
        batch = torch.stack([F.pad(x, (0, size - x.shape[-1]), value=PAD_VALUE) for x in xs])
        views.append((batch, torch.tensor(ns)))
    return views


def pair_pools(keys: torch.Tensor, cats: torch.Tensor) -> tuple[dict, dict]:
    """Indices by canonical caption and by category, for drawing partners."""
    by_key: dict[int, list[int]] = {}
    by_cat: dict[int, list[int]] = {}
    for i, (k, c) in enumerate(zip(keys.tolist(), cats.tolist(), strict=True)):
        by_key.setdefault(k, []).append(i)
        if c >= 0:
            by_cat.setdefault(c, []).append(i)
    return by_key, by_cat


def draw_batch(
    nprng: np.random.Generator,
    weights: np.ndarray,
    batch_size: int,
    pools: tuple[dict, dict],
    keys: torch.Tensor,
    cats: torch.Tensor,
    same_cat_p: float,
    packages: list[str] | None = None,
) -> np.ndarray:
    """Half the batch drawn by source weight, half their partners: another sound with
    the same canonical caption (another pitch, soundfont or take) or, with probability
    ``same_cat_p``, of the same category. Partners make the audio-audio term learn what
    different recordings of one kind of sound share, not only augmentation invariance.
    With ``packages``, a category partner comes from another package where the category
    has one, so that the recording chain of a package is no shortcut to its partner."""
    by_key, by_cat = pools
    anchors = nprng.choice(len(weights), size=batch_size // 2, replace=False, p=weights)
    partners = []
    for i in anchors.tolist():
        pool = by_key[int(keys[i])]
        c = int(cats[i])
        if c >= 0 and (len(pool) < 2 or nprng.random() < same_cat_p):
            pool = by_cat[c]
            if packages is not None:
                pool = [j for j in pool if packages[j] != packages[i]] or pool
        j = i
        while len(pool) > 1 and j == i:
            j = pool[int(nprng.integers(len(pool)))]
        partners.append(j)
    return np.concatenate([anchors, np.array(partners, dtype=anchors.dtype)])


def teacher_vectors(items: list[dict]) -> tuple[torch.Tensor, torch.Tensor] | None:
    """(vectors, has-one mask) of the aisfx teacher per training item, joined by the
    sha1 of the item's file; vectors centred on the training mean, then normalised
    (aisfx vectors are non-negative, so raw cosines all sit high)."""
    from training.teacher import load_cache

    cache = load_cache()
    if not cache:
        raise SystemExit("no teacher cache: run `python -m training.teacher` first")
    dim = len(next(iter(cache.values())))
    vecs = torch.zeros(len(items), dim)
    has = torch.zeros(len(items), dtype=torch.bool)
    for i, it in enumerate(items):
        v = cache.get(it.get("sha1", ""))
        if v is not None:
            vecs[i], has[i] = torch.as_tensor(v, dtype=torch.float32), True
    vecs[has] -= vecs[has].mean(0)
    vecs = F.normalize(vecs, dim=-1)
    print(f"teacher vectors for {int(has.sum())} of {len(items)} training items")
    return vecs, has


def teacher_term(
    teacher: tuple[torch.Tensor, torch.Tensor],
    idx: np.ndarray | list[int],
    za: torch.Tensor,
    zb: torch.Tensor,
    aa_temp: float,
    teacher_temp: float,
) -> torch.Tensor | None:
    """Relational distillation: over the batch's items that have a teacher vector, the
    student's view-to-view similarities are pulled towards the teacher's neighbourhoods
    (softmax of teacher cosines at ``teacher_temp``). None when fewer than 4 such items."""
    vecs, has = teacher
    idx_t = torch.as_tensor(np.asarray(idx))
    mask = has[idx_t]
    if int(mask.sum()) < 4:
        return None
    tv = vecs[idx_t][mask]
    target = torch.exp((tv @ tv.T - 1) / teacher_temp)
    a, b = za[mask], zb[mask]
    return (soft_ce(b @ a.T / aa_temp, target) + soft_ce(a @ b.T / aa_temp, target)) / 2


def teacher_feature_term(
    teacher: tuple[torch.Tensor, torch.Tensor],
    idx: np.ndarray | list[int],
    head: torch.nn.Module,
    views: tuple[torch.Tensor, ...],
) -> torch.Tensor | None:
    """Feature distillation: over the batch's items that have a teacher vector, a small
    head (dropped at export) maps each view's embedding onto the teacher's (centred,
    normalised) vector; the loss is one minus their mean cosine. None when no item has one."""
    vecs, has = teacher
    idx_t = torch.as_tensor(np.asarray(idx))
    mask = has[idx_t]
    if not bool(mask.any()):
        return None
    target = vecs[idx_t][mask]
    cos = [F.cosine_similarity(head(v[mask]), target, dim=-1).mean() for v in views]
    return 1 - sum(cos) / len(cos)


def choose_captions(
    items: list[dict],
    translated: list[list[str]],
    idx: list[int],
    rng: random.Random,
    lang_rng: random.Random,
    lang_p: float,
) -> list[str]:
    """One caption per drawn item: an English wording, or with probability ``lang_p`` one
    of its translations where it has any (drawn from ``lang_rng``, so that ``rng`` draws
    the same whatever ``lang_p`` is)."""
    caps = [rng.choice(items[i]["captions"]) for i in idx]
    if lang_p <= 0:
        return caps
    return [
        lang_rng.choice(translated[i]) if translated[i] and lang_rng.random() < lang_p else c
        for i, c in zip(idx, caps, strict=True)
    ]


def extra_translations(
    translated: list[list[str]], idx: list[int], lang_rng: random.Random, k: int
) -> tuple[list[str], list[int]]:
    """``k`` more captions (drawn with replacement from its translations) per drawn item
    that has translations, and the batch position each belongs to."""
    caps, owners = [], []
    for pos, i in enumerate(idx):
        if translated[i]:
            caps.extend(lang_rng.choice(translated[i]) for _ in range(k))
            owners.extend([pos] * k)
    return caps, owners


def caption_term(
    views: tuple[torch.Tensor, ...], t: torch.Tensor, same: torch.Tensor, s: torch.Tensor
) -> torch.Tensor:
    """Caption InfoNCE of audio views against captions ``t`` (rows) whose positives are
    the batch items marked in ``same`` (batch x captions), both directions: audio ->
    captions over the items that have a positive, captions -> audio over every caption.
    One caption per item (``same`` square) is the main term; extra translations, a second."""
    has = same.sum(1) > 0
    total = 0.0
    for z in views:
        total = total + soft_ce(s * z[has] @ t.T, same[has]) + soft_ce(s * t @ z.T, same.T)
    return total / (2 * len(views))


def ema_average(decay: float):
    """The averaging rule of a weight EMA whose decay ramps up to ``decay`` (as
    ``(1 + n) / (10 + n)`` after ``n`` updates), so the first steps' weights fade out
    however short the run."""

    def average(avg: torch.Tensor, current: torch.Tensor, n: torch.Tensor) -> torch.Tensor:
        d = min(decay, (1 + int(n)) / (10 + int(n)))
        return avg * d + current * (1 - d)

    return average


def soft_ce(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy against target rows normalised to sum 1."""
    t = targets / targets.sum(dim=1, keepdim=True)
    return -(t * F.log_softmax(logits, dim=1)).sum(dim=1).mean()


def run(
    epochs: int = 16,
    batch_size: int = 96,
    lr: float = 2e-3,
    aa_weight: float = 1.0,
    cat_weight: float = 1.0,
    same_cat_p: float = 0.75,
    recolour: bool = True,
    crop_frames: int = TRAIN_CROP,
    bf16: bool = True,
    channels: tuple[int, ...] | None = None,
    text_sim_weight: float = 1.0,
    text_sim_low: float | None = None,
    text_sim_veto: bool = False,
    seed: int = config.SEED,
    mix_p: float = 0.0,
    aa_temp: float = 0.1,
    sfx_share: float | None = None,
    cross_package: bool = False,
    time_downsamples: int | None = None,
    pool_std: bool | None = None,
    teacher_weight: float = 0.0,
    teacher_temp: float = TEACHER_TEMP,
    bed_p: float = 0.0,
    teacher_feature_weight: float = 1.0,
    lang_p: float = 0.5,
    text_case: str = "folded",
    ema_decay: float = 0.0,
    lang_extra: int = 3,
) -> dict:
    """Train and save ``runs/latest.pt`` (state dict + config + training log).

    ``bf16`` runs the forward pass under bfloat16 autocast with channels-last
    convolutions (weights and optimiser stay float32); ``channels`` overrides the conv
    widths of ``configs/builtin.json``; ``text_sim_weight`` makes sounds with similar
    captions partial positives of the audio-audio term; ``mix_p`` mixes another sound
    quietly under that share of views; ``cross_package`` draws category partners from
    other packages; ``time_downsamples`` and ``pool_std`` change the tower's time
    resolution and pooling (``NetConfig``; default: configs/builtin.json's);
    ``teacher_weight`` adds the aisfx teacher's neighbourhoods as a distillation term
    (:func:`teacher_term`; its cache comes from ``python -m training.teacher``);
    ``teacher_feature_weight`` adds the teacher's vectors as regression targets through a
    throwaway head (:func:`teacher_feature_term`; the shipped recipe's 1.0); ``bed_p``
    puts that share of views over a bed recording (:func:`over_bed`), for sounds inside
    long recordings; ``lang_p`` is the chance that a drawn item's caption is replaced by one
    of its glossary translations (:mod:`training.translate`), where it has any;
    ``text_case`` is how captions' (and later queries') letter case reaches the text tower
    (:func:`~soundscout.encoders.builtin_config.case_forms`); ``ema_decay`` > 0 keeps an
    exponential moving average of the weights (buffers included) and saves it as the run's
    tower (the last step's weights under ``raw_state``); ``lang_extra`` adds that many more
    translations per drawn item with any to the caption term (:func:`caption_term`: the
    text side is precomputed, so they cost almost nothing next to the audio tower).
    """
    torch.manual_seed(seed)
    rng = random.Random(seed)
    # Alone on 2 cores, two threads (measured per step: bf16 0.29 s; float32 0.75 s, and
    # 1.4 s on one thread). Two experiments side by side: SOUNDSCOUT_TRAIN_THREADS=1 each.
    torch.set_num_threads(int(os.environ.get("SOUNDSCOUT_TRAIN_THREADS", "2")))
    train, _, _ = load_pools()
    items, mels = train.items, train.mels
    with_translations = lang_p > 0 or lang_extra > 0
    translated = [translations(it) if with_translations else [] for it in items]
    if with_translations:
        n = sum(map(bool, translated))
        print(f"translated captions: {n} of {len(items)} items, {sum(map(len, translated))} in all")
    lang_rng = random.Random(seed + 1)  # its own stream: lang_p 0 draws exactly as before
    extra_rng = random.Random(seed + 2)  # and lang_extra's: it leaves lang_p's draws as they are
    every = {c for it in items for c in it["captions"]} | {c for t in translated for c in t}
    text = caption_embeddings(sorted(every), text_case=text_case)
    canon = {c: i for i, c in enumerate(sorted({it["captions"][0] for it in items}))}
    keys = torch.tensor([canon[it["captions"][0]] for it in items])
    canon_text = torch.from_numpy(np.stack([text[c] for c in canon]))
    cat_ids = {
        c: i for i, c in enumerate(sorted({it["category"] for it in items if it.get("category")}))
    }
    cats = torch.tensor([cat_ids.get(it.get("category"), -1) for it in items])
    groups = [group_of(it) for it in items]
    counts = {g: groups.count(g) for g in set(groups)}
    shares = dict(GROUP_WEIGHTS)
    if sfx_share is not None:  # taken from (or given to) the soundfont renders
        shares["soundfont"] += shares["sfx"] - sfx_share
        shares["sfx"] = sfx_share
    weights = np.array([shares[g] / counts[g] for g in groups])
    weights /= weights.sum()
    tower: dict = {}  # what is not given comes from configs/builtin.json
    if time_downsamples is not None:
        tower["time_downsamples"] = time_downsamples
    if pool_std is not None:
        tower["pool_std"] = pool_std
    if channels:
        tower["channels"] = tuple(channels)
    cfg = dataclasses.replace(load_config(config.NET), text_case=text_case, **tower)
    if text_sim_low is None:
        text_sim_low = TEXT_SIM_LOWS.get(cfg.text_tower, TEXT_SIM_LOW)
    use_teacher = teacher_weight > 0 or teacher_feature_weight > 0
    teacher = teacher_vectors(items) if use_teacher else None
    beds = bed_pool(items, mels, crop_frames) if bed_p > 0 else None
    if beds is not None:
        print(f"beds: {len(beds)} recordings of at least {crop_frames} frames")
    model = AudioTower(cfg)
    if bf16:
        model = model.to(memory_format=torch.channels_last)
    scale = torch.nn.Parameter(torch.tensor(math.log(1 / 0.07)))
    head = None
    if teacher is not None and teacher_feature_weight > 0:
        dim = teacher[0].shape[1]
        head = torch.nn.Sequential(
            torch.nn.Linear(cfg.embed_dim, dim), torch.nn.GELU(), torch.nn.Linear(dim, dim)
        )
    extra = list(head.parameters()) if head is not None else []
    ema = None
    if ema_decay > 0:
        from torch.optim.swa_utils import AveragedModel

        ema = AveragedModel(model, avg_fn=ema_average(ema_decay), use_buffers=True)
    opt = torch.optim.AdamW([*model.parameters(), scale, *extra], lr=lr, weight_decay=0.02)
    steps_per_epoch = len(items) // batch_size
    total = epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=total, pct_start=0.08)
    nprng = np.random.default_rng(seed)
    pools = pair_pools(keys, cats)
    partner_packages = [it["package"] for it in items] if cross_package else None
    log, t0, step = [], time.time(), 0
    print(f"train items {len(items)} {counts}; params {count_parameters(model)}; steps {total}")
    for epoch in range(epochs):
        model.train()
        for _ in range(steps_per_epoch):
            idx = draw_batch(
                nprng, weights, batch_size, pools, keys, cats, same_cat_p, partner_packages
            )
            (xa, na), (xb, nb) = make_batch(
                idx, mels, cfg, rng, recolour, crop_frames, mix_p, bed_p, beds
            )
            caps = choose_captions(items, translated, idx.tolist(), rng, lang_rng, lang_p)
            t = torch.from_numpy(np.stack([text[c] for c in caps]))
            k = keys[idx]
            same = (k[:, None] == k[None, :]).float()
            c = cats[idx]
            same_cat = ((c[:, None] == c[None, :]) & (c[:, None] >= 0)).float()
            aa_target = same + cat_weight * same_cat * (1 - same)
            if text_sim_weight > 0:
                tc = canon_text[k]
                near = ((tc @ tc.T - text_sim_low) / TEXT_SIM_SPAN).clamp(0, 1)
                if text_sim_veto:  # sounds of two different categories are not alike
                    other_cat = (c[:, None] != c[None, :]) & (c[:, None] >= 0) & (c[None, :] >= 0)
                    near = near.masked_fill(other_cat, 0.0)
                aa_target = torch.maximum(aa_target, text_sim_weight * near)
            width = max(xa.shape[-1], xb.shape[-1])
            pad = [F.pad(v, (0, width - v.shape[-1]), value=PAD_VALUE) for v in (xa, xb)]
            both = torch.cat(pad)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                out = model(both, torch.cat([na, nb]))
            z = F.normalize(out.float(), dim=-1)
            za, zb = z[:batch_size], z[batch_size:]
            s = scale.exp().clamp(max=100)
            lit = caption_term((za, zb), t, same, s)
            aa = (
                soft_ce(zb @ za.T / aa_temp, aa_target) + soft_ce(za @ zb.T / aa_temp, aa_target)
            ) / 2
            loss = lit + aa_weight * aa
            lx = None
            if lang_extra > 0:
                xcaps, owners = extra_translations(translated, idx.tolist(), extra_rng, lang_extra)
                if xcaps:
                    tx = torch.from_numpy(np.stack([text[c] for c in xcaps]))
                    xsame = same[:, torch.tensor(owners)]
                    lx = caption_term((za, zb), tx, xsame, s)
                    loss = loss + lx
            kd = None
            if teacher is not None and teacher_weight > 0:
                kd = teacher_term(teacher, idx, za, zb, aa_temp, teacher_temp)
                if kd is not None:
                    loss = loss + teacher_weight * kd
            kf = None
            if head is not None:
                raw = out.float()
                kf = teacher_feature_term(teacher, idx, head, (raw[:batch_size], raw[batch_size:]))
                if kf is not None:
                    loss = loss + teacher_feature_weight * kf
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            if ema is not None:
                ema.update_parameters(model)
            step += 1
            if step % 25 == 0:
                entry = {
                    "step": step,
                    "epoch": epoch,
                    "loss": round(loss.item(), 4),
                    "lit": round(lit.item(), 4),
                    "aa": round(aa.item(), 4),
                    "kd": round(kd.item(), 4) if kd is not None else None,
                    "kf": round(kf.item(), 4) if kf is not None else None,
                    "lx": round(lx.item(), 4) if lx is not None else None,
                    "scale": round(s.item(), 2),
                    "elapsed_s": round(time.time() - t0, 1),
                }
                log.append(entry)
                print(json.dumps(entry), flush=True)
    config.RUNS.mkdir(parents=True, exist_ok=True)
    raw_state = model.state_dict()
    result = {
        "state": ema.module.state_dict() if ema is not None else raw_state,
        "raw_state": raw_state if ema is not None else None,
        "config": cfg.to_dict(),
        "log": log,
        "train_seconds": round(time.time() - t0, 1),
        "epochs": epochs,
        "batch_size": batch_size,
        "lr": lr,
        "aa_weight": aa_weight,
        "cat_weight": cat_weight,
        "same_cat_p": same_cat_p,
        "recolour": recolour,
        "crop_frames": crop_frames,
        "bf16": bf16,
        "channels": list(cfg.channels),
        "text_sim_weight": text_sim_weight,
        "text_sim_low": text_sim_low,
        "text_sim_veto": text_sim_veto,
        "seed": seed,
        "mix_p": mix_p,
        "bed_p": bed_p,
        "aa_temp": aa_temp,
        "cross_package": cross_package,
        "group_shares": shares,
        "teacher_weight": teacher_weight,
        "teacher_temp": teacher_temp,
        "teacher_feature_weight": teacher_feature_weight,
        "lang_p": lang_p,
        "text_case": text_case,
        "ema_decay": ema_decay,
        "lang_extra": lang_extra,
        "text_tower": cfg.text_tower,
    }
    torch.save(result, config.RUNS / "latest.pt")
    return result
