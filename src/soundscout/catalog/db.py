"""SQLite connection setup and schema migrations for the catalog."""

from __future__ import annotations

import sqlite3
from importlib import resources
from pathlib import Path

from soundscout.errors import LibraryError


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the catalog database in WAL mode, migrated to the latest."""
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
        raise LibraryError(
            f"The catalog at {path} cannot be used: {exc}",
            hint="If the disk is full or read-only, free space or fix permissions and retry.",
        ) from exc
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
