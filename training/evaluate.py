"""Stage `evaluate`: held-out packages only, next to an MFCC baseline and random.

Text -> audio: recall@10 (relevant found in the top 10 / min(10, relevant)), hit@10
(a relevant item in the top 10) and nDCG@10 with binary relevance, over plain-word
queries. Audio -> audio: precision@10 of same-category neighbours (self excluded).
"""

from __future__ import annotations

import numpy as np
import torch

from soundscout.encoders.builtin_net import AudioTower, cut_windows

#: Held-out soundfont: query -> GM family or drum type.
SOUNDFONT_QUERIES = {
    "deep bass kick": "drum: kick",
    "kick drum": "drum: kick",
    "snare drum hit": "drum: snare",
    "closed hi-hat": "drum: closed hi-hat",
    "open hi-hat": "drum: open hi-hat",
    "crash cymbal": "drum: crash cymbal",
    "ride cymbal": "drum: ride cymbal",
    "tom drum fill hit": "drum: tom",
    "hand clap": "drum: clap",
    "cowbell": "drum: cowbell",
    "shaker rattle": "drum: shaker",
    "conga bongo hand drum": "drum: hand drum",
    "warm atmospheric pad": "synth pad",
    "bright plucked guitar": "guitar",
    "electric guitar": "guitar",
    "grand piano": "piano",
    "electric piano keys": "piano",
    "church organ": "organ",
    "violin": "strings",
    "cello": "strings",
    "string section": "ensemble",
    "choir singing": "ensemble",
    "trumpet": "brass",
    "brass section": "brass",
    "saxophone": "reed",
    "clarinet": "reed",
    "flute": "pipe",
    "pan flute": "pipe",
    "synth lead": "synth lead",
    "squelchy sawtooth lead": "synth lead",
    "sub bass": "bass",
    "slap bass guitar": "bass",
    "xylophone": "chromatic percussion",
    "marimba": "chromatic percussion",
    "music box bells": "chromatic percussion",
    "sitar": "ethnic",
    "banjo": "ethnic",
    "steel drums": "percussive",
    "sci-fi synth texture": "synth effects",
    "helicopter": "sound effects",
}

#: Held-out SFX: query -> category of :data:`training.captions.SFX_CATEGORIES`.
SFX_QUERIES = {
    "big explosion": "explosion",
    "bomb blast": "explosion",
    "footsteps": "footsteps",
    "footsteps on gravel": "footsteps",
    "someone walking": "footsteps",
    "dog barking": "dog",
    "growling animal": "dog",
    "birds singing": "bird",
    "bird chirping in a forest": "bird",
    "cow mooing": "farm animal",
    "sheep and farm animals": "farm animal",
    "sawing wood": "sawing and chopping",
    "chopping wood with an axe": "sawing and chopping",
    "hammer on metal": "metal",
    "blacksmith anvil": "metal",
    "whoosh": "whoosh",
    "sword swing": "whoosh",
    "punch impact": "impact",
    "body hitting the ground": "impact",
    "scream of pain": "scream",
    "someone dying": "scream",
    "man speaking": "speech",
    "voice saying a word": "speech",
    "background music": "music",
    "game soundtrack": "music",
    "fire burning": "fire",
    "water splash": "water",
    "gunshot": "gunshot",
    "alarm siren": "alarm",
    "wind blowing": "wind",
    "coins jingling": "coins",
    "jumping": "jump",
}


@torch.inference_mode()
def embed_pool(model: AudioTower, cfg, mels: list[list[torch.Tensor]]) -> np.ndarray:
    """File vectors of clean variants with the shipped windowing rule."""
    model.eval()
    out = []
    for variants in mels:
        wins, lens = cut_windows(variants[0].float(), cfg)
        v = torch.nn.functional.normalize(model(wins, lens), dim=-1).mean(0)
        out.append(torch.nn.functional.normalize(v, dim=0).numpy())
    return np.stack(out)


def mfcc_stats(mels: list[list[torch.Tensor]], n: int = 20) -> np.ndarray:
    """Baseline: mean and std of the first ``n`` MFCCs, standardised over the set."""
    n_mels = mels[0][0].shape[0]
    k = np.arange(n_mels)
    dct = np.cos(np.pi / n_mels * (k[None, :] + 0.5) * np.arange(n)[:, None])
    feats = []
    for variants in mels:
        c = dct @ variants[0].float().numpy()
        feats.append(np.concatenate([c.mean(1), c.std(1)]))
    f = np.stack(feats)
    f = (f - f.mean(0)) / (f.std(0) + 1e-6)
    return f / np.linalg.norm(f, axis=1, keepdims=True)


def _ndcg(rel: np.ndarray, n_rel: int, k: int = 10) -> float:
    gains = rel[:k] / np.log2(np.arange(2, k + 2))
    ideal = (1 / np.log2(np.arange(2, min(k, n_rel) + 2))).sum()
    return float(gains.sum() / ideal) if ideal else 0.0


def text_to_audio(audio: np.ndarray, text: np.ndarray, labels: list[str], query_labels: list[str]):
    """Per-query recall@10, hit@10 and nDCG@10 (rankings by cosine)."""
    labels_arr = np.array(labels)
    rows = []
    for q, lab in zip(text, query_labels, strict=True):
        order = np.argsort(-(audio @ q), kind="stable")[:10]
        rel = (labels_arr[order] == lab).astype(float)
        n_rel = int((labels_arr == lab).sum())
        rows.append(
            {
                "recall@10": rel.sum() / min(10, n_rel),
                "hit@10": float(rel.any()),
                "ndcg@10": _ndcg(rel, n_rel),
            }
        )
    return rows


def random_text_to_audio(
    labels: list[str], query_labels: list[str], trials: int = 200, seed: int = 0
):
    """The same metrics for random rankings (averaged over trials)."""
    rng = np.random.default_rng(seed)
    labels_arr = np.array(labels)
    rows = []
    for lab in query_labels:
        n_rel = int((labels_arr == lab).sum())
        acc = np.zeros(3)
        for _ in range(trials):
            rel = (labels_arr[rng.permutation(len(labels))[:10]] == lab).astype(float)
            acc += [rel.sum() / min(10, n_rel), float(rel.any()), _ndcg(rel, n_rel)]
        r, h, n = acc / trials
        rows.append({"recall@10": r, "hit@10": h, "ndcg@10": n})
    return rows


def precision_at_10(vectors: np.ndarray, labels: list[str]) -> dict[str, float]:
    """Mean P@10 of same-label neighbours, overall and per label."""
    labels_arr = np.array(labels)
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    top = np.argsort(-sims, axis=1, kind="stable")[:, :10]
    prec = (labels_arr[top] == labels_arr[:, None]).mean(1)
    out = {"all": float(prec.mean())}
    for lab in sorted(set(labels)):
        out[lab] = float(prec[labels_arr == lab].mean())
    return out


def random_precision(labels: list[str]) -> float:
    """Expected P@10 of random neighbours: sum over labels of p * (n_l - 1)/(N - 1)."""
    n = len(labels)
    counts = np.array([labels.count(lab) for lab in set(labels)])
    return float((counts * (counts - 1)).sum() / (n * (n - 1)))


def language_ndcg(
    audio: np.ndarray, labels: list[str], set_name: str, queries: dict[str, str], text_vecs
) -> dict[str, float]:
    """nDCG@10 per query language (the translations of :mod:`training.multilingual_queries`
    of the English queries scored here), English first."""
    from training import multilingual_queries as mq

    out = {}
    for lang in ("en", *mq.LANGUAGES):
        translated = mq.queries(set_name, lang) if lang != "en" else dict(queries)
        pairs = [(q, c) for q, c in translated.items() if c in set(labels)]
        rows = text_to_audio(
            audio, np.stack([text_vecs[q] for q, _ in pairs]), labels, [c for _, c in pairs]
        )
        out[lang] = round(float(np.mean([r["ndcg@10"] for r in rows])), 4)
    return out


def glossary_terms() -> dict[str, str]:
    """English GM terms of the training glossary (program, drum and drum-kind names, each
    family's first word) -> their held-out soundfont category; a term of two categories
    ("percussion") is left out."""
    from training import gm

    found: dict[str, set[str]] = {}
    pairs = [(name, gm.family(p)) for p, name in enumerate(gm.PROGRAMS)]
    pairs += [(name, f"drum: {kind}") for name, kind in gm.DRUMS.values()]
    pairs += [(w, f"drum: {kind}") for kind, words in gm.DRUM_WORDS.items() for w in words]
    pairs += [(words[0], family) for family, words in gm.FAMILIES]
    for term, category in pairs:
        found.setdefault(term, set()).add(category)
    return {t: next(iter(c)) for t, c in found.items() if len(c) == 1}


def glossary_ndcg(
    audio: np.ndarray, labels: list[str], tower: str, text_case: str
) -> dict[str, float]:
    """nDCG@10 per language of the training glossary's own phrases for the GM terms
    (:func:`glossary_terms`) on held-out soundfont audio: how well the tower learnt each
    language's names, apart from the evaluation's queries. English: the terms themselves.
    A phrase given for terms of two categories ("cuerdas": strings and ensemble) is left
    out."""
    from training.data import caption_embeddings
    from training.translate import LANGUAGES, glossary

    terms = {t: c for t, c in glossary_terms().items() if c in set(labels)}
    by_language = {}
    for lang in ("en", *LANGUAGES):
        table = glossary(lang)["sf"] if lang != "en" else {t: [t] for t in terms}
        categories: dict[str, set[str]] = {}
        for term, phrases in table.items():
            for phrase in phrases:
                categories.setdefault(phrase, set()).add(terms.get(term, "?"))
        pairs = [(p, next(iter(c))) for p, c in categories.items() if len(c) == 1 and "?" not in c]
        if pairs:
            by_language[lang] = pairs
    phrases = sorted({p for pairs in by_language.values() for p, _ in pairs})
    vecs = caption_embeddings(phrases, tower, text_case)  # one read of the text cache
    out = {}
    for lang, pairs in by_language.items():
        rows = text_to_audio(
            audio, np.stack([vecs[p] for p, _ in pairs]), labels, [c for _, c in pairs]
        )
        out[lang] = round(float(np.mean([r["ndcg@10"] for r in rows])), 4)
    return out


def teacher_precision(items: list[dict], audio: np.ndarray, labels: list[str]) -> dict | None:
    """Audio -> audio P@10 of the aisfx teacher alone and of [model, teacher] vectors
    fused (concatenated, each half normalised), on the items the teacher cache covers."""
    from training.teacher import load_cache

    cache = load_cache()
    keep = [i for i, it in enumerate(items) if it.get("sha1") in cache]
    if len(keep) < len(items) * 0.9:
        return None
    t = np.stack([np.asarray(cache[items[i]["sha1"]], dtype=np.float32) for i in keep])
    t = t - t.mean(0)
    t /= np.linalg.norm(t, axis=1, keepdims=True)
    fused = np.concatenate([audio[keep], t], axis=1) / np.sqrt(2)
    lab = [labels[i] for i in keep]
    return {
        "n": len(keep),
        "model": precision_at_10(audio[keep], lab)["all"],
        "teacher": precision_at_10(t, lab)["all"],
        "fused": precision_at_10(fused, lab)["all"],
    }


def evaluate_set(
    name, model, cfg, items, mels, queries, text_vecs, set_name: str | None = None
) -> dict:
    """All metrics of one held-out set; items without a category are left out.
    ``set_name`` (``sfx`` / ``soundfont``) adds nDCG@10 per query language, and for the
    soundfont, of the training glossary's phrases per language."""
    keep = [i for i, it in enumerate(items) if it.get("category")]
    items = [items[i] for i in keep]
    mels = [mels[i] for i in keep]
    labels = [it["category"] for it in items]
    queries = {q: c for q, c in queries.items() if c in set(labels)}
    audio = embed_pool(model, cfg, mels)
    extra = {}
    if set_name:
        extra["ndcg@10_by_language"] = language_ndcg(audio, labels, set_name, queries, text_vecs)
    if set_name == "soundfont":
        extra["glossary_ndcg@10_by_language"] = glossary_ndcg(
            audio, labels, cfg.text_tower, cfg.text_case
        )
    if set_name == "sfx":
        extra["teacher_p@10"] = teacher_precision(items, audio, labels)
    qtext = np.stack([text_vecs[q] for q in queries])
    t2a = text_to_audio(audio, qtext, labels, list(queries.values()))
    rnd = random_text_to_audio(labels, list(queries.values()))
    mean = lambda rows, k: float(np.mean([r[k] for r in rows]))  # noqa: E731
    p_model, p_mfcc = precision_at_10(audio, labels), precision_at_10(mfcc_stats(mels), labels)
    return {
        "set": name,
        "n_items": len(items),
        "n_queries": len(queries),
        "packages": sorted({it["package"] for it in items}),
        "text_to_audio": {
            m: {"model": mean(t2a, m), "random": mean(rnd, m)}
            for m in ("recall@10", "hit@10", "ndcg@10")
        },
        "audio_to_audio_p@10": {
            "model": p_model["all"],
            "mfcc": p_mfcc["all"],
            "random": random_precision(labels),
        },
        "per_query": {
            q: {k: round(v, 3) for k, v in r.items()} for q, r in zip(queries, t2a, strict=True)
        },
        "per_category_p@10": {
            lab: {
                "model": round(p_model[lab], 3),
                "mfcc": round(p_mfcc[lab], 3),
                "n": labels.count(lab),
            }
            for lab in sorted(set(labels))
        },
        **extra,
    }


def run(run_state: dict | None = None) -> dict:
    """Evaluate ``runs/latest.pt`` on the held-out packages; writes ``runs/metrics.json``."""
    import json

    from soundscout.encoders.builtin_net import NetConfig
    from training import config
    from training.data import caption_embeddings, load_pools

    torch.set_num_threads(2)
    state = run_state or torch.load(config.RUNS / "latest.pt", weights_only=False)
    cfg = NetConfig.from_dict(state["config"])
    model = AudioTower(cfg)
    model.load_state_dict(state["state"])
    _, held, _ = load_pools()
    from training import multilingual_queries as mq

    translated = {
        q for name in ("sfx", "soundfont") for lang in mq.LANGUAGES for q in mq.queries(name, lang)
    }
    text_vecs = caption_embeddings(
        sorted({*SOUNDFONT_QUERIES, *SFX_QUERIES, *translated}),
        tower=cfg.text_tower,
        text_case=cfg.text_case,
    )
    sf_idx = [i for i, it in enumerate(held.items) if it["package"] == config.HOLDOUT_SOUNDFONT]
    sfx_idx = [i for i, it in enumerate(held.items) if it["package"] in config.HOLDOUT_SFX]
    pick = lambda idx: ([held.items[i] for i in idx], [held.mels[i] for i in idx])  # noqa: E731
    results = {
        "soundfont": evaluate_set(
            config.HOLDOUT_SOUNDFONT,
            model,
            cfg,
            *pick(sf_idx),
            SOUNDFONT_QUERIES,
            text_vecs,
            set_name="soundfont",
        ),
        "sfx": evaluate_set(
            "+".join(config.HOLDOUT_SFX),
            model,
            cfg,
            *pick(sfx_idx),
            SFX_QUERIES,
            text_vecs,
            set_name="sfx",
        ),
    }
    for pkg in config.HOLDOUT_SFX:
        idx = [i for i in sfx_idx if held.items[i]["package"] == pkg]
        if not idx:
            continue
        results[f"sfx:{pkg}"] = evaluate_set(pkg, model, cfg, *pick(idx), SFX_QUERIES, text_vecs)
    (config.RUNS / "metrics.json").write_text(json.dumps(results, indent=1))
    for key, r in results.items():
        t2a, a2a = r["text_to_audio"], r["audio_to_audio_p@10"]
        print(
            f"{key}: n={r['n_items']} q={r['n_queries']} "
            + " ".join(f"{m}={v['model']:.3f}(rnd {v['random']:.3f})" for m, v in t2a.items())
            + f" | a2a P@10={a2a['model']:.3f} mfcc={a2a['mfcc']:.3f} rnd={a2a['random']:.3f}"
        )
        if "ndcg@10_by_language" in r:
            print("  nDCG@10 by language:", r["ndcg@10_by_language"])
        if "glossary_ndcg@10_by_language" in r:
            print("  glossary phrases, nDCG@10:", r["glossary_ndcg@10_by_language"])
        if r.get("teacher_p@10"):
            print("  teacher / fused P@10:", r["teacher_p@10"])
    return results


if __name__ == "__main__":  # pragma: no cover
    run()
