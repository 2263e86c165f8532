"""The evaluation's metrics on hand-computed cases, and the random baseline against brute
force over every permutation."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from soundscout.evaluation import metrics
from soundscout.evaluation.metrics import best_precision
from soundscout.evaluation.scores import score_random, score_vectors


def test_ndcg_at_10_of_a_six_item_ranking() -> None:
    # Relevant at positions 1, 3 and 6; 4 relevant items exist (one never retrieved).
    # DCG  = 1/log2(2) + 1/log2(4) + 1/log2(7)            = 1 + 0.5 + 0.356207 = 1.856207
    # IDCG = 1/log2(2) + 1/log2(3) + 1/log2(4) + 1/log2(5) = 1 + 0.630930 + 0.5 + 0.430677
    #      = 2.561606;  nDCG@10 = 1.856207 / 2.561606 = 0.724626
    assert metrics.ndcg_at_k([1, 0, 1, 0, 0, 1], n_relevant=4, k=10) == pytest.approx(
        0.724626, abs=1e-6
    )


def test_ndcg_is_one_for_a_perfect_ranking_and_zero_without_hits() -> None:
    assert metrics.ndcg_at_k([1, 1, 0, 0], n_relevant=2) == pytest.approx(1.0)
    assert metrics.ndcg_at_k([0, 0, 0], n_relevant=2) == 0.0


def test_ndcg_counts_only_the_top_k_and_caps_the_ideal_at_k() -> None:
    # 12 relevant items, the first 10 of the ranking all relevant: the ideal is 10 hits.
    assert metrics.ndcg_at_k([1] * 12, n_relevant=12, k=10) == pytest.approx(1.0)
    # Hit at position 2 of k=2, one relevant item: (1/log2(3)) / (1/log2(2)) = 0.630930;
    # the hit at position 3 lies beyond k.
    assert metrics.ndcg_at_k([0, 1, 1], n_relevant=1, k=2) == pytest.approx(0.630930, abs=1e-6)


def test_recall_at_10_over_min_of_k_and_relevant() -> None:
    assert metrics.recall_at_k([1, 0, 1, 0, 0, 1], n_relevant=4) == pytest.approx(0.75)
    assert metrics.recall_at_k([1, 0, 1, 0, 0, 1], n_relevant=20) == pytest.approx(0.3)


def _on_circle(degrees: list[float]) -> np.ndarray:
    rad = np.radians(degrees)
    return np.stack([np.cos(rad), np.sin(rad)], axis=1).astype(np.float32)


def test_neighbour_precision_excludes_the_query_itself() -> None:
    # a at 0, 10, 25 degrees; b at 32, 100, 115. Two nearest other points of each:
    # 0 -> 10, 25 (a a) = 1;   10 -> 0, 25 (a a) = 1;   25 -> 32, 10 (b a) = 0.5
    # 32 -> 25, 10 (a a) = 0;  100 -> 115, 32 (b b) = 1; 115 -> 100, 32 (b b) = 1
    vectors = _on_circle([0, 10, 25, 32, 100, 115])
    precision = metrics.neighbour_precision(vectors, list("aaabbb"), k=2)
    assert precision.tolist() == pytest.approx([1, 1, 0.5, 0, 1, 1])


def test_micro_and_macro_weigh_files_and_labels() -> None:
    # micro: (1 + 1 + 0.5 + 0 + 1 + 1) / 6 = 0.75; macro: a (2.5 / 4 = 0.625), b (1) -> 0.8125
    micro, macro = metrics.micro_macro(np.array([1, 1, 0.5, 0, 1, 1]), list("aaaabb"))
    assert (micro, macro) == pytest.approx((0.75, 0.8125))


def test_top_relevance_ranks_by_cosine() -> None:
    vectors = _on_circle([0, 10, 25, 32, 100, 115])
    query = _on_circle([110])[0]  # nearest: 115 (b), 100 (b), 32 (b), 25 (a)
    ranked = metrics.top_relevance(vectors, query, list("aaabbb"), "b", k=4)
    assert ranked.tolist() == [1, 1, 1, 0]


def test_random_expectations_equal_brute_force_over_every_ranking() -> None:
    labels = list("aabbb")
    n, k = len(labels), 3
    ndcgs, recalls = [], []
    for order in itertools.permutations(range(n)):
        rel = [labels[i] == "a" for i in order]
        ndcgs.append(metrics.ndcg_at_k(rel, n_relevant=2, k=k))
        recalls.append(metrics.recall_at_k(rel, n_relevant=2, k=k))
    assert metrics.random_ndcg(2, n, k) == pytest.approx(np.mean(ndcgs))
    assert metrics.random_recall(2, n, k) == pytest.approx(np.mean(recalls))
    # P@2 of an "a" item: its 2 neighbours drawn from the 4 others, one of them an "a".
    hits = [sum(lab == "a" for lab in pick) / 2 for pick in itertools.permutations(labels[1:], 2)]
    assert metrics.random_precision(2, n) == pytest.approx(np.mean(hits)) == pytest.approx(0.25)


def test_random_row_weighs_labels_for_micro_and_macro() -> None:
    # a: 2 files -> (2-1)/(6-1) = 0.2; b: 4 files -> 3/5 = 0.6.
    # micro = (2 * 0.2 + 4 * 0.6) / 6 = 0.466667; macro = (0.2 + 0.6) / 2 = 0.4
    row = score_random(list("aabbbb"), k=10)
    assert row.precision_micro == pytest.approx(0.466667, abs=1e-6)
    assert row.precision_macro == pytest.approx(0.4)
    # nDCG for a: k = 6 positions, each relevant with p = 2/6; E[DCG] = p * sum(1/log2(i+1))
    weights = [1 / math.log2(i + 1) for i in range(1, 7)]
    expected_a = (2 / 6) * sum(weights) / sum(weights[:2])
    assert row.per_label["a"].ndcg == pytest.approx(expected_a)


def test_score_vectors_averages_each_labels_queries() -> None:
    vectors = _on_circle([0, 10, 25, 32, 100, 115])
    queries = {
        "a": _on_circle([5, 110]),  # a perfect query and a useless one for "a"
        "b": _on_circle([108]),
    }
    row = score_vectors("x", vectors, list("aaabbb"), queries, k=3)
    # "a" at 5 deg: 0, 10, 25 all a -> nDCG 1; at 110 deg: 115, 100, 32 (b b b) -> 0.
    assert row.per_label["a"].ndcg == pytest.approx(0.5)
    # "b" at 108 deg: 115, 100, 32 all b -> 1.
    assert row.per_label["b"].ndcg == pytest.approx(1.0)
    assert row.ndcg == pytest.approx(0.75)
    # P@3: 0 -> 10 25 32 (a a b); 10 -> 0 25 32; 25 -> 32 10 0; 32 -> 25 10 0 (a a a: 0);
    # 100 -> 115 32 25 (b b a); 115 -> 100 32 25.
    assert row.precision_micro == pytest.approx(np.mean([2, 2, 2, 0, 2, 2]) / 3)


def test_best_precision_is_the_share_of_k_a_label_can_fill() -> None:
    # 8 files: each has 7 same-label neighbours, so at most 7 of its top 10 can match
    assert best_precision(8, 10) == pytest.approx(0.7)
    assert best_precision(11, 10) == 1.0 and best_precision(30, 10) == 1.0
    assert best_precision(1, 10) == 0.0
