"""Keep the catalog's duplicate pairs and groups up to date, incrementally.

After an index run (or ``forget``), only the sounds added, changed or removed since the
groups' revision are examined: their old pairs are dropped, and each new or changed sound is
compared with its ``neighbours`` nearest sounds in the vector index (FAISS, queried in blocks
of :data:`BLOCK`), never with the whole library, so the work grows with n·k, not n². Exact
copies come from the catalog's hashes. The groups are then the connected components of the
pairs at three levels (exact ⊂ same recording ⊂ variants), found with a union-find over the
stored pairs, and replace the old ones in one transaction. Silent sounds join no group.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from soundscout.catalog import duplicates as store
from soundscout.catalog.catalog import Catalog
from soundscout.duplicates.fingerprint import COMPARISON, VERSION
from soundscout.duplicates.rules import (
    CANDIDATE_COSINE,
    Candidate,
    Rules,
    classify,
    same_length,
)
from soundscout.index.faiss_index import VectorIndex

log = logging.getLogger(__name__)

#: Sounds whose neighbours are searched at once.
BLOCK = 1024
_RULES_KEY = "duplicates_rules"


@dataclass
class GroupingReport:
    """What one update did."""

    examined: int = 0  # sounds compared with their neighbours
    pairs: int = 0  # pairs recorded for them
    groups: dict[str, int] = field(default_factory=dict)  # level -> groups of 2+
    seconds: float = 0.0


def update_groups(
    catalog: Catalog,
    index: VectorIndex,
    encoder_version: str,
    rules: Rules,
) -> GroupingReport:
    """Bring pairs and groups up to the catalog's revision (``index`` must be in step)."""
    started, report = time.perf_counter(), GroupingReport()
    revision = catalog.revision
    signature = json.dumps([VERSION, COMPARISON, str(rules), encoder_version])
    with catalog.reading() as conn:
        since = store.groups_revision(conn)
        if _stored_signature(conn) != signature:
            since = -1  # other thresholds or encoder: every pair again
        printed = store.pending(conn)  # fingerprinted since, revision unchanged
    if since == revision and not printed:
        return report
    changed, removed = catalog.changes_since(since)
    examine = sorted({*changed.tolist(), *printed})
    with catalog.transaction() as conn:
        if since < 0:
            conn.execute("DELETE FROM duplicate_pairs")
        store.drop_pairs(conn, [*examine, *removed.tolist()])
    with catalog.reading() as conn:
        silent = set(store.silent_ids(conn))
    for ids in _blocks(examine, BLOCK):
        block = _comparable(catalog, ids, encoder_version, silent)
        pairs = _pairs_of(catalog, index, block, rules)
        with catalog.transaction() as conn:
            store.add_pairs(conn, pairs)
        report.examined += len(block)
        report.pairs += len(pairs)
    with catalog.transaction() as conn:
        rows, report.groups = _groups(
            store.exact_classes(conn, rules.decoded_seconds), store.all_pairs(conn)
        )
        store.replace_groups(conn, rows)
        store.set_groups_revision(conn, revision)
        conn.execute("DELETE FROM duplicates_pending")
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (_RULES_KEY, signature)
        )
    report.seconds = time.perf_counter() - started
    log.debug("duplicates: %s", report)
    return report


def is_current(catalog: Catalog) -> bool:
    """Whether the stored groups are up to date with the catalog."""
    with catalog.reading() as conn:
        return store.groups_revision(conn) == catalog.revision and not store.pending(conn)


def _stored_signature(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (_RULES_KEY,)).fetchone()
    return row[0] if row else None


def _comparable(
    catalog: Catalog, ids: list[int], encoder_version: str, silent: set[int]
) -> list[int]:
    """The ids among ``ids`` that are indexed by this encoder and not silent."""
    rows = catalog.get_many(ids)
    return [
        i
        for i in ids
        if i in rows
        and rows[i].status == "done"
        and rows[i].encoder_version == encoder_version
        and i not in silent
    ]


def _blocks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _pairs_of(
    catalog: Catalog, index: VectorIndex, block: list[int], rules: Rules
) -> list[store.Pair]:
    """The recording and variant pairs of each sound in ``block`` with its neighbours.

    Only the neighbours of about the same length can be the same recording, so only their
    fingerprints are read."""
    vectors = catalog.embeddings(block)
    ids = [i for i in block if i in vectors]
    if not ids or index.count == 0:
        return []
    scores, found = index.search(np.stack([vectors[i] for i in ids]), rules.neighbours + 1)
    near: dict[tuple[int, int], float] = {}
    for i, row_scores, row_ids in zip(ids, scores, found, strict=True):
        for score, j in zip(row_scores.tolist(), row_ids.tolist(), strict=True):
            if j >= 0 and j != i and score >= CANDIDATE_COSINE:
                near[(min(i, j), max(i, j))] = score
    with catalog.reading() as conn:
        lengths = store.lengths(conn, {i for pair in near for i in pair})
        alike = {i for a, b in near if _alike(lengths, a, b) for i in (a, b)}
        prints = store.prints(conn, sorted(alike))
    pairs = []
    for (a, b), score in near.items():
        if a in lengths and b in lengths:
            one = Candidate(lengths[a], prints.get(a))
            other = Candidate(lengths[b], prints.get(b))
            kind = classify(one, other, score, rules)
            if kind is not None:
                pairs.append((a, b, kind, round(score, 6)))
    return pairs


def _alike(lengths: dict[int, float | None], a: int, b: int) -> bool:
    return a in lengths and b in lengths and same_length(lengths[a], lengths[b])


class _UnionFind:
    """Disjoint sets of sound ids (path halving, union by smaller root id)."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)  # the root is the group's smallest id


def _groups(
    exact: list[list[int]], pairs: list[store.Pair]
) -> tuple[list[store.GroupRow], dict[str, int]]:
    """Group rows (sound, exact, recording, variant; None where alone) and group counts."""
    levels = {name: _UnionFind() for name in store.LEVELS}
    for members in exact:
        for level in levels.values():
            for other in members[1:]:
                level.union(members[0], other)
    for a, b, kind, _ in pairs:
        levels["variant"].union(a, b)
        if kind == "recording":
            levels["recording"].union(a, b)
    sizes: dict[str, dict[int, int]] = {name: {} for name in levels}
    for name, sets in levels.items():
        for x in list(sets.parent):
            root = sets.find(x)
            sizes[name][root] = sizes[name].get(root, 0) + 1
    rows: list[store.GroupRow] = []
    for x in sorted(levels["variant"].parent):
        same, recording, variant = (
            root if sizes[name].get(root := levels[name].find(x), 1) > 1 else None
            for name in store.LEVELS
        )
        if variant is not None:
            rows.append((x, same, recording, variant))
    counts = {name: sum(1 for n in sizes[name].values() if n > 1) for name in store.LEVELS}
    return rows, counts
