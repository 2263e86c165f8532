"""Fusing ranked lists: weighted reciprocal-rank fusion (RRF).

Each retriever (the sound index, the words index) gives its best sounds in order; a sound
scores ``sum(weight_r / (rank_constant + rank_r))`` over the lists it is in (ranks from 1),
as Elasticsearch and OpenSearch fuse hybrid queries. Ranks, not raw scores, are added, so
a cosine similarity and a BM25 score never need a common scale. Every component is kept
for the explanation of each result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Fused:
    """One fused result with what each retriever said of it."""

    id: int
    score: float
    ranks: dict[str, int]  # retriever -> 1-based rank (absent: not in its list)
    scores: dict[str, float]  # retriever -> its own score


def reciprocal_rank_fusion(
    lists: Mapping[str, Sequence[tuple[int, float]]],
    weights: Mapping[str, float],
    rank_constant: float = 60.0,
    scale: Mapping[str, Mapping[int, float]] | None = None,
) -> list[Fused]:
    """Fuse ranked (id, score) lists, best first; ties keep the order of first appearance.

    Args:
        lists: retriever name -> its (id, score) pairs, best first.
        weights: retriever name -> weight (a missing name weighs 1; 0 leaves it out).
        rank_constant: k of RRF; larger flattens the difference between ranks.
        scale: retriever name -> item -> a factor on that item's share (absent: 1).
    """
    if rank_constant <= 0:
        raise ValueError("rank_constant must be positive")
    totals: dict[int, float] = {}
    ranks: dict[int, dict[str, int]] = {}
    scores: dict[int, dict[str, float]] = {}
    for name, ranked in lists.items():
        weight = weights.get(name, 1.0)
        if weight <= 0:
            continue
        for rank, (item, score) in enumerate(ranked, 1):
            if item in ranks and name in ranks[item]:
                continue  # a list naming an item twice counts its best rank only
            ranks.setdefault(item, {})[name] = rank
            scores.setdefault(item, {})[name] = score
            factor = scale[name].get(item, 1.0) if scale and name in scale else 1.0
            totals[item] = totals.get(item, 0.0) + factor * weight / (rank_constant + rank)
    order = sorted(totals, key=lambda i: -totals[i])  # sorted() is stable
    return [Fused(i, totals[i], ranks[i], scores[i]) for i in order]
