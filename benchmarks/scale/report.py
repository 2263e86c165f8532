"""The ``report`` step: WORK/results.jsonl rendered as Markdown tables."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

import numpy as np

from .common import WORK

ANN_HEADER = [
    "vectors",
    "dim",
    "n",
    "index",
    "setting",
    "build s",
    "build peak MB",
    "index MB",
    "recall@10",
    "p50 ms",
    "p99 ms",
    "p50 ms (all threads)",
    "batch q/s",
    "load",
]
FILTER_HEADER = [
    "vectors",
    "dim",
    "n",
    "index",
    "nprobe",
    "selected",
    "method",
    "recall@10",
    "p50 ms",
    "p99 ms",
]
SERVER_HEADER = [
    "model",
    "index",
    "dim",
    "n",
    "start to first answer s",
    "HTTP p50 ms",
    "HTTP p99 ms",
    "HTTP filtered p50 ms",
    "RSS MB",
    "peak RSS MB",
    "load",
]
TEXT_HEADER = [
    "n",
    "index",
    "torch threads",
    "text encode p50 ms",
    "search p50 ms",
    "search p99 ms",
    "load",
]


def report(out: Path) -> None:
    """Write the Markdown report of every record to ``out`` and print it."""
    records = [json.loads(line) for line in (WORK / "results.jsonl").read_text().splitlines()]
    lines = [machine_line(records), ""]
    lines += ann_tables([r for r in records if r["section"] == "ann"])
    lines += filter_table([r for r in records if r["section"] == "filters"])
    lines += catalog_table([r for r in records if r["section"] == "catalog"])
    lines += server_tables(records)
    out.write_text("\n".join(lines) + "\n")
    print(out.read_text())


def machine_line(records: list[dict[str, Any]]) -> str:
    """One sentence on the machine, the versions, and the load during the runs."""
    import faiss

    loads = [r["load"] for r in records if "load" in r]
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"Machine: {_cpu_name()}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, "
        f"Python {platform.python_version()}, faiss {faiss.__version__}, numpy "
        f"{np.__version__}. The machine was shared: 1-minute load average during the runs "
        f"{min(loads, default=0):.1f}-{max(loads, default=0):.1f} on {os.cpu_count()} cores."
    )


def _cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def _best(rows: list[dict[str, Any]], target: float = 0.95) -> dict[str, Any]:
    """The fastest setting reaching ``target`` recall, else the most accurate one."""
    good = [r for r in rows if r["recall"] >= target]
    return min(good, key=lambda r: r["p50_ms"]) if good else max(rows, key=lambda r: r["recall"])


def _setting(r: dict[str, Any]) -> str:
    parts = [f"{k}={r[k]}" for k in ("nlist", "nprobe", "M", "efSearch", "pq_bytes") if k in r]
    return " ".join(parts) or "-"


def _ann_row(r: dict[str, Any]) -> list[Any]:
    return [
        r["dist"],
        r["dim"],
        f"{r['n']:,}",
        r["kind"],
        _setting(r),
        r["build_s"],
        r["peak_mb"],
        r["index_mb"],
        r["recall"],
        r["p50_ms"],
        r["p99_ms"],
        r["p50_ms_all_threads"],
        r["qps_batch"],
        r.get("load", ""),
    ]


def _latest(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per (data, size, index, setting): the last one measured."""
    keyed = {(r["dist"], r["dim"], r["n"], r["kind"], _setting(r)): r for r in records}
    return list(keyed.values())


def _ann_key(r: dict[str, Any]) -> tuple:
    return (r["dist"], -r["dim"], r["n"], r["kind"], r.get("nprobe") or 0)


def _group(r: dict[str, Any]) -> tuple:
    return (r["dist"], r["dim"], r["n"], r["kind"])


def ann_tables(records: list[dict[str, Any]]) -> list[str]:
    """What Soundscout builds, every candidate at its best, and every 768-d setting."""
    from soundscout.index.faiss_index import IndexParams

    records = _latest(records)
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault(_group(r), []).append(r)
    threshold = IndexParams().ann_threshold
    chosen = [  # the exact index at every size, for comparison, and what is built above
        r
        for r in records
        if r["kind"] == "flat"
        or (r["kind"] == "ivf_fp16" and r.get("tuned") and r["n"] >= threshold)
    ]
    best = [_best(runs) for _, runs in sorted(groups.items())]
    sweep = [r for r in records if r["dim"] == 768 and len(groups[_group(r)]) > 1]
    return [
        "### What Soundscout builds (exact below the threshold, IVF-fp16 with tuned nprobe "
        "above), against exact search",
        "",
        *_table(ANN_HEADER, [_ann_row(r) for r in sorted(chosen, key=_ann_key)]),
        "",
        "### Every candidate: its fastest setting with recall@10 >= 0.95 (else its best recall)",
        "",
        *_table(ANN_HEADER, [_ann_row(r) for r in sorted(best, key=_ann_key)]),
        "",
        "### Every setting measured (768-d)",
        "",
        *_table(ANN_HEADER, [_ann_row(r) for r in sorted(sweep, key=_ann_key)]),
        "",
    ]


def filter_table(records: list[dict[str, Any]]) -> list[str]:
    """Every filter method at every selectivity."""
    rows = [
        [
            r["dist"],
            r["dim"],
            f"{r['n']:,}",
            r["kind"],
            r.get("nprobe") or "-",
            f"{r['fraction']:.0%}",
            r["method"],
            r["recall"],
            r["p50_ms"],
            r["p99_ms"],
        ]
        for r in sorted(
            records,
            key=lambda r: (r["dist"], r["dim"], r["n"], r["kind"], r["fraction"], r["method"]),
        )
    ]
    return ["### Filtered search (vector side; ids given)", "", *_table(FILTER_HEADER, rows), ""]


def catalog_table(records: list[dict[str, Any]]) -> list[str]:
    """The latest run of each catalog step, with the rows each filter selected."""
    records = list({r["step"]: r for r in records}.values())  # the latest run of each step
    selected = {
        r["step"][len("selected by ") :]: r["rows"]
        for r in records
        if r["step"].startswith("selected by ")
    }
    rows = []
    for r in records:
        step = r["step"]
        if step.startswith("selected by "):
            continue
        extra = r.get("rows", r.get("peak_mb", ""))
        if step.startswith("filter_ids: "):
            extra = f"{selected.get(step[len('filter_ids: ') :], '')} ids"
        elif "peak_mb" in r:
            extra = f"{r['peak_mb']} MB peak"
        rows.append([step, r.get("seconds", ""), extra])
    return ["### Catalog at 10^6 rows", "", *_table(["step", "seconds", "result"], rows), ""]


def _server_row(r: dict[str, Any]) -> list[Any]:
    return [
        r.get("model", "none"),
        r["kind"],
        r["dim"],
        f"{r['n']:,}",
        r["first_answer_s"],
        r["http_p50_ms"],
        r["http_p99_ms"],
        r["http_filtered_p50_ms"],
        r.get("VmRSS"),
        r.get("VmHWM"),
        r.get("load", ""),
    ]


def _text_row(r: dict[str, Any]) -> list[Any]:
    return [
        f"{r['n']:,}",
        r["kind"],
        r.get("torch_threads", ""),
        r["encode_p50_ms"],
        r["e2e_p50_ms"],
        r["e2e_p99_ms"],
        r.get("load", ""),
    ]


def server_tables(records: list[dict[str, Any]]) -> list[str]:
    """The server's start-up and HTTP latency, and the text query end to end."""
    server = [_server_row(r) for r in records if r["section"] == "server"]
    text = [_text_row(r) for r in records if r["section"] == "text"]
    return [
        "### Server: the real app at 10^6 sounds (model: none = a stand-in text encoder; "
        "clamp3 = the full-size model with random weights)",
        "",
        *_table(SERVER_HEADER, server),
        "",
        "### Text query end to end (builtin text tower, SearchService.search)",
        "",
        *_table(TEXT_HEADER, text),
        "",
    ]
