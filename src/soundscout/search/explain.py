"""Turning fused ids into results that say why they are there.

For each result: its sound score (the cosine to the query vector, computed for results the
sound list did not reach), how far that stands above the library's scores for the same
query, its words score and rank, the query words found in each field, and the calibrated
relevance of :mod:`soundscout.search.relevance`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from soundscout.catalog.catalog import Catalog, SoundRow
from soundscout.search.fusion import Fused
from soundscout.search.lexical import LexicalIndex, WordsQuery
from soundscout.search.query import Explanation, SearchHit
from soundscout.search.relevance import band, relevance


@dataclass(frozen=True)
class QueryContext:
    """What the explanations need of the query: its vector, the library's score spread,
    its words, and which text mode (sound, words, both) they are calibrated for."""

    vector: np.ndarray | None
    spread: tuple[float, float] | None  # mean and standard deviation over a library sample
    words: WordsQuery
    text_mode: str | None  # None: no text query (no relevance is given)
    lists: tuple[str, ...]  # the retrievers that ranked (one: its own score is the score)
    words_found: bool = False  # some sound in the library holds the query's words
    known_coverage: dict[int, float] = field(default_factory=dict)  # computed for the fusion


def library_spread(vector: np.ndarray | None, sample: np.ndarray) -> tuple[float, float] | None:
    """Mean and standard deviation of a query's scores over a library sample."""
    if vector is None or sample.shape[0] < 8 or sample.shape[1] != vector.shape[0]:
        return None
    scores = sample @ vector
    sd = float(np.std(scores))
    return (float(np.mean(scores)), sd) if sd > 1e-6 else None


def explained_hits(
    fused: Sequence[Fused],
    catalog: Catalog,
    lexical: LexicalIndex,
    context: QueryContext,
    ranked_as: Mapping[int, int] | None = None,
) -> list[SearchHit]:
    """Results in ``fused`` order with their explanation and relevance. A result in
    ``ranked_as`` is shown as another copy of the recording that ranked (collapse): the
    words matched, its coverage and relevance are that copy's, which it names."""
    ranked_as = ranked_as or {}
    ids = [f.id for f in fused]
    evidence = [ranked_as.get(i, i) for i in ids]
    rows = catalog.get_many(list(dict.fromkeys([*ids, *evidence])))
    sound_scores = _sound_scores(fused, catalog, context.vector, ranked_as)
    coverage = dict(context.known_coverage)
    missing = [i for i in evidence if i not in coverage]
    if context.words.include and missing:
        coverage.update(lexical.coverage(context.words, missing))
    matches = lexical.matches(context.words, evidence) if context.words.include else {}
    hits = []
    for item, source in zip(fused, evidence, strict=True):
        row = rows.get(item.id)
        if row is None:
            continue
        sound = sound_scores.get(item.id)
        z = None
        if sound is not None and context.spread is not None:
            z = (sound - context.spread[0]) / context.spread[1]
        explain = Explanation(
            sound_score=sound,
            sound_rank=item.ranks.get("sound"),
            words_score=item.scores.get("words"),
            words_rank=item.ranks.get("words"),
            matches=tuple(matches.get(source, ())),
            coverage=coverage.get(source) if context.words.include else None,
            sound_z=z,
            ranked_as=rows[source].path if source != item.id and source in rows else None,
        )
        score = item.scores[context.lists[0]] if len(context.lists) == 1 else item.score
        unmatched = context.words_found and not explain.coverage
        hits.append(_hit(row, score, explain, context.text_mode, unmatched))
    return hits


def _sound_scores(
    fused: Sequence[Fused],
    catalog: Catalog,
    vector: np.ndarray | None,
    ranked_as: Mapping[int, int],
) -> dict[int, float]:
    """Each result's sound score: its list's, else its (or the copy it stands in for's)
    stored vector against the query's."""
    scores = {f.id: f.scores["sound"] for f in fused if "sound" in f.scores}
    if vector is None:
        return scores
    missing = {ranked_as.get(f.id, f.id): f.id for f in fused if f.id not in scores}
    for source, stored in catalog.embeddings(list(missing)).items():
        if stored.shape == vector.shape:
            scores[missing[source]] = float(stored @ vector)
    return scores


def _hit(
    row: SoundRow, score: float, explain: Explanation, text_mode: str | None, unmatched: bool
) -> SearchHit:
    value = None
    if text_mode is not None:
        value = round(relevance(text_mode, explain.sound_z, explain.coverage, unmatched), 4)
    band_name = band(value) if value is not None else None
    return row_hit(row, score, relevance=value, band=band_name, explain=explain)


def row_hit(row: SoundRow, score: float, **extra: object) -> SearchHit:
    """A result for a catalog row: its file facts and UCS category, plus ``extra`` fields
    (relevance, band, explain)."""
    return SearchHit(
        row.id,
        row.path,
        row.root,
        score,
        row.duration,
        row.format,
        row.sample_rate,
        row.channels,
        bit_depth=row.bit_depth,
        category=row.ucs_category,
        subcategory=row.ucs_subcategory,
        **extra,  # type: ignore[arg-type]
    )
