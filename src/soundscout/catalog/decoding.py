"""What decoding a sound's file told the catalog beyond its vector: the file's bit depth and
the warnings native decoders printed.

Both are written with the sound's outcome (:meth:`Catalog.commit_outcomes`); sounds indexed
before bit depths were read wait in ``bit_depth_pending`` until an ``index`` of their folder
reads their headers. Every function here runs inside the caller's transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable


def warnings_json(lines: Iterable[str]) -> str | None:
    """The stored form of a file's decoder warnings: a JSON list, None when there are none."""
    lines = list(lines)
    return json.dumps(lines, ensure_ascii=False) if lines else None


def decoder_warnings(conn: sqlite3.Connection, sound_id: int) -> list[str]:
    """What the decoders printed while this sound's file was last decoded."""
    row = conn.execute("SELECT decoder_warnings FROM sounds WHERE id = ?", (sound_id,)).fetchone()
    return json.loads(row[0]) if row and row[0] else []


def bit_depth_pending(conn: sqlite3.Connection, root: str | None = None) -> list[tuple[int, str]]:
    """(id, path) of indexed sounds whose bit depth was never read; ``root`` limits them to
    one indexed folder."""
    sql = (
        "SELECT s.id, s.path FROM bit_depth_pending p JOIN sounds s ON s.id = p.sound_id "
        "WHERE s.status = 'done'"
    )
    params: list[object] = []
    if root is not None:
        prefix = root.rstrip("/") + "/"
        sql += " AND substr(s.path, 1, ?) = ?"
        params += [len(prefix), prefix]
    return [(r[0], r[1]) for r in conn.execute(sql + " ORDER BY s.id", params)]


def store_bit_depths(conn: sqlite3.Connection, items: Iterable[tuple[int, int | None]]) -> None:
    """Record (id, bit depth or None) read from files' headers; they leave the pending list."""
    for sound_id, bits in items:
        conn.execute("UPDATE sounds SET bit_depth = ? WHERE id = ?", (bits, sound_id))
        conn.execute("DELETE FROM bit_depth_pending WHERE sound_id = ?", (sound_id,))
