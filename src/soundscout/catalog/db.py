"""SQLite connection setup and schema migrations for the catalog."""

from __future__ import annotations

import os
import sqlite3
from importlib import resources
from pathlib import Path

from soundscout.errors import LibraryError


def read_only_folder(folder: Path) -> bool:
    """Whether files in ``folder`` cannot be created or written (permissions or a
    read-only mount)."""
    try:
        return not os.access(folder, os.W_OK) or bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the catalog database in WAL mode, migrated to the latest.

    An existing catalog in a folder that cannot be written (a read-only mount of a library
    built elsewhere) is opened read-only: searching and serving work, writing raises.
    """
    if path.is_file() and read_only_folder(path.parent):
        return _connect_read_only(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            str(path), timeout=60.0, isolation_level=None, check_same_thread=False
        )
    except (OSError, sqlite3.Error) as exc:
        raise LibraryError(
            f"Cannot open the catalog at {path}: {exc}",
            hint="Check that the library directory (library.path) exists and is writable.",
        ) from exc
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=60000")
        migrate(conn)
    except sqlite3.Error as exc:
        conn.close()
        corrupt = "malformed" in str(exc) or "not a database" in str(exc)
        raise LibraryError(
            f"The catalog at {path} cannot be used: {exc}",
            hint="The catalog file is damaged: restore the library folder from a backup, or "
            "move it away and index your folders again."
            if corrupt
            else "If the disk is full or read-only, free space or fix permissions and retry.",
        ) from exc
    return conn


def _connect_read_only(path: Path) -> sqlite3.Connection:
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise LibraryError(
            f"The catalog at {path} is read-only and its last writes ({wal.name}) were never "
            "folded into it, so it cannot be read here.",
            hint="Open the library once with write access (e.g. `soundscout status`), "
            "then mount it read-only again.",
        )
    # immutable: no lock or -shm file is needed, so a read-only mount is enough.
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.Error as exc:
        raise LibraryError(
            f"The read-only catalog at {path} cannot be read: {exc}",
            hint="Check the file's permissions, or copy the library folder somewhere writable.",
        ) from exc
    scripts = _migration_scripts()
    latest = scripts[-1][0] if scripts else 0
    if version != latest:
        conn.close()
        raise LibraryError(
            f"The read-only catalog at {path} has schema version {version}; this Soundscout "
            f"reads version {latest}.",
            hint="Open the library once with write access to upgrade it (newer than this "
            "Soundscout: upgrade Soundscout).",
        )
    return conn


def peek(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Rows of a query on an existing catalog, opened read-only (nothing is created or
    migrated); no rows when there is no catalog or it cannot be read."""
    if not path.is_file():
        return []
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return []


def _migration_scripts() -> list[tuple[int, str]]:
    folder = resources.files("soundscout.catalog").joinpath("migrations")
    scripts = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            scripts.append((int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8")))
    return sorted(scripts)


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration newer than ``PRAGMA user_version``; return the new version."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    scripts = _migration_scripts()
    latest = scripts[-1][0] if scripts else 0
    if current > latest:
        raise LibraryError(
            f"The catalog has schema version {current}, newer than this Soundscout ({latest}).",
            hint="Upgrade Soundscout, or point library.path at another directory.",
        )
    for version, script in scripts:
        if version <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        # Another process may have migrated while this one waited for the write lock.
        if conn.execute("PRAGMA user_version").fetchone()[0] >= version:
            conn.execute("COMMIT")
            current = version
            continue
        try:
            for statement in _split_statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        current = version
    return current


def _split_statements(script: str) -> list[str]:
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [stmt.strip() for stmt in "\n".join(lines).split(";") if stmt.strip()]
