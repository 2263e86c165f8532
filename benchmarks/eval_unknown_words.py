"""How relevant the results of queries whose words Soundscout knows none of really are, and
what the search says of them (``relevance.UNKNOWN_WORDS_SCALE``, docs/search.md "Words
nobody knows").

    PYTHONPATH=. .venv/bin/python benchmarks/eval_unknown_words.py [--out FILE]

Needs the held-out libraries ``benchmarks/eval_words.py --run`` builds. Every held-out query
of ``training/multilingual_queries.py`` (English and its eight translations) on the SFX and
soundfont sets, named and anonymous, whose words the lexicon does not know
(``crosslingual.knows_a_word``) is searched by ``both`` (kept only when no sound's words
hold them) and by ``sound``; its top 10 are judged by category. For each mode: how often
they were relevant, the relevance said before the scale (what the calibration alone gives)
and after it, and the share relevant among the results then labelled fair and weak.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.eval_multilingual import judged_files, library_dir  # noqa: E402
from benchmarks.eval_words import open_service  # noqa: E402

from soundscout.search import relevance  # noqa: E402
from soundscout.search import service as service_module  # noqa: E402
from soundscout.search.crosslingual import knows_a_word, translate_words  # noqa: E402
from soundscout.search.lexical import parse_words  # noqa: E402
from training import multilingual_queries as mq  # noqa: E402

MODES = ("both", "sound")


def results() -> list[tuple[str, bool, float]]:
    """(mode, relevant, relevance said by the calibration alone) of every top-10 result."""
    scale = service_module.UNKNOWN_WORDS_SCALE
    service_module.UNKNOWN_WORDS_SCALE = 1.0  # what the calibration alone says
    rows = []
    try:
        for set_name in ("sfx", "soundfont"):
            for variant in ("named", "anon"):
                service = open_service(library_dir(set_name, variant))
                category, counts, _ = judged_files(service, set_name, variant)
                for lang in ("en", *mq.LANGUAGES):
                    for query, translations in mq.BY_SET[set_name].items():
                        wanted = mq.ENGLISH[set_name][query]
                        text = query if lang == "en" else translations[lang]
                        if not counts.get(wanted) or knows_a_word(
                            translate_words(parse_words(text))
                        ):
                            continue
                        for mode in MODES:
                            hits = service.search(text=text, k=10, match=mode).hits
                            if mode == "both" and any(
                                h.explain and h.explain.matches for h in hits
                            ):
                                continue  # some sound's words hold them
                            for hit in hits:
                                found = category.get(str(Path(hit.path).absolute())) == wanted
                                rows.append((mode, found, float(hit.relevance or 0.0)))
                service.close()
    finally:
        service_module.UNKNOWN_WORDS_SCALE = scale
    return rows


def summary(rows: list[tuple[str, bool, float]], scale: float) -> dict[str, dict[str, float]]:
    """Per mode: results, share relevant, relevance said before and after ``scale``, and
    the share relevant among those banded fair and weak after it."""
    out = {}
    for mode in MODES:
        found = np.array([r[1] for r in rows if r[0] == mode], float)
        said = np.array([r[2] for r in rows if r[0] == mode])
        if not len(found):
            continue
        scaled = said * scale
        fair = scaled >= relevance.FAIR
        out[mode] = {
            "results": int(len(found)),
            "relevant": round(float(found.mean()), 3),
            "said_unscaled": round(float(said.mean()), 3),
            "said": round(float(scaled.mean()), 3),
            "fair": int(fair.sum()),
            "fair_relevant": round(float(found[fair].mean()), 3) if fair.any() else None,
            "weak_relevant": round(float(found[~fair].mean()), 3) if (~fair).any() else None,
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="write the summary as JSON")
    args = parser.parse_args(argv)
    rows = results()
    table = summary(rows, relevance.UNKNOWN_WORDS_SCALE)
    print(
        "| mode | results | relevant | said (calibration) | said (scaled) | fair: n, relevant "
        "| weak: relevant |"
    )
    print("|---|---:|---:|---:|---:|---|---:|")
    for mode, m in table.items():
        print(
            f"| {mode} | {m['results']} | {m['relevant']} | {m['said_unscaled']} | {m['said']} "
            f"| {m['fair']}, {m['fair_relevant']} | {m['weak_relevant']} |"
        )
    if args.out:
        args.out.write_text(json.dumps(table, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
