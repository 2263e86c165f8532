"""Time and memory of finding duplicate groups in a large library, first run and incremental.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_duplicates.py --n 100000 [--n 30000]

For each size, a catalog of ``n`` indexed sounds is written directly (no audio): 384-d
clustered unit vectors (``benchmarks/scale/common.py``, the builtin encoder's size), lengths
log-normal around 2 s, and a fingerprint of the real size for each (16 bands every 16 ms up
to 8 s). 10 % of the sounds are copies of another (vector at cosine ~0.995, print within
1 dB, same length) and 5 % variants (cosine ~0.97, their own print; with the shipped
settings they are no pairs: variants are off). Each measurement runs in a fresh process
(peak RSS from ``getrusage``): building the IVF index as the service does, the first
grouping of every sound, then an incremental one after 1,000 new sounds.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

WORK = Path("/tmp/soundscout-bench-duplicates")
DIM, VERSION, FRAMES_PER_S, BANDS = 384, "bench-v1", 62.5, 16
COPY_SHARE, VARIANT_SHARE, ADDED = 0.10, 0.05, 1000


def _library(n: int) -> Path:
    return WORK / f"n{n}"


def _rows(n: int, start: int, seed: int) -> tuple[np.ndarray, np.ndarray, list[bytes]]:
    """(vectors, durations, prints) of sounds start..start+n-1, copies and variants planted."""
    from benchmarks.scale.common import generate

    rng = np.random.default_rng(seed)
    vectors = generate("clustered", DIM, n, seed=seed)
    durations = np.minimum(np.exp(rng.normal(np.log(2.0), 0.8, n)), 30.0)
    prints = []
    for d in durations:
        frames = max(1, int(min(d, 8.0) * FRAMES_PER_S))
        prints.append(rng.integers(0, 120, (frames, BANDS), dtype=np.uint8))
    kind = rng.random(n)
    for i in range(1, n):
        if kind[i] < COPY_SHARE + VARIANT_SHARE:
            j = int(rng.integers(0, i))
            noise = 0.1 if kind[i] < COPY_SHARE else 0.25
            v = vectors[j] + noise * rng.standard_normal(DIM).astype(np.float32) / np.sqrt(DIM)
            vectors[i] = v / np.linalg.norm(v)
            if kind[i] < COPY_SHARE:
                durations[i] = durations[j]
                jitter = rng.integers(-2, 3, prints[j].shape)
                prints[i] = np.clip(prints[j].astype(int) + jitter, 0, 120).astype(np.uint8)
    return vectors, durations, [p.tobytes() for p in prints]


def _write(conn: sqlite3.Connection, start: int, n: int, seed: int, rev: int) -> None:
    vectors, durations, prints = _rows(n, start, seed)
    now = time.time()
    conn.execute("BEGIN")
    for k in range(n):
        i = start + k + 1
        conn.execute(
            "INSERT INTO sounds (id, path, root, content_hash, size, mtime_ns, duration, "
            "sample_rate, channels, format, status, encoder_version, added_at, updated_at, rev, "
            "audio_hash, bit_depth) VALUES (?, ?, '/lib', ?, 100000, 1, ?, 48000, 2, 'wav', "
            "'done', ?, ?, ?, ?, ?, 24)",
            (i, f"/lib/s{i:07d}.wav", f"c{i}", float(durations[k]), VERSION, now, now, rev,
             f"a{i}"),
        )  # fmt: skip
        conn.execute("INSERT INTO embeddings VALUES (?, ?)", (i, vectors[k].tobytes()))
        conn.execute("INSERT INTO sound_prints VALUES (?, 1, 0, ?)", (i, prints[k]))
    conn.execute("UPDATE meta SET value = ? WHERE key = 'revision'", (str(rev),))
    conn.execute("COMMIT")


def build(n: int) -> dict:
    """Write the catalog of ``n`` sounds."""
    from soundscout.catalog.catalog import Catalog

    folder = _library(n)
    if (folder / "catalog.sqlite").exists():
        (folder / "catalog.sqlite").unlink()
    Catalog(folder).close()  # migrated schema
    started = time.perf_counter()
    with sqlite3.connect(folder / "catalog.sqlite", isolation_level=None) as conn:
        _write(conn, 0, n, seed=1, rev=1)
    return {"write_s": round(time.perf_counter() - started, 1)}


def _index(catalog: object) -> object:
    from soundscout.index.faiss_index import IndexParams, VectorIndex

    ids, vectors = [], []
    for chunk_ids, chunk in catalog.iter_embeddings(VERSION):  # type: ignore[attr-defined]
        ids.append(chunk_ids)
        vectors.append(chunk)
    return VectorIndex.build(DIM, np.concatenate(ids), np.concatenate(vectors), IndexParams())


def group(n: int, added: bool) -> dict:
    """Index, then group (first run, or after ``ADDED`` new sounds); time and peak memory."""
    from soundscout.catalog.catalog import Catalog
    from soundscout.duplicates.grouping import update_groups
    from soundscout.duplicates.rules import Rules

    folder = _library(n)
    if added:
        with sqlite3.connect(folder / "catalog.sqlite", isolation_level=None) as conn:
            rev = int(conn.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()[0])
            _write(conn, n, ADDED, seed=7, rev=rev + 1)
    catalog = Catalog(folder)
    started = time.perf_counter()
    index = _index(catalog)
    index_s = time.perf_counter() - started
    rss_index = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    report = update_groups(catalog, index, VERSION, Rules(1.0, None, 32, 600.0))  # shipped
    seconds = time.perf_counter() - started
    pairs = catalog.query("SELECT kind, COUNT(*) FROM duplicate_pairs GROUP BY kind")
    catalog.close()
    return {
        "index_s": round(index_s, 1),
        "index_type": index.index_type,  # type: ignore[attr-defined]
        "nprobe": index.params.get("nprobe"),  # type: ignore[attr-defined]
        "group_s": round(seconds, 2),
        "examined": report.examined,
        "groups": report.groups,
        "pairs": dict(pairs),  # type: ignore[arg-type]
        "peak_rss_mb_after_index": round(rss_index / 1024),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, action="append")
    parser.add_argument("--phase", choices=["build", "group", "added"])
    args = parser.parse_args()
    sizes = args.n or [100_000]
    if args.phase:
        work = {
            "build": build,
            "group": lambda n: group(n, False),
            "added": lambda n: group(n, True),
        }
        print(json.dumps(work[args.phase](sizes[0])))
        return
    results = {"machine": f"{platform.node()} {platform.processor() or platform.machine()}"}
    for n in sizes:
        results[str(n)] = {
            "build": _child("--phase", "build", "--n", str(n)),
            "first": _child("--phase", "group", "--n", str(n)),
            "incremental": _child("--phase", "added", "--n", str(n)),
        }
        print(json.dumps({n: results[str(n)]}, indent=1), flush=True)
    (WORK / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
