"""Filtered vector search: pre-filter (two selector kinds) vs post-filter, per selectivity."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from .ann import load_built
from .common import K, data_dir, emit, latencies, load_base, recall

FRACTIONS = (0.01, 0.10, 0.50)


def _selected(
    index: Any, q: np.ndarray, selector: Any, allowed: np.ndarray, nprobe_of: Callable
) -> Any:
    """Search with a faiss id selector; IVF probes ``nprobe_of(tuned nprobe, fraction)``."""
    import faiss

    if index.is_ivf:
        fraction = max(len(allowed) / index.count, 1e-6)
        nprobe = min(index.params["nlist"], nprobe_of(index.params["nprobe"], fraction))
        params = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
    else:
        params = faiss.SearchParameters(sel=selector)
    return index._index.search(q, K, params=params)


def _prefilter(index: Any, q: np.ndarray, allowed: np.ndarray) -> Any:
    """Soundscout 0.1's way: an id-batch selector, nprobe scaled by 1/sqrt(fraction)."""
    import faiss

    selector = faiss.IDSelectorBatch(allowed)
    return _selected(index, q, selector, allowed, lambda p, f: int(p / math.sqrt(f)))


def _production(index: Any, q: np.ndarray, allowed: np.ndarray) -> Any:
    """VectorIndex.search as it is."""
    return index.search(q, K, allowed_ids=allowed)


def _bitmap_selector(allowed: np.ndarray) -> tuple[Any, np.ndarray]:
    import faiss

    bits = np.zeros(int(allowed.max()) + 1, dtype=bool)
    bits[allowed] = True
    packed = np.packbits(bits, bitorder="little")
    return faiss.IDSelectorBitmap(len(packed), faiss.swig_ptr(packed)), packed


def _bitmap_search(
    index: Any, q: np.ndarray, allowed: np.ndarray, scale: Callable[[float], float]
) -> Any:
    selector, _packed = _bitmap_selector(allowed)  # _packed must outlive the search
    return _selected(index, q, selector, allowed, lambda p, f: math.ceil(p * scale(f)))


def _prefilter_bitmap(index: Any, q: np.ndarray, allowed: np.ndarray) -> Any:
    return _bitmap_search(index, q, allowed, lambda f: 1 / math.sqrt(f))


def _prefilter_bitmap_linear(index: Any, q: np.ndarray, allowed: np.ndarray) -> Any:
    return _bitmap_search(index, q, allowed, lambda f: 1 / f)


def _postfilter(index: Any, q: np.ndarray, allowed: np.ndarray) -> Any:
    fraction = len(allowed) / index.count
    fetch = min(index.count, max(4 * K, math.ceil(2 * K / fraction)))
    scores, ids = index.search(q, fetch)
    keep = np.isin(ids[0], allowed)
    found = ids[0][keep][:K]
    return scores[:, :K], np.pad(found, (0, K - len(found)), constant_values=-1)[None, :]


def filter_methods(index: Any) -> dict[str, Callable[[np.ndarray, np.ndarray], Any]]:
    """Ways to search only among ``allowed`` ids: pre-filter (two selector kinds), post-filter."""
    methods = {
        "prefilter (id batch, nprobe/sqrt(f))": partial(_prefilter, index),
        "prefilter (bitmap, nprobe/sqrt(f))": partial(_prefilter_bitmap, index),
        "prefilter (bitmap, nprobe/f)": partial(_prefilter_bitmap_linear, index),
        "postfilter (over-fetch 2k/f)": partial(_postfilter, index),
        "VectorIndex.search (this version)": partial(_production, index),
    }
    if not index.is_ivf:  # the nprobe scaling means nothing for an exact index
        del methods["prefilter (bitmap, nprobe/f)"]
    return methods


def _exact_among(
    vectors: np.ndarray, allowed: np.ndarray, queries: np.ndarray, dim: int
) -> np.ndarray:
    """The exact top-K ids among ``allowed`` (ids are rows + 1)."""
    import faiss

    exact = faiss.IndexFlatIP(dim)
    exact.add(vectors[allowed - 1])
    return allowed[exact.search(queries, K)[1]]


def run_filter_case(kind: str, dist: str, dim: int, n: int) -> None:
    """Child process: one index, every filter method at every selectivity."""
    import faiss

    vectors = load_base(dist, dim, n)
    queries = np.load(data_dir(dist, dim) / "queries.npy")[:100]
    index = load_built(kind, dist, dim, n)
    settings = {"nlist": index.params["nlist"]} if index.is_ivf else {}
    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(7)
    for fraction in FRACTIONS:
        allowed = np.sort(rng.choice(n, int(fraction * n), replace=False)).astype(np.int64) + 1
        truth = _exact_among(vectors, allowed, queries, dim)
        for method, search in filter_methods(index).items():
            found = np.concatenate([search(q[None, :], allowed)[1] for q in queries])
            p50, p99 = latencies(lambda q, s=search, a=allowed: s(q, a), queries)
            emit(
                {
                    "section": "filters",
                    "kind": index.index_type,
                    "dist": dist,
                    "dim": dim,
                    "n": n,
                    "fraction": fraction,
                    "method": method,
                    **settings,
                    "nprobe": index.params.get("nprobe"),
                    "recall": round(recall(found, truth), 4),
                    "p50_ms": round(p50, 3),
                    "p99_ms": round(p99, 3),
                }
            )
