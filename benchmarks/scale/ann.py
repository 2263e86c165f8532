"""Exact vs ANN indexes: build each kind in a child process, then sweep its search settings."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .common import (
    NQ_LATENCY,
    WORK,
    K,
    data_dir,
    emit,
    latencies,
    load_base,
    recall,
    reset_peak,
    rss_mb,
    throughput,
)

NPROBES = (4, 8, 16, 32, 64, 128, 256)
EF_SEARCH = (16, 32, 64, 128, 256)


def build(kind: str, dim: int, vectors: np.ndarray) -> tuple[Any, dict[str, Any]]:
    """Build one index kind the way Soundscout does (or would); return it and its settings."""
    import faiss

    from soundscout.index.faiss_index import IndexParams, VectorIndex

    ids = np.arange(1, len(vectors) + 1, dtype=np.int64)  # catalog ids start at 1
    if kind == "flat":
        return VectorIndex.build(dim, ids, vectors, IndexParams(ann_threshold=10**12)), {}
    if kind in ("ivf", "ivf_fp16", "ivf_sq8"):
        storage = {"ivf": "flat", "ivf_fp16": "fp16", "ivf_sq8": "sq8"}[kind]
        params = IndexParams(ann_threshold=1, ivf_storage=storage)
        index = VectorIndex.build(dim, ids, vectors, params)
        return index, {"nlist": index.params["nlist"]}
    if kind == "hnsw":
        hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 80
        index = faiss.IndexIDMap2(hnsw)
        index.add_with_ids(vectors, ids)
        return index, {"M": 32, "efConstruction": 80}
    if kind == "ivf_pq":
        return _build_ivf_pq(dim, ids, vectors)
    raise ValueError(kind)


def _build_ivf_pq(dim: int, ids: np.ndarray, vectors: np.ndarray) -> tuple[Any, dict[str, Any]]:
    """Same coarse training as Soundscout's IVF; PQ codes of dim/8 bytes."""
    import faiss

    from soundscout.index.faiss_index import TRAIN_ITERATIONS, TRAIN_POINTS_PER_LIST

    nlist = max(16, int(4 * math.sqrt(len(vectors))))
    index = faiss.index_factory(dim, f"IVF{nlist},PQ{dim // 8}", faiss.METRIC_INNER_PRODUCT)
    ivf = faiss.extract_index_ivf(index)
    ivf.cp.niter, ivf.cp.max_points_per_centroid = TRAIN_ITERATIONS, TRAIN_POINTS_PER_LIST
    size = min(len(vectors), TRAIN_POINTS_PER_LIST * nlist)
    index.train(vectors[np.random.default_rng(0).choice(len(vectors), size, False)])
    index.add_with_ids(vectors, ids)
    return index, {"nlist": nlist, "pq_bytes": dim // 8}


def sweep(kind: str, index: Any) -> Iterator[tuple[dict[str, Any], Callable[[np.ndarray], Any]]]:
    """Search settings to try for this kind, with a search function for each."""
    import faiss

    from soundscout.index.faiss_index import VectorIndex

    if isinstance(index, VectorIndex) and not index.is_ivf:
        yield {}, lambda q: index.search(q, K)
        return
    if isinstance(index, VectorIndex):
        tuned = index.params.get("nprobe")
        for nprobe in sorted({*NPROBES, tuned} - {None}):
            if nprobe > index.params["nlist"]:
                break
            params = faiss.SearchParametersIVF(nprobe=nprobe)
            setting = {"nprobe": nprobe, "tuned": nprobe == tuned}
            yield setting, lambda q, p=params: index._index.search(q, K, params=p)
        return
    if kind == "hnsw":
        for ef in EF_SEARCH:
            params = faiss.SearchParametersHNSW(efSearch=ef)
            yield {"efSearch": ef}, lambda q, p=params: index.search(q, K, params=p)
        return
    ivf = faiss.extract_index_ivf(index)
    for nprobe in NPROBES:
        if nprobe > ivf.nlist:
            break
        params = faiss.SearchParametersIVF(nprobe=nprobe)
        yield {"nprobe": nprobe}, lambda q, p=params: index.search(q, K, params=p)


def saved_index(kind: str, dist: str, dim: int, n: int) -> Path:
    """Where the ``ann`` step saves an IVF index for the later steps."""
    return WORK / "index" / f"{kind}-{dist}-{dim}-{n}.faiss"


def load_built(kind: str, dist: str, dim: int, n: int) -> Any:
    """The IVF index saved by the ``ann`` step (or a fresh build of anything else)."""
    import faiss

    from soundscout.index.faiss_index import VectorIndex

    path = saved_index(kind, dist, dim, n)
    if not path.exists():
        return build(kind, dim, load_base(dist, dim, n))[0]
    raw = faiss.read_index(str(path))
    ivf = faiss.extract_index_ivf(raw)  # nprobe as tuned at build time
    return VectorIndex(raw, kind, {"nlist": ivf.nlist, "nprobe": ivf.nprobe})


def _measured_build(kind: str, dim: int, vectors: np.ndarray) -> tuple[Any, dict[str, Any]]:
    """Build with its time and memory; return the index and those record fields."""
    before = rss_mb()
    reset_peak()
    started = time.perf_counter()
    index, settings = build(kind, dim, vectors)
    build_s = time.perf_counter() - started
    peak, after = rss_mb("VmHWM") - before, rss_mb() - before
    fields = dict(build_s=round(build_s, 2), peak_mb=round(peak), index_mb=round(after))
    return index, {**fields, **settings}


def run_case(kind: str, dist: str, dim: int, n: int) -> None:
    """Child process: build one index, then time and score every search setting."""
    import faiss

    vectors = load_base(dist, dim, n)
    folder = data_dir(dist, dim)
    queries, truth = np.load(folder / "queries.npy"), np.load(folder / f"gt-{n}.npy") + 1
    index, measured = _measured_build(kind, dim, vectors)
    del vectors
    if kind.startswith("ivf") and kind != "ivf_pq":
        path = saved_index(kind, dist, dim, n)
        path.parent.mkdir(parents=True, exist_ok=True)
        faiss.write_index(index._index, str(path))
    base = dict(section="ann", kind=kind, dist=dist, dim=dim, n=n, **measured)
    lat_queries = queries[: NQ_LATENCY if n < 10**6 or kind != "flat" else 60]
    _score_settings(kind, index, queries, truth, lat_queries, base)


def _score_settings(
    kind: str,
    index: Any,
    queries: np.ndarray,
    truth: np.ndarray,
    lat_queries: np.ndarray,
    base: dict[str, Any],
) -> None:
    """Emit recall, latency and throughput of every search setting of one index."""
    import faiss

    threads = faiss.omp_get_max_threads()
    for setting, search in sweep(kind, index):
        found = search(queries)[1]
        qps = throughput(search, queries)
        faiss.omp_set_num_threads(1)
        p50, p99 = latencies(search, lat_queries)
        faiss.omp_set_num_threads(threads)
        p50_all, _ = latencies(search, lat_queries[:50])
        emit(
            {
                **base,
                **setting,
                "recall": round(recall(found, truth), 4),
                "p50_ms": round(p50, 3),
                "p99_ms": round(p99, 3),
                "p50_ms_all_threads": round(p50_all, 3),
                "qps_batch": round(qps),
            }
        )


def install_built(
    library: Path, catalog: Any, index: Any, name: str, version: str, dim: int
) -> None:
    """Save a built ``index`` into ``library`` with the manifest the service expects."""
    from soundscout.index.manifest import Manifest
    from soundscout.search.service import INDEX_DIRNAME

    manifest = Manifest(
        name, version, dim, index.count, catalog.revision, index.index_type, dict(index.params)
    )
    index.save(library / INDEX_DIRNAME, manifest)
