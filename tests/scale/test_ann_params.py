"""The ANN choices from the scale benchmark: tuned nprobe, fp16 lists, bitmap filters."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import faiss
import numpy as np
import pytest

from soundscout.index.faiss_index import IndexParams, VectorIndex
from soundscout.index.manifest import Manifest

DIM = 32


def _clustered(n: int, seed: int = 0, clusters: int = 50) -> np.ndarray:
    """Unit vectors around fixed ``clusters`` centres (the benchmark's shape, small)."""
    centres = np.random.default_rng(1234).standard_normal((clusters, DIM)).astype(np.float32)
    rng = np.random.default_rng(seed)
    x = centres[rng.integers(0, clusters, n)] + 0.35 * rng.standard_normal((n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(
        np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)])
    )


@pytest.fixture(scope="module")
def library() -> tuple[np.ndarray, np.ndarray]:
    vectors = _clustered(20000)
    return np.arange(1, len(vectors) + 1, dtype=np.int64), vectors


@pytest.fixture(scope="module")
def ivf(library: tuple[np.ndarray, np.ndarray]) -> VectorIndex:
    ids, vectors = library
    return VectorIndex.build(DIM, ids, vectors, IndexParams(ann_threshold=1000))


def test_defaults_are_the_benchmarked_ones() -> None:
    params = IndexParams()
    assert (params.ann_threshold, params.ivf_nprobe, params.ivf_storage) == (20000, None, "fp16")
    assert params.ivf_target_recall == 0.95


def test_nprobe_is_tuned_to_the_target_and_recorded(
    ivf: VectorIndex, library: tuple[np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    ids, vectors = library
    assert ivf.index_type == "ivf_fp16" and ivf.is_ivf
    params = ivf.params
    assert params["tuned_recall_pct"] >= 95 and params["train_count"] == len(ids)
    assert params["nprobe"] == min(params["nlist"], 2 * params["tuned_nprobe"])
    queries = _clustered(200, seed=5)
    truth = ids[faiss.knn(queries, vectors, 10, metric=faiss.METRIC_INNER_PRODUCT)[1]]
    assert _recall(ivf.search(queries, 10)[1], truth) >= 0.95  # unseen queries
    ivf.save(tmp_path, Manifest("t", "t-1", DIM, ivf.count, 1, ivf.index_type, ivf.params))
    loaded, manifest = VectorIndex.load(tmp_path)
    assert manifest.params == params and loaded.params["nprobe"] == params["nprobe"]


def test_a_fixed_nprobe_is_kept(library: tuple[np.ndarray, np.ndarray]) -> None:
    ids, vectors = library
    params = IndexParams(ann_threshold=1000, ivf_nprobe=7, ivf_storage="sq8")
    index = VectorIndex.build(DIM, ids, vectors, params)
    assert index.index_type == "ivf_sq8" and index.params["nprobe"] == 7
    assert "tuned_nprobe" not in index.params


def test_structureless_vectors_get_a_wide_probe_and_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((5000, 64)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with caplog.at_level(logging.WARNING, logger="soundscout.index.faiss_index"):
        index = VectorIndex.build(64, np.arange(5000), vectors, IndexParams(ann_threshold=100))
    assert index.params["nprobe"] > index.params["nlist"] // 8
    assert "little neighbourhood structure" in caplog.text


@pytest.mark.parametrize("fraction", [0.002, 0.01, 0.1, 0.5])
@pytest.mark.parametrize("kind", ["flat", "ivf"])
def test_filtered_search_returns_only_allowed_ids_with_high_recall(
    kind: str, fraction: float, ivf: VectorIndex, library: tuple[np.ndarray, np.ndarray]
) -> None:
    ids, vectors = library
    exact_params = IndexParams(ann_threshold=10**9)
    index = ivf if kind == "ivf" else VectorIndex.build(DIM, ids, vectors, exact_params)
    rng = np.random.default_rng(int(fraction * 1000))
    allowed = np.sort(rng.choice(ids, int(fraction * len(ids)), replace=False))
    queries = _clustered(50, seed=9)
    rows = np.searchsorted(ids, allowed)
    exact = faiss.knn(queries, vectors[rows], 10, metric=faiss.METRIC_INNER_PRODUCT)[1]
    found = index.search(queries, 10, allowed_ids=allowed)[1]
    assert set(found[found >= 0]) <= set(allowed)
    assert _recall(found, allowed[exact]) >= (1.0 if kind == "flat" else 0.95)


def test_an_empty_filter_finds_nothing(ivf: VectorIndex) -> None:
    scores, found = ivf.search(np.ones((1, DIM), np.float32), 5, allowed_ids=np.zeros(0, int))
    assert (found == -1).all() and scores.shape == (1, 5)


def test_a_single_query_does_not_change_the_threads_setting(ivf: VectorIndex) -> None:
    if faiss.omp_get_max_threads() < 2:
        pytest.skip("one OpenMP thread here")
    seen = []

    def query() -> None:
        before = faiss.omp_get_max_threads()
        ivf.search(np.ones((1, DIM), np.float32), 5)
        seen.append((before, faiss.omp_get_max_threads()))

    worker = threading.Thread(target=query)
    worker.start()
    worker.join()
    assert seen[0][0] == seen[0][1] > 1
