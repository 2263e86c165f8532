"""``--collapse``: one result per recording, its best copy, saying how many copies it hides.

Results are folded by their same-recording group (exact copies and other formats, rates,
levels and trims of one recording; variants are other takes and stay apart). The group takes
the place of its best-ranked member and is shown as its best-quality copy among those this
search may return (the filters, the reference's own copies and left-out words still apply):
lossless before lossy, then the higher sample rate, the longer (:func:`quality_key`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import replace

from soundscout.catalog.catalog import Catalog
from soundscout.duplicates.report import quality_key
from soundscout.search.fusion import Fused
from soundscout.search.lexical import LexicalIndex, WordsQuery
from soundscout.search.query import Filters

#: Results fetched per result wanted when collapsing, so that k remain after folding.
FETCH_FACTOR = 3


def fetch_size(k: int, collapse: bool) -> int:
    """How many results to rank before folding copies."""
    return k * FETCH_FACTOR if collapse else k


def collapse_copies(
    fused: Sequence[Fused],
    catalog: Catalog,
    eligible: Callable[[list[int]], set[int]],
    left_out: Set[int] = frozenset(),
) -> tuple[list[Fused], dict[int, int], dict[int, int]]:
    """Fold results of one recording into its best eligible copy.

    Args:
        fused: ranked results, best first.
        eligible: which of some ids this search may return.
        left_out: the reference sound and its copies, never counted as hidden copies.

    Returns:
        The folded results (in rank order); by result id, how many copies it hides (of the
        recording's other copies, the ones the filters keep out too); and,
        for a result shown as another copy than the one that ranked, that one's id (its
        words and sound are the result's evidence).
    """
    groups = _recording_groups(catalog, [f.id for f in fused])
    member_ids = _members(catalog, set(groups.values()))
    allowed = eligible(sorted({i for ids in member_ids.values() for i in ids}))
    rows = catalog.get_many(allowed)
    out: list[Fused] = []
    hidden: dict[int, int] = {}
    ranked_as: dict[int, int] = {}
    seen: set[int] = set()
    for item in fused:
        group = groups.get(item.id)
        if group is None:
            out.append(item)
            continue
        if group in seen:
            continue
        seen.add(group)
        choices = [rows[i] for i in member_ids[group] if i in rows] or [catalog.get(item.id)]
        best = max((r for r in choices if r is not None), key=quality_key)
        out.append(item if best.id == item.id else replace(item, id=best.id))
        if best.id != item.id:
            ranked_as[best.id] = item.id
        hidden[best.id] = len([i for i in member_ids[group] if i not in left_out]) - 1
    return out, hidden, ranked_as


def eligibility(
    catalog: Catalog,
    lexical: LexicalIndex,
    filters: Filters | None,
    exclude: Set[int],
    words: WordsQuery,
) -> Callable[[list[int]], set[int]]:
    """Which of some ids a search may return: indexed, passing its filters, neither one of
    the reference's copies nor holding a left-out word."""

    def eligible(ids: list[int]) -> set[int]:
        return passing(catalog, ids, filters) - exclude - lexical.excluded(words, ids)

    return eligible


def passing(catalog: Catalog, ids: list[int], filters: Filters | None) -> set[int]:
    """Those of ``ids`` that are indexed and pass ``filters``."""
    where, params = catalog.filter_clause(filters or Filters())
    out: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = catalog.query(
            f"SELECT id FROM sounds WHERE {where} AND id IN ({','.join('?' * len(chunk))})",
            [*params, *chunk],
        )
        out.update(int(r[0]) for r in rows)  # type: ignore[call-overload]
    return out


def _recording_groups(catalog: Catalog, ids: Iterable[int]) -> dict[int, int]:
    """Sound id -> its recording group, for the ids that have one."""
    ids = list(ids)
    out: dict[int, int] = {}
    with catalog.reading() as conn:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = conn.execute(
                "SELECT sound_id, recording_group FROM duplicate_groups WHERE "
                f"recording_group IS NOT NULL AND sound_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            out.update((r[0], r[1]) for r in rows)
    return out


def _members(catalog: Catalog, groups: Iterable[int]) -> dict[int, list[int]]:
    """Recording group -> its indexed members."""
    out: dict[int, list[int]] = {}
    with catalog.reading() as conn:
        for group in groups:
            rows = conn.execute(
                "SELECT g.sound_id FROM duplicate_groups g JOIN sounds s ON s.id = g.sound_id "
                "WHERE g.recording_group = ? AND s.status = 'done'",
                (group,),
            )
            out[group] = [r[0] for r in rows]
    return out
