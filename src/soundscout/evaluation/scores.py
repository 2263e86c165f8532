"""One row of the evaluation: an encoder's (or a baseline's) scores, overall and per label."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from soundscout.evaluation import metrics


@dataclass
class LabelScore:
    """Scores of one label: audio→audio P@k of its files, text→audio of its queries."""

    precision: float
    ndcg: float | None = None
    recall: float | None = None


@dataclass
class Row:
    """What one encoder or baseline scored on the evaluated files."""

    name: str
    kind: str  # "encoder" or "baseline"
    vectors: str  # "library", "embedded", "computed" (mfcc) or "exact" (random)
    precision_micro: float
    precision_macro: float
    ndcg: float | None  # None: no text side
    recall: float | None
    per_label: dict[str, LabelScore]
    version: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able form (rounded to 4 decimals)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "version": self.version,
            "vectors": self.vectors,
            "audio_to_audio": {
                "precision_micro": _r(self.precision_micro),
                "precision_macro": _r(self.precision_macro),
            },
            "text_to_audio": None
            if self.ndcg is None
            else {"ndcg": _r(self.ndcg), "recall": _r(self.recall)},
            "per_label": {
                lab: {"precision": _r(s.precision), "ndcg": _r(s.ndcg), "recall": _r(s.recall)}
                for lab, s in self.per_label.items()
            },
            "seconds": {key: round(value, 3) for key, value in self.seconds.items()},
        }


def _r(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def score_vectors(
    name: str,
    vectors: np.ndarray,
    labels: Sequence[str],
    queries: Mapping[str, np.ndarray] | None,
    k: int = 10,
) -> Row:
    """Score one encoder's L2-normalised file vectors.

    Args:
        vectors: one row per file, in the order of ``labels``.
        queries: per label, the vectors of its text queries (one row each); None when the
            encoder has no text side.
    """
    started = time.perf_counter()
    precision = metrics.neighbour_precision(vectors, labels, k)
    micro, macro = metrics.micro_macro(precision, labels)
    per_label = {lab: LabelScore(p) for lab, p in metrics.by_label(precision, labels).items()}
    ndcg = recall = None
    if queries is not None:
        counts = Counter(labels)
        for lab, score in per_label.items():
            ranked = [metrics.top_relevance(vectors, q, labels, lab, k) for q in queries[lab]]
            score.ndcg = float(np.mean([metrics.ndcg_at_k(r, counts[lab], k) for r in ranked]))
            score.recall = float(np.mean([metrics.recall_at_k(r, counts[lab], k) for r in ranked]))
        ndcg = float(np.mean([s.ndcg for s in per_label.values()]))
        recall = float(np.mean([s.recall for s in per_label.values()]))
    seconds = {"metrics": time.perf_counter() - started}
    return Row(name, "encoder", "", micro, macro, ndcg, recall, per_label, seconds=seconds)


def score_random(labels: Sequence[str], k: int = 10) -> Row:
    """The exact expected scores of random rankings over the same files and labels."""
    counts, n = Counter(labels), len(labels)
    per_label = {
        lab: LabelScore(
            metrics.random_precision(counts[lab], n),
            metrics.random_ndcg(counts[lab], n, k),
            metrics.random_recall(counts[lab], n, k),
        )
        for lab in sorted(counts)
    }
    micro = sum(counts[lab] * s.precision for lab, s in per_label.items()) / n
    macro = float(np.mean([s.precision for s in per_label.values()]))
    ndcg = float(np.mean([s.ndcg for s in per_label.values()]))
    recall = float(np.mean([s.recall for s in per_label.values()]))
    return Row("random", "baseline", "exact", micro, macro, ndcg, recall, per_label)
