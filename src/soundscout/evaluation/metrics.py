"""Retrieval metrics with binary relevance (same label) and their exact random expectations.

Rankings are by inner product of L2-normalised vectors (cosine). Positions count from 1:
the item at position ``i`` adds ``1 / log2(i + 1)`` to the DCG. The random baseline is the
expectation over uniformly random rankings, computed exactly (no sampling, no seed).
"""

from __future__ import annotations

from collections.abc import Sequence

import faiss
import numpy as np


def dcg_weights(k: int) -> np.ndarray:
    """``1 / log2(i + 1)`` for positions ``i = 1..k``."""
    return 1.0 / np.log2(np.arange(2, k + 2, dtype=np.float64))


def ndcg_at_k(relevant: Sequence[bool] | np.ndarray, n_relevant: int, k: int = 10) -> float:
    """nDCG@k of one ranking with binary relevance.

    Args:
        relevant: whether each ranked item (best first) is relevant; only the first k count.
        n_relevant: how many relevant items exist in the whole collection.
        k: the cut-off.
    """
    rel = np.asarray(relevant, dtype=np.float64)[:k]
    ideal = dcg_weights(min(k, n_relevant)).sum()
    if ideal == 0:
        return 0.0
    return float((rel * dcg_weights(len(rel))).sum() / ideal)


def recall_at_k(relevant: Sequence[bool] | np.ndarray, n_relevant: int, k: int = 10) -> float:
    """Relevant items in the top k over ``min(k, n_relevant)`` (1.0 is reachable)."""
    if n_relevant <= 0:
        return 0.0
    return float(np.asarray(relevant, dtype=bool)[:k].sum() / min(k, n_relevant))


def neighbour_precision(vectors: np.ndarray, labels: Sequence[str], k: int = 10) -> np.ndarray:
    """Precision@k of each item as a query: the share of its k nearest *other* items
    (by cosine) that carry its label. ``k`` is capped at ``len(labels) - 1``."""
    labels_arr = np.asarray(labels)
    n = len(labels_arr)
    k = min(k, n - 1)
    if k <= 0:
        return np.zeros(n)
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    index = faiss.IndexFlatIP(x.shape[1])
    index.add(x)
    _, found = index.search(x, k + 1)
    hits = np.empty(n)
    for i, row in enumerate(found):
        others = [j for j in row if j != i and j >= 0][:k]
        hits[i] = float((labels_arr[others] == labels_arr[i]).sum())
    return hits / k


def top_relevance(
    vectors: np.ndarray, query: np.ndarray, labels: Sequence[str], label: str, k: int = 10
) -> np.ndarray:
    """Relevance (1.0 = carries ``label``) of the k items closest to ``query``, best first."""
    scores = np.asarray(vectors, dtype=np.float32) @ np.asarray(query, dtype=np.float32)
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    top = top[np.argsort(-scores[top], kind="stable")]
    return (np.asarray(labels)[top] == label).astype(np.float64)


def by_label(values: np.ndarray, labels: Sequence[str]) -> dict[str, float]:
    """Mean of ``values`` per label, labels sorted."""
    labels_arr = np.asarray(labels)
    return {lab: float(values[labels_arr == lab].mean()) for lab in sorted(set(labels))}


def micro_macro(values: np.ndarray, labels: Sequence[str]) -> tuple[float, float]:
    """(mean over items, mean over labels of each label's mean)."""
    return float(np.mean(values)), float(np.mean(list(by_label(values, labels).values())))


def best_precision(n_label: int, k: int = 10) -> float:
    """The highest precision@k a file of a label with ``n_label`` files can reach: its
    ``n_label - 1`` same-label neighbours, at most ``k`` of them (e.g. 0.7 for 8 files)."""
    return min(k, max(n_label - 1, 0)) / k


def random_precision(n_label: int, n_total: int) -> float:
    """Expected precision@k of an item whose label has ``n_label`` items among ``n_total``
    when its neighbours are random: ``(n_label - 1) / (n_total - 1)``, whatever k."""
    return (n_label - 1) / (n_total - 1) if n_total > 1 else 0.0


def random_ndcg(n_relevant: int, n_total: int, k: int = 10) -> float:
    """Expected nDCG@k of a random ranking: each position holds a relevant item with
    probability ``n_relevant / n_total``, so E[DCG] = that times the sum of the weights."""
    k = min(k, n_total)
    ideal = dcg_weights(min(k, n_relevant)).sum()
    if ideal == 0:
        return 0.0
    return float(n_relevant / n_total * dcg_weights(k).sum() / ideal)


def random_recall(n_relevant: int, n_total: int, k: int = 10) -> float:
    """Expected recall@k (over ``min(k, n_relevant)``) of a random ranking."""
    k = min(k, n_total)
    if n_relevant <= 0:
        return 0.0
    return float(k * n_relevant / n_total / min(k, n_relevant))
