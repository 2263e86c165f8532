"""Text -> audio nDCG@10 per query language on the held-out libraries (issue #22).

The numbers come from::

    nice -n 10 env PYTHONPATH=. .venv/bin/python benchmarks/eval_multilingual.py \\
        [--sets sfx,soundfont] [--languages en,es,fr,de,it,pt,ja,zh,ru] \\
        [--variant anon|named] [--match sound|words|both] [--set KEY=VALUE ...] \\
        [--out /work/eval-data/eval_multilingual.json]

Queries: ``training.multilingual_queries`` (the recipe's held-out English sets and their
translations; each translation keeps its English query's category). Libraries: the
anonymous ones ``benchmarks/eval_words.py --run`` indexed (``/work/eval-data/libs/
sfx-all-anon`` for ``sfx``, ``soundfont-anon`` for ``soundfont``; builtin encoder), opened
as they are, never indexed here: a library that is missing is reported and skipped. File
names are ``Audio NNNN.<ext>``, and the search is ``match="sound"``, so only the sound and
the text tower count. With ``--variant named --match both`` the libraries with the
packages' own (English) file and folder names are searched as a user searches by default,
words included; ``--set search.translate_words=false`` turns the words side's translation
off (``soundscout.search.crosslingual``) for a comparison in one run. Relevance, metrics
and the set of scored queries are ``eval_words.py``'s: a file is relevant when its
``labels.csv`` category is the query's, nDCG@10 / recall@10 / MRR@10 with binary
relevance, a query counts when the library holds a file of its category.

The acceptance bar of a multilingual text tower: nDCG@10 of every language >= 0.8 x
English, on both sets; the table gives each language's ratio to English.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import eval_data  # noqa: E402
from benchmarks.eval_words import (  # noqa: E402
    SETS,
    K,
    mean,
    ndcg_at_k,
    open_service,
    recall_at_k,
    reciprocal_rank,
    run_search,
)

from training import multilingual_queries as mq  # noqa: E402

#: Query set -> the library (under ``libs/``, anonymous variant) that scores it.
LIBRARIES = {"sfx": "sfx-all", "soundfont": "soundfont"}
BAR = 0.8  # every language's nDCG@10 >= BAR x English
METRICS = ("ndcg@10", "recall@10", "mrr")


def library_dir(set_name: str, variant: str = "anon") -> Path:
    return eval_data.DATA / "libs" / f"{LIBRARIES[set_name]}-{variant}"


def judged_files(
    service: Any, set_name: str, variant: str = "anon"
) -> tuple[dict[str, str], dict[str, int], int]:
    """(file path -> category, category -> number of indexed files, indexed files) of a
    set."""
    packages = SETS[set_name][LIBRARIES[set_name]]
    column = "anon_path" if variant == "anon" else "path"
    category = {
        str((eval_data.DATA / r[column]).absolute()): r["category"]
        for r in eval_data.read_labels()
        if r["package"] in packages and r["category"]
    }
    counts: dict[str, int] = {}
    n_files = 0
    for package in packages:
        root = (eval_data.DATA / f"{set_name}-{variant}" / package).absolute()
        for path, row in service.catalog.rows_under(str(root)).items():
            n_files += row.status == "done"
            if row.status == "done" and path in category:
                counts[category[path]] = counts.get(category[path], 0) + 1
    return category, counts, n_files


def random_ndcg(queries: dict[str, str], counts: dict[str, int], n_files: int) -> float:
    """Expected mean nDCG@10 of a uniformly random ranking (chance level): every rank
    holds a relevant file with probability n_relevant / n_files."""

    def dcg(n: int) -> float:
        return sum(1 / math.log2(i + 2) for i in range(min(K, n)))

    scored = [counts[c] for c in queries.values() if counts.get(c)]
    return mean([n / n_files * dcg(K) / dcg(n) for n in scored])


def score_language(
    service: Any,
    set_name: str,
    language: str,
    category: dict[str, str],
    counts: dict[str, int],
    match: str = "sound",
) -> dict[str, Any]:
    """Mean and per-query metrics of one set in one language (keyed by English query)."""
    texts = {q: (q if language == "en" else t[language]) for q, t in mq.BY_SET[set_name].items()}
    per_query: dict[str, Any] = {}
    for query, wanted in mq.ENGLISH[set_name].items():
        if not counts.get(wanted):
            continue
        hits = run_search(service, texts[query], match) or []
        relevant = [category.get(str(Path(h.path).absolute())) == wanted for h in hits]
        per_query[query] = {
            "text": texts[query],
            "category": wanted,
            "n_relevant": counts[wanted],
            "ndcg@10": ndcg_at_k(relevant, counts[wanted]),
            "recall@10": recall_at_k(relevant, counts[wanted]),
            "mrr": reciprocal_rank(relevant),
            "relevant": relevant,
        }
    return {
        "n_queries": len(per_query),
        "mean": {m: mean([q[m] for q in per_query.values()]) for m in METRICS},
        "per_query": per_query,
    }


def evaluate_set(
    set_name: str,
    languages: list[str],
    variant: str = "anon",
    match: str = "sound",
    settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every language of one set on its library, or why it was skipped."""
    library = library_dir(set_name, variant)
    if not (library / "catalog.sqlite").exists():
        return {"library": str(library), "skipped": f"library missing: {library}"}
    service = open_service(library, settings)
    try:
        category, counts, n_files = judged_files(service, set_name, variant)
        if not counts:
            return {"library": str(library), "skipped": "no labelled indexed file"}
        out: dict[str, Any] = {
            "library": str(library),
            "encoder": service.encoder.version,
            "n_files": n_files,
            "n_labelled": sum(counts.values()),
            "random_ndcg@10": random_ndcg(mq.ENGLISH[set_name], counts, n_files),
            "languages": {},
        }
        for language in languages:
            started = time.perf_counter()
            out["languages"][language] = score_language(
                service, set_name, language, category, counts, match
            )
            took = time.perf_counter() - started
            ndcg = out["languages"][language]["mean"]["ndcg@10"]
            print(f"  {set_name} {language}: nDCG@10 {ndcg:.3f} ({took:.1f} s)", flush=True)
        return out
    finally:
        service.close()


def table(results: dict[str, Any], languages: list[str]) -> str:
    """Markdown: language x set nDCG@10 and its ratio to English, and the bar."""
    sets = [s for s in results if "skipped" not in results[s]]
    head = "| language | " + " | ".join(f"{s} nDCG@10 | {s} / en" for s in sets)
    lines = [head + f" | >= {BAR} x en |", "|---|" + "---:|---:|" * len(sets) + ":---:|"]
    for language in languages:
        cells, passes = [], []
        for s in sets:
            ndcg = results[s]["languages"][language]["mean"]["ndcg@10"]
            ratio = ndcg / results[s]["languages"]["en"]["mean"]["ndcg@10"]
            cells.append(f"{ndcg:.3f} | {ratio:.2f}")
            passes.append(ratio >= BAR)
        mark = "–" if language == "en" else ("yes" if all(passes) else "no")
        lines.append(f"| {language} | " + " | ".join(cells) + f" | {mark} |")
    chance = [results[s]["random_ndcg@10"] for s in sets]
    lines.append(
        "| (random order) | "
        + " | ".join(
            f"{c:.3f} | {c / results[s]['languages']['en']['mean']['ndcg@10']:.2f}"
            for s, c in zip(sets, chance, strict=True)
        )
        + " | |"
    )
    for s in results:
        if "skipped" in results[s]:
            lines.append(f"\n{s}: skipped ({results[s]['skipped']})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(LIBRARIES), help="comma list of sfx, soundfont")
    parser.add_argument("--languages", default=",".join(("en", *mq.LANGUAGES)))
    parser.add_argument("--variant", choices=("anon", "named"), default="anon")
    parser.add_argument("--match", choices=("sound", "words", "both"), default="sound")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="a setting, dotted key"
    )
    parser.add_argument("--out", type=Path, default=eval_data.DATA / "eval_multilingual.json")
    args = parser.parse_args(argv)
    settings = dict(item.split("=", 1) for item in args.set)
    sets = [s for s in args.sets.split(",") if s]
    languages = [lang for lang in args.languages.split(",") if lang]
    if unknown := set(sets) - set(LIBRARIES):
        parser.error(f"unknown sets: {sorted(unknown)}")
    if unknown := set(languages) - {"en", *mq.LANGUAGES}:
        parser.error(f"unknown languages: {sorted(unknown)}")
    if "en" not in languages:
        languages.insert(0, "en")  # the ratios need it
    results = {s: evaluate_set(s, languages, args.variant, args.match, settings) for s in sets}
    print(table(results, languages))
    meta = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "k": K,
        "variant": args.variant,
        "match": args.match,
        "settings": settings,
        "bar": BAR,
        "command": " ".join(["benchmarks/eval_multilingual.py", *(argv or sys.argv[1:])]),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"meta": meta, "results": results}, indent=1, ensure_ascii=False)
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
