"""Search quality of "sound only", "words only" and both, with real names and without.

The numbers come from::

    PYTHONPATH=. .venv/bin/python benchmarks/eval_words.py --prepare      # data, once
    PYTHONPATH=. .venv/bin/python benchmarks/eval_words.py --run [--sets sfx,soundfont]
        [--match sound,words,both] [--out /work/eval-data/eval_words.json]

Data (``benchmarks/eval_data.py``): the training recipe's held-out packages only, under
``/work/eval-data``, each file once with its original folders and names (``named``) and once
as ``Audio NNNN.<ext>`` (``anon``). One library per set and variant in
``/work/eval-data/libs/<set>-<variant>/`` (builtin encoder; reused, indexing is incremental):
sets ``widelands``, ``warmux``, ``lugaru``, ``sfx-all`` (the three in one library) and, with
``--sets soundfont``, ``soundfont`` (the rendered ``timgm6mb-soundfont`` notes).

Queries are the recipe's (``training.evaluate.SFX_QUERIES`` / ``SOUNDFONT_QUERIES``: query ->
category); a query counts in a set when the set holds an indexed file of its category. Per
query, on the top 10 with binary relevance (file category == query category):
nDCG@10 (ideal DCG over min(10, #relevant)), recall@10 as the recipe defines it (relevant in
the top 10 / min(10, #relevant)) and MRR@10 (1 / rank of the first relevant hit, 0 if none).
The JSON also holds, per query and match mode, the top 10 hits with every SearchHit field and
a relevant flag (for a score calibration).
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import math
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import eval_data  # noqa: E402

K = 10
MATCHES = ("sound", "words", "both")
SETS: dict[str, dict[str, list[str]]] = {
    "sfx": {
        "widelands": ["widelands-data"],
        "warmux": ["warmux-data"],
        "lugaru": ["lugaru-data"],
        "sfx-all": ["widelands-data", "warmux-data", "lugaru-data"],
    },
    "soundfont": {"soundfont": ["timgm6mb-soundfont"]},
}


# -- metrics (binary relevance, one ranked list per query) --------------------------------
def ndcg_at_k(relevant: list[bool], n_relevant: int, k: int = K) -> float:
    """DCG of the top k over the ideal DCG of min(k, n_relevant) relevant items."""
    dcg = sum(1 / math.log2(i + 2) for i, r in enumerate(relevant[:k]) if r)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, n_relevant)))
    return dcg / ideal if ideal else 0.0


def recall_at_k(relevant: list[bool], n_relevant: int, k: int = K) -> float:
    """Relevant items in the top k over min(k, n_relevant) (the recipe's recall@10)."""
    return sum(relevant[:k]) / min(k, n_relevant) if n_relevant else 0.0


def reciprocal_rank(relevant: list[bool], k: int = K) -> float:
    """1 / rank of the first relevant item in the top k, 0 when there is none."""
    return next((1 / (i + 1) for i, r in enumerate(relevant[:k]) if r), 0.0)


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


# -- libraries and search -----------------------------------------------------------------
def open_service(library: Path, settings: dict[str, Any] | None = None) -> Any:
    """A SearchService on ``library`` with the builtin encoder (and ``settings``, dotted
    keys)."""
    from soundscout import config
    from soundscout.search.service import SearchService

    overrides = {"library.path": str(library), "encoder.name": "builtin", **(settings or {})}
    loader = getattr(config, "load_settings", None)
    settings = loader(overrides=overrides) if loader else config.load_config(overrides=overrides)
    return SearchService(getattr(settings, "settings", settings))


def build(kind: str, set_name: str, variant: str, packages: list[str]) -> tuple[Any, list[Path]]:
    """The library of one set and variant, indexed (incrementally) from its package folders."""
    service = open_service(eval_data.DATA / "libs" / f"{set_name}-{variant}")
    roots = [_library_root(eval_data.DATA / f"{kind}-{variant}" / p) for p in packages]
    for root in roots:
        started = time.perf_counter()
        report = service.index_folder(root, progress=sys.stderr.isatty())
        print(f"  indexed {root} in {time.perf_counter() - started:.0f} s: {report}", flush=True)
    return service, roots


def _library_root(folder: Path) -> Path:
    """The deepest folder holding all of a package's files (``.../widelands/data``), as a
    user would index it: the package's install prefix (``usr/share/games``) is no word of
    its sounds."""
    parents = {str(p.parent) for p in folder.rglob("*") if p.is_file()}
    return Path(os.path.commonpath(sorted(parents))) if parents else folder


def run_search(service: Any, query: str, match: str) -> list[Any] | None:
    """Top-K hits of a text query in one match mode; None when the service lacks the mode."""
    if "match" in inspect.signature(service.search).parameters:
        return list(service.search(text=query, k=K, match=match).hits)
    return list(service.search(text=query, k=K).hits) if match == "sound" else None


def hit_fields(hit: Any) -> dict[str, Any]:
    """Every field a SearchHit carries, JSON-ready."""
    fields = dataclasses.asdict(hit) if dataclasses.is_dataclass(hit) else dict(vars(hit))
    return json.loads(json.dumps(fields, default=str))


def evaluate(
    kind: str, set_name: str, variant: str, packages: list[str], matches: list[str]
) -> list[dict[str, Any]]:
    """Per match mode: mean and per-query metrics of one library."""
    from training import evaluate as recipe

    queries = recipe.SFX_QUERIES if kind == "sfx" else recipe.SOUNDFONT_QUERIES
    column = "path" if variant == "named" else "anon_path"
    category = {
        str((eval_data.DATA / r[column]).absolute()): r["category"]
        for r in eval_data.read_labels()
        if r["package"] in packages
    }
    service, roots = build(kind, set_name, variant, packages)
    indexed = {
        path
        for root in roots
        for path, row in service.catalog.rows_under(str(root.absolute())).items()
        if row.status == "done"
    }
    counts: dict[str, int] = {}
    for path in indexed:
        if category.get(path):
            counts[category[path]] = counts.get(category[path], 0) + 1
    out = []
    for match in matches:
        per_query: dict[str, Any] = {}
        for query, wanted in queries.items():
            if not counts.get(wanted):
                continue
            hits = run_search(service, query, match)
            if hits is None:
                break
            relevant = [category.get(str(Path(h.path).absolute())) == wanted for h in hits]
            per_query[query] = {
                "category": wanted,
                "n_relevant": counts[wanted],
                "ndcg@10": ndcg_at_k(relevant, counts[wanted]),
                "recall@10": recall_at_k(relevant, counts[wanted]),
                "mrr": reciprocal_rank(relevant),
                "hits": [
                    {**hit_fields(h), "relevant": r} for h, r in zip(hits, relevant, strict=True)
                ],
            }
        metrics = ("ndcg@10", "recall@10", "mrr")
        out.append(
            {
                "set": set_name,
                "variant": variant,
                "match": match,
                "skipped": not per_query,
                "n_files": len(indexed),
                "n_labelled": sum(counts.values()),
                "n_queries": len(per_query),
                "mean": {m: mean([q[m] for q in per_query.values()]) for m in metrics},
                "per_query": per_query,
            }
        )
    service.close()
    return out


def table(results: list[dict[str, Any]]) -> str:
    """Markdown table of the mean metrics."""
    lines = [
        "| set | names | match | files | labelled | queries | nDCG@10 | recall@10 | MRR@10 |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        m = r["mean"]
        nums = (
            "| – | – | – |"
            if r["skipped"]
            else f"| {m['ndcg@10']:.3f} | {m['recall@10']:.3f} | {m['mrr']:.3f} |"
        )
        lines.append(
            f"| {r['set']} | {r['variant']} | {r['match']} | {r['n_files']} | "
            f"{r['n_labelled']} | {r['n_queries']} {nums}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prepare", action="store_true", help="download and write the data")
    parser.add_argument("--run", action="store_true", help="index and evaluate")
    parser.add_argument("--sets", default="sfx", help="comma list of sfx, soundfont")
    parser.add_argument("--match", default=",".join(MATCHES), help="comma list of match modes")
    parser.add_argument("--variants", default="named,anon", help="comma list of named, anon")
    parser.add_argument("--out", type=Path, default=eval_data.DATA / "eval_words.json")
    args = parser.parse_args(argv)
    kinds = [s for s in args.sets.split(",") if s]
    if unknown := set(kinds) - set(SETS):
        parser.error(f"unknown sets: {sorted(unknown)}")
    if not (args.prepare or args.run):
        parser.error("give --prepare, --run or both")
    if args.prepare:
        rows = eval_data.prepare(kinds)
        for kind in kinds:
            for package in sorted({p for s in SETS[kind].values() for p in s}):
                mine = [r for r in rows if r["package"] == package]
                labelled = sum(bool(r["category"]) for r in mine)
                print(f"{package}: {len(mine)} files, {labelled} labelled")
    if not args.run:
        return 0
    matches = [m for m in args.match.split(",") if m in MATCHES]
    results: list[dict[str, Any]] = []
    for kind in kinds:
        for set_name, packages in SETS[kind].items():
            for variant in args.variants.split(","):
                print(f"{set_name}-{variant}:", flush=True)
                results.extend(evaluate(kind, set_name, variant, packages, matches))
    print(table(results))
    meta = {"machine": platform.platform(), "python": platform.python_version(), "k": K}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
