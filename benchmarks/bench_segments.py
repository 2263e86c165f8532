"""Moments at scale: segment index size and search time at 10^6 one-shots + 10^4 long files.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_segments.py \
        [--files 1000000] [--long 10000] [--long-seconds 360] [--dim 384] [--per-segment 1]

Synthetic vectors (no model): the one-shots are the ``clustered`` vectors of
``benchmarks/bench_scale.py``; each long file is a walk through that space, its segment
vectors drifting from one cluster to the next every 20-60 s with noise, one segment per
second at ``--per-segment 1`` (the builtin encoder's 2 s windows every 1 s). Both indexes
are built as the library builds them (``VectorIndex.build``: IVF with fp16 lists and nprobe
tuned to recall@10 ≥ 0.95), and a query runs what ``SearchService.search(moments=True)``
runs on the vector side: the sound index (top 100), the segment index (top 800 segments,
grouped by sound with ``SegmentMap``) and ``merge_best``; against the sound index alone in
the same run. 200 queries (segment vectors of the long files, perturbed) on one thread.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from pathlib import Path

import numpy as np

# ``scale`` is the package next to this script (its folder is sys.path[0] when run as a file).
from scale.common import generate

from soundscout.index.faiss_index import IndexParams, VectorIndex
from soundscout.search.moments import SegmentMap, best_sounds, merge_best

WINDOW = 100  # the sound list's length before fusion (search.fusion_window)
PENALTY = 0.5  # moments.segment_penalty


def long_files(n: int, seconds: float, dim: int, per_segment: int, seed: int = 7):
    """Segment vectors of ``n`` long files of ``seconds`` on average, and their ranges."""
    rng = np.random.default_rng(seed)
    lengths = np.maximum(
        10, rng.uniform(0.33 * seconds, 1.67 * seconds, n).astype(int) // per_segment
    )
    total = int(lengths.sum())
    anchors = generate("clustered", dim, n * 16, seed=3)
    vectors = np.empty((total, dim), dtype=np.float32)
    at = 0
    for i, count in enumerate(lengths):
        scenes = rng.integers(20, 61, size=count // 20 + 2) // per_segment + 1
        owner = np.repeat(np.arange(len(scenes)), scenes)[:count]
        base = anchors[i * 16 + owner % 16]
        noise = rng.standard_normal((count, dim), dtype=np.float32) * (0.35 / math.sqrt(dim))
        block = base + noise * math.sqrt(dim) * 0.1
        vectors[at : at + count] = block / np.linalg.norm(block, axis=1, keepdims=True)
        at += count
    firsts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return vectors, np.stack([firsts, lengths, np.arange(n) + 10**7], axis=1)


def _built(args: argparse.Namespace, name: str, vectors: np.ndarray, params: IndexParams):
    """Build an index as the library does, or load the one an earlier run of the same
    size saved under ``--cache`` (build times are then those of that run)."""
    import faiss

    key = f"{name}-{args.files}-{args.long}-{args.long_seconds:g}-{args.dim}-{args.per_segment}"
    path = args.cache / f"{key}.faiss"
    if path.exists():
        meta = json.loads(path.with_suffix(".json").read_text())
        return VectorIndex(faiss.read_index(str(path)), meta["type"], meta["params"])
    index = VectorIndex.build(args.dim, np.arange(len(vectors)), vectors, params)
    args.cache.mkdir(parents=True, exist_ok=True)
    index.write_plain(path)
    path.with_suffix(".json").write_text(
        json.dumps({"type": index.index_type, "params": index.params})
    )
    return index


def timed(fn, queries: np.ndarray) -> tuple[float, float]:
    times = []
    for q in queries:
        started = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return times[len(times) // 2], times[int(0.99 * (len(times) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1_000_000)
    parser.add_argument("--long", type=int, default=10_000)
    parser.add_argument("--long-seconds", type=float, default=360.0)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--per-segment", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench_segments.json"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/bench-segments"))
    args = parser.parse_args()
    import faiss

    faiss.omp_set_num_threads(os.cpu_count() or 1)
    started = time.perf_counter()
    files = generate("clustered", args.dim, args.files, seed=1)
    seg_vectors, ranges = long_files(args.long, args.long_seconds, args.dim, args.per_segment)
    hours = float(ranges[:, 1].sum()) * args.per_segment / 3600
    print(
        f"data: {len(files)} sounds, {len(seg_vectors)} segments ({hours:.0f} h) "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    params = IndexParams()
    t0 = time.perf_counter()
    sound_index = _built(args, "sounds", files, params)
    t1 = time.perf_counter()
    seg_index = _built(args, "segments", seg_vectors, params)
    t2 = time.perf_counter()
    print(
        f"built: sounds {t1 - t0:.0f} s ({sound_index.params}), segments {t2 - t1:.0f} s "
        f"({seg_index.params})",
        flush=True,
    )
    seg_map = SegmentMap(ranges)
    rng = np.random.default_rng(5)
    picks = rng.choice(len(seg_vectors), 200, replace=False)
    queries = seg_vectors[picks] + rng.standard_normal((200, args.dim), np.float32) * 0.02
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)

    def sounds_only(q: np.ndarray) -> list:
        scores, ids = sound_index.search(q[None, :], WINDOW)
        return list(zip(ids[0], scores[0], strict=True))

    sample = files[np.random.default_rng(9).choice(len(files), 1024, replace=False)]

    def with_segments(q: np.ndarray) -> list:
        """What SearchService.search(moments=True) runs on the vector side."""
        found = [(int(i), float(s)) for i, s in sounds_only(q)]
        penalty = PENALTY * float(np.std(sample @ q))
        floor = found[-1][1] + penalty
        inside = best_sounds(seg_index, seg_map, q, WINDOW, None, floor)
        return merge_best(found, [(i, s - penalty) for i, s in inside])[:WINDOW]

    hit = sum(
        any(
            s == ranges[np.searchsorted(ranges[:, 0], p, "right") - 1, 2]
            for s, _ in with_segments(q)[:10]
        )
        for p, q in zip(picks, queries, strict=True)
    ) / len(picks)
    only = timed(sounds_only, queries)
    both = timed(with_segments, queries)
    # text-like queries: as far from the audio as a text query is (cosine ~0.3 to its source)
    far = 0.3 * queries + 0.95 * generate("random", args.dim, len(queries), seed=8)
    far /= np.linalg.norm(far, axis=1, keepdims=True)
    only_far, both_far = timed(sounds_only, far), timed(with_segments, far)
    bytes_per_segment = {"catalog": args.dim * 2 + 8, "faiss_fp16": args.dim * 2 + 8}
    record = {
        "machine": f"{platform.node()} {os.cpu_count()} cores",
        "load": round(os.getloadavg()[0], 1),
        "sounds": len(files),
        "long_files": args.long,
        "hours": round(hours),
        "segments": len(seg_vectors),
        "segments_per_hour": round(len(seg_vectors) / hours),
        "per_segment": args.per_segment,
        "dim": args.dim,
        "bytes_per_segment": bytes_per_segment,
        "segment_index_gb": round(len(seg_vectors) * (args.dim * 2 + 8) / 1e9, 2),
        "build_s": {"sounds": round(t1 - t0), "segments": round(t2 - t1)},
        "sound_params": sound_index.params,
        "segment_params": seg_index.params,
        "p50_ms": {"sounds only": round(only[0], 2), "sounds + segments": round(both[0], 2)},
        "p99_ms": {"sounds only": round(only[1], 2), "sounds + segments": round(both[1], 2)},
        "text_like_p50_ms": {
            "sounds only": round(only_far[0], 2),
            "sounds + segments": round(both_far[0], 2),
        },
        "text_like_p99_ms": {
            "sounds only": round(only_far[1], 2),
            "sounds + segments": round(both_far[1], 2),
        },
        "own_file_in_top10": hit,
    }
    print(json.dumps(record, indent=1))
    args.out.write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
