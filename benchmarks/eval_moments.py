"""Moments: how well search finds the time range of an event inside a long recording.

The numbers come from::

    PYTHONPATH=. .venv/bin/python benchmarks/moments_data.py --out /tmp/moments-eval/data
    PYTHONPATH=. nice .venv/bin/python benchmarks/eval_moments.py --data /tmp/moments-eval/data
        [--windows 1,2] [--out /tmp/moments-eval/eval_moments.json]

Data (``benchmarks/moments_data.py``, held-out sounds only): long recordings (beds of
music, ambience, room tone or soundfont stems) holding one-shot events at 0, -10 and -20 dB
SNR, plus distractor one-shots. One library per data folder and ``moments.segment_windows``
in ``/tmp/moments-eval/libs/<data folder name>-w<N>`` (builtin encoder; reused, indexing is
incremental).

Queries per event: the placed one-shot itself (``audio same``), another one-shot of its
category kept out of the library (``audio other``) and the recipe's text queries of its
category (``text``, matched by sound only: every file name is anonymous). Each runs once
with ``moments=True`` (segments) and once with ``moments=False`` (whole files, whose only
"moment" is the whole file), over every file of the library (k = all).

* **Moments**: per query kind and SNR, the share of rows whose event file's top moment has
  IoU >= 0.5 with the event span (the file found at any rank; and found in the top 10),
  the share of rows where any returned moment of the file does, the median absolute error
  of the top moment's centre, the share of rows with the file in the top 10; the same for
  whole files. Then IoU >= 0.5 per bed kind, and per event length (under 1 s, 1-2 s, 2 s
  and over) with the signed boundary errors (moment minus event) and the moment and event
  lengths over the rows whose top moment overlaps the event, for tuning the estimator.
* **Files**: nDCG@10 with binary relevance on the mixed library: a one-shot is relevant to
  a query of category C when it is of C, a long file when it holds an event of C at SNR >=
  -10 dB; a long file holding C only at -20 dB, or in its bed, is left out of the ranking
  (unjudged). Also the recall@10 of the relevant long files alone and how many long files
  (all, relevant) the top 10 holds.

Results: the tables printed and a JSON (``--out``) with every row (query, event, rank and
top moment per mode), the summaries and the git commit and uncommitted ``src`` files.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import eval_data  # noqa: E402
from benchmarks.eval_words import ndcg_at_k, recall_at_k  # noqa: E402

K = 10
ROOT = Path("/tmp/moments-eval")
KINDS = ("audio same", "audio other", "text")
SNRS = (0.0, -10.0, -20.0)
MODES = {"segments": True, "files": False}


# -- libraries and search -----------------------------------------------------------------
#: Extra settings (``--set moments.segment_penalty=1``): query-time only, libraries are reused.
EXTRA: dict[str, str] = {}
#: Where the libraries live (``--libs``: one folder per model compared, e.g. with
#: ``--set encoder.weights=RUN/model.safetensors``).
LIBS = ROOT / "libs"


def open_service(library: Path, windows: int) -> Any:
    """A SearchService on ``library`` with the builtin encoder and ``windows`` per segment."""
    from soundscout.config import load_config
    from soundscout.search.service import SearchService

    overrides = {
        "library.path": str(library),
        "encoder.name": "builtin",
        "moments.segment_windows": windows,
        **EXTRA,
    }
    return SearchService(load_config(overrides=overrides, environ={}).settings)


def build(data: Path, windows: int) -> tuple[Any, dict[str, int]]:
    """The library of one setting, indexed; (service, sound id by path under the library)."""
    service = open_service(LIBS / f"{data.name}-w{windows}", windows)
    root = (data / "library").absolute()
    started = time.perf_counter()
    report = service.index_folder(root, progress=sys.stderr.isatty())
    print(f"  indexed {root} in {time.perf_counter() - started:.0f} s: {report}", flush=True)
    rows = service.catalog.rows_under(str(root))
    ids = {str(Path(p).relative_to(root)): r.id for p, r in rows.items() if r.status == "done"}
    return service, ids


class Searcher:
    """Every file of the library ranked for a query, cached per query and mode."""

    def __init__(self, service: Any, n_files: int) -> None:
        self.service = service
        self.cache: dict[tuple[bool, str, bool], list[Any]] = {}
        self.k = min(n_files, service.settings.search.max_k)

    def hits(self, kind: str, query: str, moments: bool) -> list[Any]:
        """The ranked hits of a text query or (``audio ...``) a query file."""
        key = (kind.startswith("audio"), query, moments)
        if key not in self.cache:
            args = {"audio_path": query} if key[0] else {"text": query, "match": "sound"}
            self.cache[key] = list(self.service.search(**args, k=self.k, moments=moments).hits)
        return self.cache[key]


# -- moments ------------------------------------------------------------------------------
def iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Intersection over union of two time ranges."""
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = (a[1] - a[0]) + (b[1] - b[0]) - inter
    return inter / union if union > 0 else 0.0


def queries(truth: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (event, query): kind, query, the event and its file."""
    by_category = defaultdict(list)
    for text, category in truth["text_queries"].items():
        by_category[category].append(text)
    data = Path(truth["data"])
    rows = []
    for long in truth["long"]:
        for event in long["events"]:
            asked = [("audio same", str(data / event["audio"]))]
            asked += [("audio other", str(data / event["other"]))] if event["other"] else []
            asked += [("text", t) for t in by_category[event["category"]]]
            for kind, query in asked:
                rows.append({"kind": kind, "query": query, "long": long, "event": event})
    return rows


def locate_row(row: dict[str, Any], hits: list[Any], sound_id: int | None) -> dict[str, Any]:
    """Rank of the event's file, its top moment and the errors of that moment."""
    event, duration = row["event"], row["long"]["duration"]
    truth = (event["start"], event["end"])
    rank = next((i + 1 for i, h in enumerate(hits) if h.id == sound_id), None)
    out: dict[str, Any] = {"rank": rank}
    if rank is None:
        return out
    moments = hits[rank - 1].moments or ()
    spans = [(m.start, m.end) for m in moments] or [(0.0, duration)]
    top = spans[0]
    out.update(
        moment=top,
        moments=len(moments),
        iou=iou(top, truth),
        any_iou=max(iou(s, truth) for s in spans),
        centre_error=(top[0] + top[1]) / 2 - (truth[0] + truth[1]) / 2,
        start_error=top[0] - truth[0],
        end_error=top[1] - truth[1],
    )
    return out


def moment_rows(searcher: Searcher, truth: dict, ids: dict[str, int]) -> list[dict[str, Any]]:
    """Every query row with its result per mode (segments, files)."""
    out = []
    for row in queries(truth):
        result = {
            "kind": row["kind"],
            "query": row["query"],
            "file": row["long"]["path"],
            "bed": row["long"]["bed"]["kind"],
            **{k: row["event"][k] for k in ("start", "end", "category", "set", "snr_db")},
        }
        for mode, flag in MODES.items():
            hits = searcher.hits(row["kind"], row["query"], flag)
            result[mode] = locate_row(row, hits, ids.get(row["long"]["path"]))
        out.append(result)
    return out


def share(rows: list[dict], test: Any) -> float:
    return sum(bool(test(r)) for r in rows) / len(rows) if rows else float("nan")


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Shares and medians of one group of rows, per mode; the boundary errors and lengths
    over the rows whose top moment overlaps the event (``overlapping``)."""
    out: dict[str, Any] = {"rows": len(rows)}
    for mode in MODES:
        found = [r[mode] for r in rows if r[mode]["rank"] is not None]
        on = [(r[mode], r["end"] - r["start"]) for r in rows if r[mode].get("iou", 0) > 0]
        top = [r[mode] for r in rows]
        out[mode] = {
            "file@10": share(top, lambda m: m["rank"] is not None and m["rank"] <= K),
            "iou>=0.5": share(top, lambda m: m.get("iou", 0) >= 0.5),
            "iou>=0.5&@10": share(top, lambda m: m.get("iou", 0) >= 0.5 and m["rank"] <= K),
            "any_iou>=0.5": share(top, lambda m: m.get("any_iou", 0) >= 0.5),
            "overlap": share(top, lambda m: m.get("iou", 0) > 0),
            "median_abs_centre_error": median([abs(m["centre_error"]) for m in found]),
            "overlapping": len(on),
            "median_iou_overlapping": median([m["iou"] for m, _ in on]),
            "median_start_error": median([m["start_error"] for m, _ in on]),
            "median_end_error": median([m["end_error"] for m, _ in on]),
            "median_moment_seconds": median([m["moment"][1] - m["moment"][0] for m, _ in on]),
            "median_event_seconds": median([seconds for _, seconds in on]),
        }
    return out


def group(rows: list[dict[str, Any]], key: Any) -> dict[str, dict[str, Any]]:
    """Summaries of the rows per ``key(row)`` (a string), in key order."""
    keys = sorted({key(r) for r in rows})
    return {k: summarize([r for r in rows if key(r) == k]) for k in keys}


def length_bin(row: dict[str, Any]) -> str:
    """The event's length class: under 1 s, 1-2 s, 2 s and over."""
    seconds = row["end"] - row["start"]
    return "a <1 s" if seconds < 1 else "b 1-2 s" if seconds < 2 else "c >=2 s"


def moment_tables(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Summaries per query kind and SNR (and per kind over all SNRs)."""
    groups: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        mine = [r for r in rows if r["kind"] == kind]
        for snr in (*SNRS, None):
            chosen = [r for r in mine if snr is None or r["snr_db"] == snr]
            groups[f"{kind}|{'all' if snr is None else f'{snr:g}'}"] = summarize(chosen)
    return groups


# -- file retrieval -----------------------------------------------------------------------
def judgements(truth: dict[str, Any]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(relevant files, unjudged files) per category; see the module docstring."""
    relevant: dict[str, set[str]] = defaultdict(set)
    unjudged: dict[str, set[str]] = defaultdict(set)
    for shot in truth["oneshots"]:
        if shot["category"]:
            relevant[shot["category"]].add(shot["path"])
    for long in truth["long"]:
        for event in long["events"]:
            judged = relevant if event["snr_db"] >= -10 else unjudged
            judged[event["category"]].add(long["path"])
        for category in long["bed"]["categories"]:
            unjudged[category].add(long["path"])
    return relevant, unjudged


def file_queries(truth: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Unique (kind, query, category): text queries, placed one-shots, the others."""
    data = Path(truth["data"])
    out = {("text", q, c) for q, c in truth["text_queries"].items()}
    for long in truth["long"]:
        for event in long["events"]:
            out.add(("audio same", str(data / event["audio"]), event["category"]))
            if event["other"]:
                out.add(("audio other", str(data / event["other"]), event["category"]))
    return sorted(out)


def file_metrics(searcher: Searcher, truth: dict, ids: dict[str, int]) -> dict[str, Any]:
    """Per query kind and mode, the means of nDCG@10, recall@10 of the relevant long files
    and the long files (all, relevant) in the top 10."""
    relevant, unjudged = judgements(truth)
    path_of = {i: p for p, i in ids.items()}
    per: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for kind, query, category in file_queries(truth):
        wanted = relevant.get(category, set()) & set(ids)
        longs = {p for p in wanted if p.startswith("long/")}
        if not wanted:
            continue
        for mode, flag in MODES.items():
            paths = [path_of.get(h.id) for h in searcher.hits(kind, query, flag)]
            paths = [p for p in paths if p not in unjudged.get(category, set())]
            per[kind][f"{mode} ndcg@10"].append(
                ndcg_at_k([p in wanted for p in paths], len(wanted))
            )
            top = [p for p in paths[:K] if p and p.startswith("long/")]
            per[kind][f"{mode} long@10"].append(len(top))
            per[kind][f"{mode} relevant long@10"].append(sum(p in longs for p in top))
            if longs:
                flags = [p in longs for p in paths]
                per[kind][f"{mode} long recall@10"].append(recall_at_k(flags, len(longs)))
        per[kind]["queries"].append(1)
    return {
        kind: {m: (len(v) if m == "queries" else sum(v) / len(v)) for m, v in metrics.items()}
        for kind, metrics in per.items()
    }


# -- output -------------------------------------------------------------------------------
def _pair(summary: dict[str, Any], metric: str, digits: int = 2) -> str:
    seg, files = summary["segments"][metric], summary["files"][metric]
    return f"{seg:.{digits}f} / {files:.{digits}f}"


def tables(results: list[dict[str, Any]]) -> str:
    """Markdown tables of every setting's moments, boundaries and file retrieval."""
    lines = [
        "Moments (segments / whole files; IoU and centre error of the event file's top moment)",
        "",
        "| windows | query | SNR dB | rows | file in top 10 | IoU >= 0.5 | IoU >= 0.5, top 10 "
        "| any moment IoU >= 0.5 | median abs centre error s |",
        "|---|---|---|---:|---|---|---|---|---|",
    ]
    for r in results:
        for key, s in r["moments"].items():
            kind, snr = key.split("|")
            lines.append(
                f"| {r['windows']} | {kind} | {snr} | {s['rows']} | {_pair(s, 'file@10')} | "
                f"{_pair(s, 'iou>=0.5')} | {_pair(s, 'iou>=0.5&@10')} | "
                f"{_pair(s, 'any_iou>=0.5')} | {_pair(s, 'median_abs_centre_error', 1)} |"
            )
    lines += _bed_lines(results) + _boundary_lines(results) + _file_lines(results)
    return "\n".join(lines)


def _bed_lines(results: list[dict[str, Any]]) -> list[str]:
    lines = [
        "",
        "Top moment IoU >= 0.5 by bed (segments, all SNRs; rows in brackets)",
        "",
        f"| windows | bed | {' | '.join(KINDS)} |",
        f"|---|---|{'---:|' * len(KINDS)}",
    ]
    for r in results:
        for bed in sorted({key.split("|")[1] for key in r["by_bed"]}):
            cells = [r["by_bed"].get(f"{kind}|{bed}") for kind in KINDS]
            shown = [f"{c['segments']['iou>=0.5']:.2f} ({c['rows']})" if c else "–" for c in cells]
            lines.append(f"| {r['windows']} | {bed} | {' | '.join(shown)} |")
    return lines


def _boundary_lines(results: list[dict[str, Any]]) -> list[str]:
    lines = [
        "",
        "Top moment with segments, by event length (all SNRs); boundary errors (moment minus",
        "event, seconds) and lengths over the rows whose top moment overlaps the event",
        "",
        "| windows | query | event | rows | IoU >= 0.5 | overlaps | median IoU if overlapping "
        "| start error | end error | moment s | event s |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        for key, s in r["by_length"].items():
            kind, length = key.split("|")
            m = s["segments"]
            lines.append(
                f"| {r['windows']} | {kind} | {length[2:]} | {s['rows']} | {m['iou>=0.5']:.2f} "
                f"| {m['overlap']:.2f} | {m['median_iou_overlapping']:.2f} "
                f"| {m['median_start_error']:+.2f} | {m['median_end_error']:+.2f} "
                f"| {m['median_moment_seconds']:.2f} | {m['median_event_seconds']:.2f} |"
            )
    return lines


def _file_lines(results: list[dict[str, Any]]) -> list[str]:
    lines = [
        "",
        "Files (mixed library; segments / whole files)",
        "",
        "| windows | query | queries | nDCG@10 | recall@10 of long files "
        "| long files in top 10 | relevant long files in top 10 |",
        "|---|---|---:|---|---|---|---|",
    ]
    for r in results:
        for kind, m in sorted(r["files"].items()):
            cells = [
                f"{m[f'segments {name}']:.{digits}f} / {m[f'files {name}']:.{digits}f}"
                for name, digits in (
                    ("ndcg@10", 3),
                    ("long recall@10", 3),
                    ("long@10", 2),
                    ("relevant long@10", 2),
                )
            ]
            lines.append(f"| {r['windows']} | {kind} | {m['queries']} | {' | '.join(cells)} |")
    return lines


def evaluate(data: Path, truth: dict[str, Any], windows: int) -> dict[str, Any]:
    """Every measurement of one ``segment_windows`` setting."""
    service, ids = build(data, windows)
    searcher = Searcher(service, len(ids))
    started = time.perf_counter()
    rows = moment_rows(searcher, truth, ids)
    files = file_metrics(searcher, truth, ids)
    searched = time.perf_counter() - started
    service.close()
    return {
        "windows": windows,
        "n_files": len(ids),
        "search_seconds": round(searched, 1),
        "moments": moment_tables(rows),
        "by_bed": group(rows, lambda r: f"{r['kind']}|{r['bed']}"),
        "by_length": group(rows, lambda r: f"{r['kind']}|{length_bin(r)}"),
        "files": files,
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    global LIBS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--windows", default="1", help="comma list of segment_windows")
    parser.add_argument("--out", type=Path, default=ROOT / "eval_moments.json")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--libs", type=Path, default=LIBS, help="folder of the libraries")
    args = parser.parse_args(argv)
    EXTRA.update(item.split("=", 1) for item in args.set)
    LIBS = args.libs
    truth_path = args.data / "truth.json"
    if not truth_path.exists():
        parser.error(f"no {truth_path}: run benchmarks/moments_data.py --out {args.data}")
    truth = json.loads(truth_path.read_text())
    results = []
    for windows in [int(w) for w in args.windows.split(",") if w]:
        print(f"segment_windows={windows}:", flush=True)
        results.append(evaluate(args.data, truth, windows))
    print(tables(results))
    meta = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "k": K,
        "data": str(args.data),
        "eval_data": str(eval_data.DATA),
        "seed": truth["seed"],
        "git": _git("rev-parse", "HEAD"),
        "uncommitted": _git("status", "--porcelain", "--", "src").splitlines(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": meta, "results": results}, indent=1, default=_json))
    print(f"wrote {args.out}")
    return 0


def _git(*args: str) -> str:
    """Output of a git command in the repository ("" when git fails)."""
    repo = Path(__file__).resolve().parents[1]
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def _json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


if __name__ == "__main__":
    raise SystemExit(main())
