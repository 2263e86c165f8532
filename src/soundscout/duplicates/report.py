"""The stored duplicate groups as the front-ends show them, and their CSV export.

A group is a set of sounds connected by copies or variants (a connected component at the
variant level); its ``kind`` is its loosest link: ``exact`` (every member has the same bytes
or decoded audio), ``recording`` (the same recording in other formats, rates, levels or
trims) or ``variant`` (other takes too). Each member says which copies it belongs with
(``exact_group``, ``recording_group``) and whether it is the copy ``--collapse`` keeps
(:func:`quality_key`). Silent sounds are reported apart, never grouped.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, TextIO

from soundscout.catalog import duplicates as store
from soundscout.catalog.catalog import Catalog, SoundRow

KINDS = ("exact", "recording", "variant")
#: What a member is in its group (:attr:`Member.relation`).
Relation = Literal["keep", "exact copy", "copy", "variant"]
CSV_FIELDS = (
    "group", "kind", "sound_id", "path", "format", "sample_rate", "bit_depth", "channels",
    "duration", "size", "recording_group", "exact_group", "keep", "relation",
)  # fmt: skip


@dataclass(frozen=True)
class Member:
    """One sound of a group."""

    row: SoundRow
    exact_group: int | None
    recording_group: int | None
    best: bool  # the best-quality copy of its recording (what --collapse shows)
    #: "keep" (the best copy of a recording that has copies), "exact copy" (of its
    #: recording's kept file), "copy" (another copy: two lossy copies may be exact copies
    #: of each other), or "variant" (a take of its own, no copy)
    relation: Relation


@dataclass(frozen=True)
class Group:
    """Sounds connected by copies or variants; ``id`` is its smallest sound id."""

    id: int
    kind: str
    members: tuple[Member, ...]

    @property
    def size(self) -> int:
        """Bytes on disk of all its files."""
        return sum(m.row.size for m in self.members)


def quality_key(row: SoundRow) -> tuple[int, int, float, int, int]:
    """Sort key of the best copy, best last: lossless before lossy (lossless files have a
    bit depth), then the higher sample rate, the longer, the deeper, the first catalogued."""
    return (
        int(row.bit_depth is not None),
        row.sample_rate or 0,
        round(row.duration or 0.0, 3),
        row.bit_depth or 0,
        -row.id,
    )


def list_groups(
    catalog: Catalog, kind: str | None = None, limit: int | None = None, offset: int = 0
) -> tuple[list[Group], int]:
    """Groups (of ``kind``, when given) by id, a page of them, and how many there are."""
    found = [g for g in _groups(catalog, None) if kind is None or g.kind == kind]
    end = None if limit is None else offset + limit
    return found[offset:end], len(found)


def group_of(catalog: Catalog, sound_id: int) -> Group | None:
    """The group holding this sound, or None."""
    with catalog.reading() as conn:
        row = conn.execute(
            "SELECT variant_group FROM duplicate_groups WHERE sound_id = ?", (sound_id,)
        ).fetchone()
    if row is None:
        return None
    found = _groups(catalog, int(row[0]))
    return found[0] if found else None


def silent_sounds(catalog: Catalog) -> list[SoundRow]:
    """Indexed sounds that are digital silence (or nearly): reported, never grouped."""
    with catalog.reading() as conn:
        ids = store.silent_ids(conn)
    rows = catalog.get_many(ids)
    return [rows[i] for i in ids if i in rows]


def unprinted(catalog: Catalog) -> int:
    """Indexed sounds without a fingerprint (only exact copies and variants are found)."""
    with catalog.reading() as conn:
        return store.unprinted_count(conn)


def _groups(catalog: Catalog, only: int | None) -> list[Group]:
    sql = (
        "SELECT g.sound_id, g.exact_group, g.recording_group, g.variant_group "
        "FROM duplicate_groups g JOIN sounds s ON s.id = g.sound_id WHERE s.status = 'done'"
    )
    params: list[object] = []
    if only is not None:
        sql += " AND g.variant_group = ?"
        params.append(only)
    with catalog.reading() as conn:
        links = conn.execute(sql + " ORDER BY g.variant_group, g.sound_id", params).fetchall()
    rows = catalog.get_many(link[0] for link in links)
    by_group: dict[int, list[tuple[SoundRow, int | None, int | None]]] = {}
    for sound_id, exact, recording, variant in links:
        if sound_id in rows:
            by_group.setdefault(variant, []).append((rows[sound_id], exact, recording))
    return [_group(gid, members) for gid, members in by_group.items() if len(members) > 1]


def _group(gid: int, members: list[tuple[SoundRow, int | None, int | None]]) -> Group:
    best: dict[int, SoundRow] = {}
    for row, _, recording in members:
        key = recording if recording is not None else -row.id
        if key not in best or quality_key(row) > quality_key(best[key]):
            best[key] = row
    kept = {best[rec].id for _, _, rec in members if rec is not None}  # copies: keep one
    kept_exact = {exact for row, exact, _ in members if row.id in kept and exact is not None}
    out = tuple(
        Member(
            row,
            exact,
            rec,
            best[rec if rec is not None else -row.id].id == row.id,
            _relation(row.id in kept, exact, rec, kept_exact),
        )
        for row, exact, rec in members
    )
    exacts = {m.exact_group for m in out}
    recordings = {m.recording_group for m in out}
    kind = "variant"
    if len(recordings) == 1 and None not in recordings:
        kind = "exact" if len(exacts) == 1 and None not in exacts else "recording"
    return Group(min(m.row.id for m in out), kind, out)


def _relation(
    kept: bool, exact_group: int | None, recording_group: int | None, kept_exact: set[int]
) -> Relation:
    """A member's :attr:`Member.relation` (``kept_exact``: the exact groups of its group's
    kept copies, one per recording the group holds)."""
    if kept:
        return "keep"
    if exact_group is not None and exact_group in kept_exact:
        return "exact copy"
    if exact_group is not None or recording_group is not None:
        return "copy"
    return "variant"


def write_csv(groups: Iterable[Group], silent: Iterable[SoundRow], out: TextIO) -> int:
    """One CSV row per grouped sound (then each silent sound, kind ``silent``); ``keep`` is 1
    for the copy --collapse shows, ``relation`` says what it is (:attr:`Member.relation`).
    Returns the rows written."""
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    n = 0
    for group in groups:
        for m in group.members:
            writer.writerow(
                [group.id, group.kind, *_file_fields(m.row), m.recording_group or "",
                 m.exact_group or "", int(m.best), m.relation]
            )  # fmt: skip
            n += 1
    for row in silent:
        writer.writerow(["", "silent", *_file_fields(row), "", "", "", ""])
        n += 1
    return n


def _file_fields(row: SoundRow) -> list[object]:
    return [
        row.id, row.path, row.format or "", row.sample_rate or "", row.bit_depth or "",
        row.channels or "", "" if row.duration is None else round(row.duration, 3), row.size,
    ]  # fmt: skip
