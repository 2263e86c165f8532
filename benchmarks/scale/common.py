"""Shared by every section: the work folder, synthetic data, measuring, and result records."""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

WORK = Path(os.environ.get("BENCH_SCALE_WORK", "/tmp/soundscout-bench-scale"))
#: The command-line entry; child processes run it again with a subcommand.
SCRIPT = Path(__file__).resolve().parents[1] / "bench_scale.py"
NQ = 300  # queries for recall and batched throughput
NQ_LATENCY = 200  # single queries timed one by one
K = 10
CHUNK = 50_000
N_CLUSTERS, SPREAD_RANK, SPREAD, NOISE = 1000, 32, 0.6, 0.25


# -- synthetic data -------------------------------------------------------------------------


def _unit(x: np.ndarray) -> np.ndarray:
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def _structure(dim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1234 + dim)
    centers = _unit(rng.standard_normal((N_CLUSTERS, dim), dtype=np.float32))
    basis = np.linalg.qr(rng.standard_normal((dim, SPREAD_RANK)))[0].astype(np.float32)
    weights = 1.0 / np.arange(1, N_CLUSTERS + 1) ** 0.7
    return centers, basis, weights / weights.sum()


def generate(dist: str, dim: int, rows: int, seed: int) -> np.ndarray:
    """``rows`` unit vectors; chunk i depends only on (seed, i), so prefixes are stable."""
    out = np.empty((rows, dim), dtype=np.float32)
    structure = _structure(dim) if dist == "clustered" else None
    for start in range(0, rows, CHUNK):
        rng = np.random.default_rng([seed, start // CHUNK])
        n = min(CHUNK, rows - start)
        if structure is None:
            block = rng.standard_normal((n, dim), dtype=np.float32)
        else:
            centers, basis, weights = structure
            labels = rng.choice(N_CLUSTERS, size=n, p=weights)
            spread = rng.standard_normal((n, SPREAD_RANK), dtype=np.float32) @ basis.T
            noise = rng.standard_normal((n, dim), dtype=np.float32)
            block = centers[labels] + SPREAD * spread / math.sqrt(SPREAD_RANK)
            block += NOISE * noise / math.sqrt(dim)
        out[start : start + n] = _unit(block)
    return out


def data_dir(dist: str, dim: int) -> Path:
    """The folder of one data set's base vectors, queries and exact top-K."""
    return WORK / "data" / f"{dist}-{dim}"


def ensure_data(dist: str, dim: int, sizes: list[int]) -> None:
    """Base vectors for the largest size, queries, and exact top-K for every size."""
    import faiss

    folder = data_dir(dist, dim)
    folder.mkdir(parents=True, exist_ok=True)
    base_file, top = folder / "base.npy", max(sizes)
    if not base_file.exists() or np.load(base_file, mmap_mode="r").shape[0] < top:
        np.save(base_file, generate(dist, dim, top, seed=1))
    queries = generate(dist, dim, NQ, seed=2)
    np.save(folder / "queries.npy", queries)
    for n in sizes:
        gt_file = folder / f"gt-{n}.npy"
        if gt_file.exists():
            continue
        flat = faiss.IndexFlatIP(dim)
        flat.add(load_base(dist, dim, n))
        np.save(gt_file, flat.search(queries, K)[1])
        del flat


def load_base(dist: str, dim: int, n: int) -> np.ndarray:
    """The first ``n`` base vectors of a data set, in memory."""
    return np.array(np.load(data_dir(dist, dim) / "base.npy", mmap_mode="r")[:n])


# -- measuring --------------------------------------------------------------------------------


def rss_mb(field: str = "VmRSS") -> float:
    """This process's ``field`` of /proc/self/status in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    """Reset VmHWM so that a peak measured next is the next step's own."""
    with contextlib.suppress(OSError):  # not allowed everywhere: then VmHWM is since start
        Path("/proc/self/clear_refs").write_text("5")


def recall(found: np.ndarray, truth: np.ndarray, k: int = K) -> float:
    """Share of the true top-``k`` ids found (missing ids, -1, ignored on both sides)."""
    hits = [
        len(set(f[:k][f[:k] >= 0]) & set(t[:k][t[:k] >= 0]))
        for f, t in zip(found, truth, strict=True)
    ]
    wanted = [min(k, int((t[:k] >= 0).sum())) for t in truth]
    return float(sum(hits) / max(1, sum(wanted)))


def median_seconds(fn: Callable[[], object], repeats: int, warm_up: bool = False) -> float:
    """Median wall seconds of ``fn()`` over ``repeats`` runs (after one untimed run with
    ``warm_up``)."""
    if warm_up:
        fn()
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return float(np.median(runs))


def latencies(search: Callable[[np.ndarray], Any], queries: np.ndarray) -> tuple[float, float]:
    """p50 and p99 in ms of one-query searches."""
    times = []
    for q in queries:
        started = time.perf_counter()
        search(q[None, :])
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(0.99 * len(times)))]


def throughput(search: Callable[[np.ndarray], Any], queries: np.ndarray) -> float:
    """Queries per second of one batched search."""
    started = time.perf_counter()
    search(queries)
    return len(queries) / (time.perf_counter() - started)


# -- result records ---------------------------------------------------------------------------


#: Steps run in this process append their records to WORK/results.jsonl themselves.
#: Set it as ``common.SAVE_HERE`` (a ``from`` import would copy the value).
SAVE_HERE = False


def emit(record: dict[str, Any]) -> None:
    """Print one result as a JSON line (and save it when ``SAVE_HERE``)."""
    record.setdefault("load", round(os.getloadavg()[0], 1))
    print(json.dumps(record), flush=True)
    if SAVE_HERE:
        with (WORK / "results.jsonl").open("a") as handle:
            handle.write(json.dumps(record) + "\n")


def child(args: list[str], timeout: float = 3600) -> list[dict[str, Any]]:
    """Run this script in a child process; collect its JSON lines."""
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout
    )
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
    records = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return records


def save(records: list[dict[str, Any]]) -> None:
    """Append a child's records to WORK/results.jsonl."""
    WORK.mkdir(parents=True, exist_ok=True)
    with (WORK / "results.jsonl").open("a") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")
            print(record, flush=True)
