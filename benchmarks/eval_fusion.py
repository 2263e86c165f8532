"""Choosing the fusion and fitting the readable relevance, on the held-out libraries.

    PYTHONPATH=. .venv/bin/python benchmarks/eval_fusion.py [--sets sfx,soundfont]

Needs the libraries ``benchmarks/eval_words.py --run`` builds (``/work/eval-data/libs``).
For every query it takes the sound list and the words list once (100 each), then:

* **fusion**: nDCG@10 of weighted reciprocal-rank fusion over a grid of ``rank_constant`` and
  words weight, and of a score blend (the sound score's z over the library plus the words
  score scaled to the query's best), on named and anonymous libraries;
* **relevance**: a logistic fit of "relevant" on ``sound_z`` and ``coverage`` of the top 20
  of each match mode, fitted on one set and tested on the other (and on both for the
  shipped coefficients), with the share relevant per band.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_data  # noqa: E402
import eval_words  # noqa: E402

from soundscout.search.fusion import reciprocal_rank_fusion  # noqa: E402
from soundscout.search.lexical import parse_words  # noqa: E402
from soundscout.search.relevance import FAIR, STRONG, Calibration  # noqa: E402

WINDOW = 100
GRID_K = (5, 20, 60, 120)
GRID_W = (0.5, 0.75, 1.0, 1.5, 2.0)
GRID_SCALE = ((0.0, 1.0), (0.5, 1.0), (0.75, 1.0), (1.0, 2.0), (0.5, 2.0), (0.75, 2.0))


def _labelled(kind: str, set_name: str, variant: str) -> tuple[Any, dict[str, str], dict]:
    from training import evaluate as recipe

    packages = eval_words.SETS[kind][set_name]
    column = "path" if variant == "named" else "anon_path"
    category = {
        str((eval_data.DATA / r[column]).absolute()): r["category"]
        for r in eval_data.read_labels()
        if r["package"] in packages
    }
    service, _ = eval_words.build(kind, set_name, variant, packages)
    queries = recipe.SFX_QUERIES if kind == "sfx" else recipe.SOUNDFONT_QUERIES
    return service, category, queries


def _lists(service: Any, query: str) -> dict[str, Any]:
    """The sound and words lists, the words list's coverage, the query's word count."""
    out: dict[str, Any] = {}
    for match in ("sound", "words"):
        hits = service.search(text=query, k=WINDOW, match=match).hits
        out[match] = [(h.id, h.score) for h in hits]
        if match == "words":
            out["coverage"] = {h.id: h.explain.coverage or 0.0 for h in hits}
    out["terms"] = len(parse_words(query).include)
    return out


def _scaled(lists: dict[str, Any], floor: float, boost: float) -> dict[str, dict[int, float]]:
    """The shipped words factors: floor + (1 - floor) * coverage, times ``boost`` for a
    full match of a query of two or more words."""
    full = boost if lists["terms"] > 1 else 1.0
    return {
        "words": {
            i: (floor + (1 - floor) * c) * (full if c >= 1.0 else 1.0)
            for i, c in lists["coverage"].items()
        }
    }


def _ndcg(order: list[int], relevant: set[int]) -> float:
    flags = [i in relevant for i in order[: eval_words.K]]
    return eval_words.ndcg_at_k(flags, len(relevant))


def _blend(lists: dict[str, list[tuple[int, float]]], weight: float) -> list[int]:
    """Score blend: sound scores standardised over the list, words scores over their best."""
    scores: dict[int, float] = {}
    sound = np.array([s for _, s in lists["sound"]]) if lists["sound"] else np.zeros(1)
    mu, sd = float(sound.mean()), float(sound.std()) or 1.0
    for i, s in lists["sound"]:
        scores[i] = (s - mu) / sd
    best = max((s for _, s in lists["words"]), default=1.0) or 1.0
    for i, s in lists["words"]:
        scores[i] = scores.get(i, -1.0) + weight * 2.0 * s / best
    return sorted(scores, key=lambda i: -scores[i])


def fusion_grid(runs: list[tuple[str, dict, set[int]]]) -> dict[str, dict[str, float]]:  # noqa: C901
    """Mean nDCG@10 per variant for every fusion setting."""
    by_variant: dict[str, dict[str, list[float]]] = {}
    for variant, lists, relevant in runs:
        table = by_variant.setdefault(variant, {})
        for name in ("sound", "words"):
            table.setdefault(name, []).append(_ndcg([i for i, _ in lists[name]], relevant))
        ranked = {"sound": lists["sound"], "words": lists["words"]}
        for k in GRID_K:
            for w in GRID_W:
                fused = reciprocal_rank_fusion(ranked, {"sound": 1.0, "words": w}, k)
                key = f"rrf k={k} w={w}"
                table.setdefault(key, []).append(_ndcg([f.id for f in fused], relevant))
        for floor, boost in GRID_SCALE:
            scale = _scaled(lists, floor, boost)
            fused = reciprocal_rank_fusion(ranked, {"sound": 1.0, "words": 1.5}, 60, scale)
            key = f"rrf k=60 w=1.5 floor={floor} boost={boost}"
            table.setdefault(key, []).append(_ndcg([f.id for f in fused], relevant))
        for w in GRID_W:
            table.setdefault(f"blend w={w}", []).append(_ndcg(_blend(lists, w), relevant))
    return {v: {k: float(np.mean(x)) for k, x in t.items()} for v, t in by_variant.items()}


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2) -> np.ndarray:
    """Intercept + coefficients by Newton's method (a little L2 for separable data)."""
    features = np.hstack([np.ones((len(x), 1)), x])
    beta = np.zeros(features.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-features @ beta))
        grad = features.T @ (p - y) + l2 * beta
        hess = features.T @ (features * (p * (1 - p))[:, None]) + l2 * np.eye(len(beta))
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def _features(service: Any, query: str, match: str, relevant: set[int]) -> list[tuple]:
    hits = service.search(text=query, k=20, match=match).hits
    found = bool(service.search(text=query, k=1, match="words").hits)
    return [
        (
            h.explain.sound_z or 0.0,
            h.explain.coverage or 0.0,
            float(found and not h.explain.coverage),
            float(h.id in relevant),
        )
        for h in hits
    ]


def _calibration(beta: np.ndarray, match: str) -> Calibration:
    if match == "sound":
        return Calibration(float(beta[0]), float(beta[1]), 0.0)
    if match == "words":
        return Calibration(float(beta[0]), 0.0, float(beta[1]))
    return Calibration(float(beta[0]), float(beta[1]), float(beta[2]), float(beta[3]))


def _bands(cal: Calibration, rows: np.ndarray) -> dict[str, Any]:
    p = np.array([cal(z, c, bool(u)) for z, c, u, _ in rows])
    out: dict[str, Any] = {
        "log_loss": float(-np.mean(np.where(rows[:, 3] > 0, np.log(p), np.log(1 - p))))
    }
    for name, low, high in (("strong", STRONG, 1.01), ("fair", FAIR, STRONG), ("weak", -1, FAIR)):
        mask = (p >= low) & (p < high)
        out[name] = {
            "n": int(mask.sum()),
            "relevant": float(rows[mask, 3].mean()) if mask.any() else None,
        }
    return out


def calibrate(rows: dict[str, dict[str, np.ndarray]]) -> dict[str, Any]:
    """Per match mode: coefficients fitted on all sets, and each set tested on the others' fit."""
    out: dict[str, Any] = {}
    for match in ("sound", "words", "both"):
        cols = {"sound": [0], "words": [1], "both": [0, 1, 2]}[match]
        every = np.vstack([r[match] for r in rows.values()])
        beta = fit_logistic(every[:, cols], every[:, 3])
        cal = _calibration(beta, match)
        result = {
            "coefficients": cal.__dict__,
            "all": _bands(cal, every),
            "by_set": {name: _bands(cal, r[match]) for name, r in rows.items()},
            "held_out": {},
        }
        for name in rows:
            train = np.vstack([r[match] for n, r in rows.items() if n != name])
            test_cal = _calibration(fit_logistic(train[:, cols], train[:, 3]), match)
            result["held_out"][name] = _bands(test_cal, rows[name][match])
        out[match] = result
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="sfx")
    parser.add_argument("--out", type=Path, default=eval_data.DATA / "eval_fusion.json")
    args = parser.parse_args()
    runs: list[tuple[str, dict, set[int]]] = []
    rows: dict[str, dict[str, list]] = {}
    for kind in args.sets.split(","):
        for set_name in eval_words.SETS[kind]:
            if set_name == "sfx-all":
                continue  # its packages are the three sets, each counted once
            for variant in ("named", "anon"):
                service, category, queries = _labelled(kind, set_name, variant)
                paths = {p: r.id for p, r in service.catalog.rows_under("/").items()}
                by_label: dict[str, set[int]] = {}
                for path, label in category.items():
                    if label and path in paths:
                        by_label.setdefault(label, set()).add(paths[path])
                for query, wanted in queries.items():
                    relevant = by_label.get(wanted, set())
                    if not relevant:
                        continue
                    runs.append((variant, _lists(service, query), relevant))
                    table = rows.setdefault(kind, {})
                    for match in ("sound", "words", "both"):
                        table.setdefault(match, []).extend(
                            _features(service, query, match, relevant)
                        )
                service.close()
    grid = fusion_grid(runs)
    calibration = calibrate({k: {m: np.array(v) for m, v in t.items()} for k, t in rows.items()})
    args.out.write_text(json.dumps({"fusion": grid, "relevance": calibration}, indent=1))
    for variant, table in grid.items():
        best = sorted(table.items(), key=lambda kv: -kv[1])[:12]
        print(f"\n{variant}: sound {table['sound']:.3f}, words {table['words']:.3f}")
        for key, value in best:
            print(f"  {key}: {value:.3f}")
        print(f"  shipped: {table['rrf k=60 w=1.5 floor=0.75 boost=2.0']:.3f}")
    print(json.dumps(calibration, indent=1))


if __name__ == "__main__":
    main()
