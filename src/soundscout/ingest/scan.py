"""Scan a folder for audio files and plan what an ingest must do."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from soundscout.catalog.catalog import FileEntry, Fingerprint, SoundRow

#: A catalog row as a re-scan sees it.
KnownRow = Fingerprint | SoundRow

log = logging.getLogger(__name__)


def content_hash(path: str) -> str:
    """sha1 of the file bytes."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha1").hexdigest()


@dataclass
class FolderScan:
    """The audio files found under a root, and what could not be looked at."""

    entries: list[FileEntry] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # folders that could not be listed
    bad_names: list[str] = field(default_factory=list)  # names that are not valid UTF-8


def scan_folder(
    root: Path,
    extensions: Iterable[str],
    follow_symlinks: bool = True,
    elsewhere: Iterable[str] = (),
) -> FolderScan:
    """Every file under ``root`` whose extension (any case) is an audio extension.

    A folder reached through a symbolic link that is (or is inside) one of the ``elsewhere``
    folders (the library's other folders, compared by their real paths) is skipped and
    logged: its sounds are catalogued there, and would be twice.

    Directory symlink loops are detected and skipped; unreadable directories are
    logged and listed (their catalogued sounds are kept, not taken as deleted); names
    that are not valid UTF-8 cannot be catalogued and are logged and listed; files that
    cannot be stat'ed (broken links) are returned with size -1 so that ingest records
    them as failed with a reason.
    """
    suffixes = {e.lower() if e.startswith(".") else f".{e.lower()}" for e in extensions}
    seen_dirs: set[tuple[int, int]] = set()
    scan = FolderScan()
    others = tuple(os.path.join(os.path.realpath(f), "") for f in elsewhere)

    def on_error(err: OSError) -> None:
        log.warning("cannot read folder %s: %s", err.filename, err.strerror)
        scan.unreadable.append(str(err.filename))

    walker = os.walk(root, onerror=on_error, followlinks=follow_symlinks)
    for dirpath, dirnames, filenames in walker:
        try:
            st = os.stat(dirpath)
        except OSError:
            dirnames[:] = []
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            log.warning("skipping %s: symlink loop or folder already scanned", dirpath)
            dirnames[:] = []
            continue
        seen_dirs.add(key)
        if others and os.path.islink(dirpath):
            real = os.path.join(os.path.realpath(dirpath), "")
            known = next((o for o in others if real.startswith(o)), None)
            if known is not None:
                log.warning(
                    "skipping %s: it is the library's folder %s (or inside it) by another "
                    "name, through a link; its sounds are catalogued there",
                    dirpath,
                    known.rstrip(os.sep),
                )
                dirnames[:] = []
                continue
        dirnames[:] = sorted(d for d in dirnames if _storable(os.path.join(dirpath, d), scan))
        for name in sorted(filenames):
            if os.path.splitext(name)[1].lower() not in suffixes:
                continue
            path = os.path.join(dirpath, name)
            if not _storable(path, scan) or (not follow_symlinks and os.path.islink(path)):
                continue
            try:
                fst = os.stat(path)
                scan.entries.append(FileEntry(path, fst.st_size, fst.st_mtime_ns))
            except OSError:
                scan.entries.append(FileEntry(path, -1, -1))
    return scan


def _storable(path: str, scan: FolderScan) -> bool:
    """False (logged) for a name with bytes that are not UTF-8: SQLite cannot store it."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        shown = path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        log.warning("skipping %s: its name is not valid UTF-8; rename it to index it", shown)
        scan.bad_names.append(shown)
        return False
    return True


@dataclass
class ScanPlan:
    """What changed between the folder and the catalog."""

    new: list[FileEntry] = field(default_factory=list)
    changed: list[tuple[int, FileEntry]] = field(default_factory=list)
    moved: list[tuple[int, FileEntry]] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    # Same path and bytes, only the modification time differs (touched, copied over
    # with the same content): the catalog takes the new mtime, the embedding stays.
    touched: list[tuple[int, FileEntry]] = field(default_factory=list)
    unchanged: int = 0
    failed_unchanged: int = 0
    resumed: int = 0  # unchanged but still pending from an interrupted run
    kept_unreadable: int = 0  # catalogued under a folder that could not be read this time


def plan_scan(
    known: Mapping[str, KnownRow],
    found: list[FileEntry],
    retry_failed: bool = False,
    hash_file: Callable[[str], str] = content_hash,
    unreadable: Iterable[str] = (),
) -> ScanPlan:
    """Compare a scan with the catalog rows under the same root.

    A path seen before with the same size and mtime is unchanged. A new path whose
    content hash equals that of a vanished row is a move (its embedding is kept).
    Failed files are retried only when they changed, unless ``retry_failed``. Rows
    under an ``unreadable`` folder are kept as they are: the folder may be back later.
    """
    plan = ScanPlan()
    found_paths = {f.path for f in found}
    blind = tuple(folder.rstrip("/") + "/" for folder in unreadable)
    vanished = {}
    for path, row in known.items():
        if path in found_paths:
            continue
        if blind and path.startswith(blind):
            plan.kept_unreadable += 1
        else:
            vanished[row.id] = row
    candidates: list[FileEntry] = []
    for entry in found:
        row = known.get(entry.path)
        if row is None:
            candidates.append(entry)
        elif (row.size, row.mtime_ns) != (entry.size, entry.mtime_ns):
            if (
                row.status == "done"
                and row.size == entry.size
                and _same_bytes(entry, row, hash_file)
            ):
                plan.touched.append((row.id, entry))
            else:
                plan.changed.append((row.id, entry))
        elif row.status == "failed" and not retry_failed:
            plan.failed_unchanged += 1
        elif row.status == "failed":
            plan.changed.append((row.id, entry))
        elif row.status == "pending":
            plan.resumed += 1
        else:
            plan.unchanged += 1
    by_size: dict[int, list[KnownRow]] = {}
    for row in vanished.values():
        if row.content_hash and row.status == "done":
            by_size.setdefault(row.size, []).append(row)
    for entry in candidates:
        match = _find_move(entry, by_size, hash_file)
        if match is not None:
            plan.moved.append((match.id, entry))
            vanished.pop(match.id)
        else:
            plan.new.append(entry)
    plan.deleted = sorted(vanished)
    return plan


def _same_bytes(entry: FileEntry, row: KnownRow, hash_file: Callable[[str], str]) -> bool:
    if not row.content_hash:
        return False
    try:
        return hash_file(entry.path) == row.content_hash
    except OSError:
        return False


def _find_move(
    entry: FileEntry, by_size: dict[int, list[KnownRow]], hash_file: Callable[[str], str]
) -> KnownRow | None:
    rows = by_size.get(entry.size)
    if not rows:
        return None
    try:
        digest = hash_file(entry.path)
    except OSError:
        return None
    for row in rows:
        if row.content_hash == digest:
            rows.remove(row)
            return row
    return None
