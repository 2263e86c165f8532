"""The catalog's record of duplicates: fingerprints, the pairs found, and the groups.

Fingerprints are written with each sound's outcome (:meth:`Catalog.commit_outcomes`); pairs
and groups by :mod:`soundscout.duplicates.grouping` after an index run. Functions taking a
connection run inside the caller's transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from soundscout.duplicates.fingerprint import Print

#: The levels of a group, loosest last, and their columns in ``duplicate_groups``.
LEVELS = ("exact", "recording", "variant")
Pair = tuple[int, int, str, float]  # a < b, kind, cosine


def write_print(conn: sqlite3.Connection, sound_id: int, fingerprint: Print) -> None:
    """Store (or replace) a sound's fingerprint."""
    conn.execute(
        "INSERT OR REPLACE INTO sound_prints (sound_id, version, silent, print) "
        "VALUES (?, ?, ?, ?)",
        (sound_id, fingerprint.version, int(fingerprint.silent), fingerprint.data),
    )


def drop_print(conn: sqlite3.Connection, sound_id: int) -> None:
    """Forget a sound's fingerprint (its file failed to decode)."""
    conn.execute("DELETE FROM sound_prints WHERE sound_id = ?", (sound_id,))


def prints(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, Print]:
    """Stored fingerprints by sound id (ids without one are left out)."""
    out: dict[int, Print] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        rows = conn.execute(
            "SELECT sound_id, version, silent, print FROM sound_prints "
            f"WHERE sound_id IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        out.update((r[0], Print(r[3], bool(r[2]), r[1])) for r in rows)
    return out


def lengths(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, float | None]:
    """Duration by id of the indexed, not silent sounds among ``ids``."""
    ids = list(ids)
    out: dict[int, float | None] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = conn.execute(
            f"SELECT s.id, s.duration FROM sounds s WHERE s.id IN ({','.join('?' * len(chunk))}) "
            "AND s.status = 'done' AND NOT EXISTS "
            "(SELECT 1 FROM sound_prints p WHERE p.sound_id = s.id AND p.silent = 1)",
            chunk,
        )
        out.update((r[0], r[1]) for r in rows)
    return out


def silent_ids(conn: sqlite3.Connection) -> list[int]:
    """Indexed sounds that are silent, by id."""
    rows = conn.execute(
        "SELECT p.sound_id FROM sound_prints p JOIN sounds s ON s.id = p.sound_id "
        "WHERE p.silent = 1 AND s.status = 'done' ORDER BY p.sound_id"
    )
    return [r[0] for r in rows]


def silent_among(conn: sqlite3.Connection, ids: Sequence[int]) -> set[int]:
    """Those of ``ids`` whose sound is silent (by their prints' primary key: no scan)."""
    out: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = [int(i) for i in ids[start : start + 500]]
        rows = conn.execute(
            "SELECT sound_id FROM sound_prints WHERE silent = 1 AND sound_id IN "
            f"({','.join('?' * len(chunk))})",
            chunk,
        )
        out.update(r[0] for r in rows)
    return out


def unprinted_count(conn: sqlite3.Connection) -> int:
    """Indexed sounds without a fingerprint (indexed before fingerprints were taken)."""
    return conn.execute(
        "SELECT COUNT(*) FROM sounds s WHERE s.status = 'done' AND NOT EXISTS "
        "(SELECT 1 FROM sound_prints p WHERE p.sound_id = s.id)"
    ).fetchone()[0]


def unprinted_under(conn: sqlite3.Connection, root: str) -> list[tuple[int, str]]:
    """(id, path) of indexed sounds under ``root`` without a fingerprint."""
    prefix = root.rstrip("/") + "/"
    rows = conn.execute(
        "SELECT s.id, s.path FROM sounds s WHERE s.status = 'done' "
        "AND substr(s.path, 1, ?) = ? AND NOT EXISTS "
        "(SELECT 1 FROM sound_prints p WHERE p.sound_id = s.id) ORDER BY s.id",
        (len(prefix), prefix),
    )
    return [(r[0], r[1]) for r in rows]


def exact_classes(conn: sqlite3.Connection, decoded_seconds: float | None) -> list[list[int]]:
    """Ids of indexed, not silent sounds sharing their bytes (content hash) or their decoded
    audio (audio hash and duration to the millisecond, for sounds decoded whole: no longer
    than ``decoded_seconds``), one list per class."""
    where = (
        "s.status = 'done' AND NOT EXISTS "
        "(SELECT 1 FROM sound_prints p WHERE p.sound_id = s.id AND p.silent = 1)"
    )
    audio = "s.audio_hash || ':' || CAST(round(s.duration, 3) AS TEXT)"
    cap = "" if decoded_seconds is None else f" AND s.duration <= {float(decoded_seconds)!r}"
    classes = []
    for key, extra in (("s.content_hash", ""), (audio, cap)):
        rows = conn.execute(
            f"SELECT group_concat(s.id) FROM sounds s WHERE {where}{extra} AND {key} IS NOT NULL "
            f"GROUP BY {key} HAVING COUNT(*) > 1"
        )
        classes += [[int(i) for i in r[0].split(",")] for r in rows]
    return classes


def partners(conn: sqlite3.Connection, ids: Iterable[int]) -> set[int]:
    """Sounds paired with any of ``ids``."""
    found: set[int] = set()
    ids = list(ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT b FROM duplicate_pairs WHERE a IN ({marks}) "
            f"UNION SELECT a FROM duplicate_pairs WHERE b IN ({marks})",
            [*chunk, *chunk],
        )
        found.update(r[0] for r in rows)
    return found


def drop_pairs(conn: sqlite3.Connection, ids: Iterable[int]) -> None:
    """Forget every pair holding one of ``ids``."""
    rows = [(i,) for i in ids]
    conn.executemany("DELETE FROM duplicate_pairs WHERE a = ?", rows)
    conn.executemany("DELETE FROM duplicate_pairs WHERE b = ?", rows)


def add_pairs(conn: sqlite3.Connection, pairs: Iterable[Pair]) -> None:
    """Record pairs (a < b)."""
    conn.executemany(
        "INSERT OR REPLACE INTO duplicate_pairs (a, b, kind, score) VALUES (?, ?, ?, ?)", pairs
    )


def all_pairs(conn: sqlite3.Connection) -> list[Pair]:
    """Every pair whose two sounds are indexed."""
    rows = conn.execute(
        "SELECT d.a, d.b, d.kind, d.score FROM duplicate_pairs d "
        "JOIN sounds sa ON sa.id = d.a JOIN sounds sb ON sb.id = d.b "
        "WHERE sa.status = 'done' AND sb.status = 'done'"
    )
    return [(r[0], r[1], r[2], r[3]) for r in rows]


GroupRow = tuple[int, int | None, int | None, int | None]  # sound, exact, recording, variant


def replace_groups(conn: sqlite3.Connection, rows: Iterable[GroupRow]) -> None:
    """Replace every group membership with ``rows`` of (sound, exact, recording, variant)."""
    conn.execute("DELETE FROM duplicate_groups")
    conn.executemany(
        "INSERT INTO duplicate_groups (sound_id, exact_group, recording_group, variant_group) "
        "VALUES (?, ?, ?, ?)",
        rows,
    )


def mark_pending(conn: sqlite3.Connection, sound_id: int) -> None:
    """List a sound for the next grouping although its revision did not change."""
    conn.execute("INSERT OR IGNORE INTO duplicates_pending (sound_id) VALUES (?)", (sound_id,))


def pending(conn: sqlite3.Connection) -> list[int]:
    """The sounds listed by :func:`mark_pending`."""
    return [r[0] for r in conn.execute("SELECT sound_id FROM duplicates_pending")]


def groups_revision(conn: sqlite3.Connection) -> int:
    """The catalog revision the groups were last brought up to (-1: never)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'duplicates_revision'").fetchone()
    return int(row[0]) if row else -1


def set_groups_revision(conn: sqlite3.Connection, revision: int) -> None:
    """Record that the groups are up to date with ``revision``."""
    conn.execute("UPDATE meta SET value = ? WHERE key = 'duplicates_revision'", (str(revision),))
