"""Markdown tables from the shipped ``metrics.json`` (pasted into docs/models.md).

python -m training.report
"""

from __future__ import annotations

import json

from training import config

_T2A = ("recall@10", "hit@10", "ndcg@10")


def tables(metrics: dict) -> str:
    """Summary table per held-out set, then per-category P@10 and per-query nDCG."""
    lines = [
        "| held-out set | items | queries | text→audio recall@10 | hit@10 | nDCG@10 "
        "| audio→audio P@10 |",
        "|---|---|---|---|---|---|---|",
    ]
    for key in [k for k in metrics if k == "soundfont" or k.startswith("sfx")]:
        r = metrics[key]
        t, a = r["text_to_audio"], r["audio_to_audio_p@10"]
        cells = [f"**{t[m]['model']:.2f}** (random {t[m]['random']:.2f})" for m in _T2A]
        a2a = f"**{a['model']:.2f}** (MFCC {a['mfcc']:.2f}, random {a['random']:.2f})"
        lines.append(
            f"| {r['set']} | {r['n_items']} | {r['n_queries']} | "
            + " | ".join(cells)
            + f" | {a2a} |"
        )
    for key in ("soundfont", "sfx"):
        r = metrics[key]
        lines += [
            "",
            f"Per category, {r['set']} (audio→audio P@10, model / MFCC, n):",
            "",
            "| category | model | MFCC | n |",
            "|---|---|---|---|",
        ]
        for cat, v in r["per_category_p@10"].items():
            lines.append(f"| {cat} | {v['model']:.2f} | {v['mfcc']:.2f} | {v['n']} |")
        lines += [
            "",
            f"Per query, {r['set']} (text→audio):",
            "",
            "| query | recall@10 | nDCG@10 |",
            "|---|---|---|",
        ]
        for q, v in r["per_query"].items():
            lines.append(f"| {q} | {v['recall@10']:.2f} | {v['ndcg@10']:.2f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(tables(json.loads((config.WEIGHTS_OUT / "metrics.json").read_text())))
