"""The catalog's words: raw tags per sound and the lexical (FTS5) index that mirrors them.

Every function here runs inside the caller's transaction, so a sound's row, its tags and
its lexical entry change together: a killed ingest never leaves them out of step.
Only indexed (``done``) sounds have a lexical entry.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping

from soundscout.metadata.words import FIELDS, WORDS_VERSION, sound_words

#: Warnings that come from the name, not the file: recomputed when the name changes.
_DERIVED = ("file name looks like UCS", "CatID tag")
_COLUMNS = ", ".join(FIELDS)
_VALUES = ", ".join("?" * (len(FIELDS) + 1))
#: a contentless FTS5 table forgets a row given the values it was written with
_FORGET_FORMS = (
    f"INSERT INTO sound_word_forms (sound_word_forms, rowid, {_COLUMNS}) "
    f"SELECT 'delete', rowid, {_COLUMNS} FROM sound_words WHERE rowid = ?"
)


def write_words(
    conn: sqlite3.Connection,
    sound_id: int,
    tags: Mapping[str, str],
    tag_warnings: Iterable[str] = (),
) -> None:
    """Store a sound's raw tags and (re)write its lexical entry and UCS columns."""
    row = conn.execute("SELECT path, root, status FROM sounds WHERE id = ?", (sound_id,)).fetchone()
    if row is None or row[2] != "done":
        return  # gone or changed since its tags were read: the next run reads them
    words = sound_words(row[0], row[1], tags)
    warnings = [*tag_warnings, *words.warnings]
    conn.execute(
        "INSERT OR REPLACE INTO sound_tags (sound_id, fields, warnings) VALUES (?, ?, ?)",
        (sound_id, json.dumps(dict(tags), ensure_ascii=False), json.dumps(warnings)),
    )
    _delete_entries(conn, [(sound_id,)])
    values = (sound_id, *(words.texts[f] for f in FIELDS))
    for table in ("sound_words", "sound_word_forms"):  # the entry, and its written words
        conn.execute(f"INSERT INTO {table} (rowid, {_COLUMNS}) VALUES ({_VALUES})", values)
    entry = words.ucs
    conn.execute(
        "UPDATE sounds SET words_version = ?, ucs_catid = ?, ucs_category = ?, "
        "ucs_subcategory = ? WHERE id = ?",
        (
            WORDS_VERSION,
            entry.catid if entry else None,
            entry.category if entry else None,
            entry.subcategory if entry else None,
            sound_id,
        ),
    )


def drop_words(conn: sqlite3.Connection, ids: Iterable[int], with_tags: bool = False) -> None:
    """Take sounds out of the lexical index (deleted, changed or failed); ``with_tags``
    also forgets the tags read from their files (the content they described is gone)."""
    params = [(int(i),) for i in ids]
    _delete_entries(conn, params)
    if with_tags:
        conn.executemany("DELETE FROM sound_tags WHERE sound_id = ?", params)
        conn.executemany(
            "UPDATE sounds SET words_version = NULL, ucs_catid = NULL, ucs_category = NULL, "
            "ucs_subcategory = NULL WHERE id = ?",
            params,
        )


def _delete_entries(conn: sqlite3.Connection, params: list[tuple[int]]) -> None:
    """Delete sounds' lexical entries and their written words (``sound_word_forms``,
    migration 0011), which must be forgotten first, with the values they were written with."""
    conn.executemany(_FORGET_FORMS, params)
    conn.executemany("DELETE FROM sound_words WHERE rowid = ?", params)


def refresh_words(conn: sqlite3.Connection, ids: Iterable[int]) -> None:
    """Rebuild the lexical entries of moved sounds from their stored tags (their names
    changed, their content did not); sounds whose tags were never read are left to
    :func:`words_pending`."""
    for sound_id in ids:
        row = conn.execute(
            "SELECT t.fields, t.warnings, s.status FROM sound_tags t "
            "JOIN sounds s ON s.id = t.sound_id WHERE t.sound_id = ?",
            (sound_id,),
        ).fetchone()
        if row is None or row[2] != "done":
            continue
        warnings = [w for w in json.loads(row[1]) if not w.startswith(_DERIVED)]
        write_words(conn, sound_id, json.loads(row[0]), warnings)


def words_pending(conn: sqlite3.Connection, root: str | None = None) -> list[tuple[int, str]]:
    """(id, path) of indexed sounds whose words were never read or were read by older
    rules; ``root`` limits them to one indexed folder."""
    sql = (
        "SELECT id, path FROM sounds WHERE status = 'done' "
        "AND (words_version IS NULL OR words_version < ?)"
    )
    params: list[object] = [WORDS_VERSION]
    if root is not None:
        prefix = root.rstrip("/") + "/"
        sql += " AND substr(path, 1, ?) = ?"
        params += [len(prefix), prefix]
    return [(r[0], r[1]) for r in conn.execute(sql + " ORDER BY id", params)]


def stored_tags(conn: sqlite3.Connection, sound_id: int) -> tuple[dict[str, str], list[str]]:
    """The raw tags read from a sound's file and the warnings of what was skipped."""
    row = conn.execute(
        "SELECT fields, warnings FROM sound_tags WHERE sound_id = ?", (sound_id,)
    ).fetchone()
    if row is None:
        return {}, []
    return json.loads(row[0]), json.loads(row[1])
