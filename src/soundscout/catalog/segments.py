"""The catalog side of moments: each long sound's segments, and the ids of dropped ones.

A sound's segments are written with its outcome, in the same transaction
(:meth:`Catalog.commit_outcomes`), and dropped when it fails, is re-embedded or removed;
the ids of dropped segments go to ``segments_removed`` at that revision, so a saved
segment index catches up like the sound index does. The write functions run inside the
caller's transaction; the read functions take the catalog's connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import numpy as np

from soundscout.moments import occurrence
from soundscout.moments.segments import Segments

if TYPE_CHECKING:
    from soundscout.catalog.catalog import Catalog


def write_segments(
    conn: sqlite3.Connection, sound_id: int, segments: Segments | None, rev: int
) -> None:
    """Replace a sound's segments (None: drop them); new ones get fresh ids."""
    drop_segments(conn, [sound_id], rev)
    if segments is None or len(segments) == 0:
        return
    first = int(conn.execute("SELECT value FROM meta WHERE key = 'next_segment_id'").fetchone()[0])
    conn.execute(
        "UPDATE meta SET value = ? WHERE key = 'next_segment_id'", (str(first + len(segments)),)
    )
    prints = None if segments.prints is None else occurrence.to_bytes(segments.prints)
    conn.execute(
        "INSERT INTO segment_sets (sound_id, first_id, count, times, vectors, prints, "
        "prints_version) VALUES (?,?,?,?,?,?,?)",
        (
            sound_id,
            first,
            len(segments),
            np.ascontiguousarray(segments.times, dtype=np.float32).tobytes(),
            np.ascontiguousarray(segments.vectors, dtype=np.float16).tobytes(),
            prints,
            occurrence.VERSION if prints is not None else None,
        ),
    )


def drop_segments(conn: sqlite3.Connection, sound_ids: Iterable[int], rev: int) -> None:
    """Drop these sounds' segments, logging their ids as removed at ``rev``."""
    for sound_id in sound_ids:
        row = conn.execute(
            "SELECT first_id, count FROM segment_sets WHERE sound_id = ?", (sound_id,)
        ).fetchone()
        if row is None:
            continue
        conn.execute(
            "INSERT INTO segments_removed (first_id, count, rev) VALUES (?, ?, ?)",
            (row[0], row[1], rev),
        )
        conn.execute("DELETE FROM segment_sets WHERE sound_id = ?", (sound_id,))


def read_segments(conn: sqlite3.Connection, sound_id: int, dim: int) -> Segments | None:
    """One sound's segments (vectors as float32), or None when it has none."""
    row = conn.execute(
        "SELECT times, vectors FROM segment_sets WHERE sound_id = ?", (sound_id,)
    ).fetchone()
    if row is None:
        return None
    times = np.frombuffer(row[0], dtype=np.float32).reshape(-1, 2)
    vectors = np.frombuffer(row[1], dtype=np.float16).reshape(-1, dim).astype(np.float32)
    return Segments(times, vectors)


def read_prints(conn: sqlite3.Connection, sound_id: int) -> np.ndarray | None:
    """One sound's occurrence print, or None (no segments, or no print of this version)."""
    row = conn.execute(
        "SELECT prints FROM segment_sets WHERE sound_id = ? AND prints_version = ?",
        (sound_id, occurrence.VERSION),
    ).fetchone()
    return None if row is None or row[0] is None else occurrence.from_bytes(row[0])


def iter_segment_vectors(
    catalog: Catalog, encoder_version: str, min_rev: int = -1, batch: int = 500
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(segment ids, float16 vectors, as stored) of done sounds embedded by this encoder,
    changed after ``min_rev``, a few hundred sounds at a time (the lock is held per batch)."""
    last = -1
    while True:
        with catalog.reading() as conn:
            rows = conn.execute(
                "SELECT g.sound_id, g.first_id, g.count, g.vectors FROM segment_sets g "
                "JOIN sounds s ON s.id = g.sound_id WHERE s.status = 'done' "
                "AND s.encoder_version = ? AND s.rev > ? AND g.sound_id > ? "
                "ORDER BY g.sound_id LIMIT ?",
                (encoder_version, min_rev, last, batch),
            ).fetchall()
        if not rows:
            return
        last = int(rows[-1][0])
        ids = np.concatenate([np.arange(r[1], r[1] + r[2], dtype=np.int64) for r in rows])
        vectors = np.concatenate(
            [np.frombuffer(r[3], dtype=np.float16).reshape(r[2], -1) for r in rows]
        )
        yield ids, vectors


def removed_segment_ids(conn: sqlite3.Connection, since: int) -> np.ndarray:
    """Ids of the segments dropped after revision ``since``."""
    rows = conn.execute(
        "SELECT first_id, count FROM segments_removed WHERE rev > ?", (since,)
    ).fetchall()
    if not rows:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate([np.arange(a, a + n, dtype=np.int64) for a, n in rows])


def segment_ranges(conn: sqlite3.Connection, encoder_version: str) -> np.ndarray:
    """(first_id, count, sound_id) rows of every done sound's segments, by first_id."""
    rows = conn.execute(
        "SELECT g.first_id, g.count, g.sound_id FROM segment_sets g "
        "JOIN sounds s ON s.id = g.sound_id WHERE s.status = 'done' "
        "AND s.encoder_version = ? ORDER BY g.first_id",
        (encoder_version,),
    ).fetchall()
    return np.asarray(rows, dtype=np.int64).reshape(-1, 3)


def missing_segments(
    conn: sqlite3.Connection,
    encoder_version: str,
    min_seconds: float,
    max_seconds: float | None = None,
    root: str | None = None,
    longest: float | None = None,
) -> list[tuple[int, str]]:
    """(id, path) of done sounds longer than ``min_seconds`` without segments, or without
    an occurrence print of this version (indexed before moments, or before prints, were
    kept): an ``index`` of their folder embeds them again. None when no more than
    ``max_seconds`` of a sound is embedded (then none can get segments); with ``longest``
    (a Ray run, which embeds no more of a file than that), only sounds no longer than it
    or than ``max_seconds``."""
    if max_seconds is not None and max_seconds <= min_seconds:
        return []
    sql = (
        "SELECT s.id, s.path FROM sounds s LEFT JOIN segment_sets g ON g.sound_id = s.id "
        "WHERE s.status = 'done' AND s.encoder_version = ? AND s.duration > ? "
        "AND (g.sound_id IS NULL OR g.prints_version IS NOT ?)"
    )
    params: list[object] = [encoder_version, min_seconds, occurrence.VERSION]
    if longest is not None and (max_seconds is None or longest < max_seconds):  # else: cut alike
        sql += " AND s.duration <= ?"
        params.append(longest)
    if root is not None:
        prefix = root.rstrip("/") + "/"
        sql += " AND substr(s.path, 1, ?) = ?"
        params += [len(prefix), prefix]
    return [(int(r[0]), str(r[1])) for r in conn.execute(sql + " ORDER BY s.id", params)]


def has_segments(conn: sqlite3.Connection, sound_id: int) -> bool:
    """Whether this sound has segments stored, with an occurrence print of this version."""
    row = conn.execute(
        "SELECT 1 FROM segment_sets WHERE sound_id = ? AND prints_version = ?",
        (sound_id, occurrence.VERSION),
    ).fetchone()
    return row is not None


def segment_count(conn: sqlite3.Connection, sound_id: int) -> int:
    """How many segments this sound has (0 for a short one)."""
    row = conn.execute("SELECT count FROM segment_sets WHERE sound_id = ?", (sound_id,)).fetchone()
    return int(row[0]) if row else 0


def segment_counts(conn: sqlite3.Connection) -> tuple[int, int]:
    """(sounds with segments, segments in all)."""
    row = conn.execute("SELECT COUNT(*), COALESCE(SUM(count), 0) FROM segment_sets").fetchone()
    return int(row[0]), int(row[1])


def cut_sounds(
    conn: sqlite3.Connection, max_seconds: float, limit: int = 10
) -> tuple[int, list[tuple[int, str, float]]]:
    """How many indexed sounds are longer than ``max_seconds`` (only that much of them was
    embedded), and the first ``limit`` of them (id, path, duration)."""
    where = "status = 'done' AND duration > ?"
    count = conn.execute(f"SELECT COUNT(*) FROM sounds WHERE {where}", (max_seconds,)).fetchone()
    rows = conn.execute(
        f"SELECT id, path, duration FROM sounds WHERE {where} ORDER BY id LIMIT ?",
        (max_seconds, limit),
    ).fetchall()
    return int(count[0]), [(int(r[0]), str(r[1]), float(r[2])) for r in rows]
