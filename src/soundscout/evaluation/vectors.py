"""Each encoder's vectors for the evaluated files, without ever writing to the user's library.

* ``library_vectors``: the library already catalogues every file, unchanged since, with
  this encoder version: its stored vectors are read (the catalog opened read-only).
* ``embedded_vectors``: otherwise the files are embedded into a throwaway library in a
  temporary folder (symbolic links to just these files, the normal ingest pipeline),
  deleted afterwards.
* ``mfcc_vectors``: the MFCC statistics of each file (standardised later, over the set).
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from soundscout.catalog.catalog import CATALOG_FILENAME
from soundscout.config import Settings
from soundscout.encoders.base import Encoder
from soundscout.errors import DecodeError
from soundscout.evaluation import mfcc

log = logging.getLogger(__name__)


@dataclass
class Vectors:
    """One encoder's vectors by file path, the files it could not read, and the cost."""

    vectors: dict[str, np.ndarray]
    failed: dict[str, str]  # path -> reason
    source: str  # "library", "embedded" or "computed"
    seconds: float


def library_vectors(library_dir: Path, version: str, root: str, files: list[str]) -> Vectors | None:
    """The library's stored vectors of ``files`` when it holds every one of them, unchanged
    on disk since, embedded by this encoder ``version`` (or failed there); else None.

    The catalog is opened read-only: nothing is created, migrated or locked.
    """
    started = time.perf_counter()
    path = Path(library_dir) / CATALOG_FILENAME
    if not path.is_file():
        return None
    prefix = root.rstrip("/") + "/"
    try:
        conn = _read_only(path)
        try:
            rows = conn.execute(
                "SELECT s.path, s.size, s.mtime_ns, s.status, s.encoder_version, s.error, "
                "e.vector FROM sounds s LEFT JOIN embeddings e ON e.sound_id = s.id "
                "WHERE s.path >= ? AND s.path < ?",
                (prefix, prefix[:-1] + chr(ord("/") + 1)),
            ).fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        log.debug("cannot read stored vectors from %s: %s", path, exc)
        return None
    known = {r[0]: r[1:] for r in rows}
    vectors, failed = {}, {}
    for file in files:
        row = known.get(file)
        if row is None or not _unchanged(file, row[0], row[1]):
            return None
        status, row_version, error, blob = row[2:]
        if status == "done" and row_version == version and blob is not None:
            vectors[file] = np.frombuffer(blob, dtype=np.float32)
        elif status == "failed":
            failed[file] = str(error)
        else:
            return None
    return Vectors(vectors, failed, "library", time.perf_counter() - started)


def _read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection that leaves no file behind: ``immutable`` when the catalog
    has no pending write-ahead log (a plain ``mode=ro`` would create ``-shm``/``-wal``
    files), else an ordinary reader of the log a running writer keeps."""
    wal = path.with_name(path.name + "-wal")
    live = wal.exists() and wal.stat().st_size > 0
    flags = "mode=ro" if live else "mode=ro&immutable=1"
    return sqlite3.connect(f"{path.resolve().as_uri()}?{flags}", uri=True, timeout=5.0)


def _unchanged(file: str, size: int, mtime_ns: int) -> bool:
    try:
        stat = os.stat(file)
    except OSError:
        return False
    return stat.st_size == size and stat.st_mtime_ns == mtime_ns


def embedded_vectors(
    settings: Settings, encoder: Encoder, root: str, files: list[str], progress: bool = True
) -> Vectors:
    """Embed ``files`` (all under ``root``) into a throwaway library, then delete it."""
    from soundscout.search.service import SearchService

    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="soundscout-eval-"))
    try:
        farm, links = tmp / "files", {}
        for file in files:
            link = farm / os.path.relpath(file, root)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(file)
            links[str(link)] = file
        library = settings.library.model_copy(update={"path": tmp / "library"})
        ingest = settings.ingest.model_copy(update={"follow_symlinks": True})
        chosen = settings.encoder.model_copy(update={"name": encoder.name, "weights": None})
        throwaway = settings.model_copy(
            update={"library": library, "ingest": ingest, "encoder": chosen}
        )
        service = SearchService(throwaway, encoder=encoder)
        try:
            service.index_folder(farm, progress=progress)
            rows = service.catalog.rows_under(str(farm))
            done = {row.id: links[p] for p, row in rows.items() if row.status == "done"}
            stored = service.catalog.embeddings(done)
            failed = {links[p]: str(r.error) for p, r in rows.items() if r.status == "failed"}
        finally:
            service.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    vectors = {done[i]: v for i, v in stored.items()}
    for file in set(files) - set(vectors) - set(failed):
        failed[file] = "not embedded (not an audio file the library indexes)"
    return Vectors(vectors, failed, "embedded", time.perf_counter() - started)


def mfcc_vectors(files: list[str], max_seconds: float | None, progress: bool = True) -> Vectors:
    """The raw MFCC statistics of each file (decoded as ingest decodes, first
    ``max_seconds``); :func:`soundscout.evaluation.mfcc.standardise` makes vectors of them."""
    started = time.perf_counter()
    from soundscout.audio.decode import load_audio

    rate = mfcc.sample_rate()
    vectors, failed = {}, {}
    with mfcc.one_thread():
        for file in tqdm(files, desc="mfcc", unit="file", disable=not progress):
            try:
                wave = load_audio(file, rate, max_seconds=max_seconds)
            except DecodeError as exc:
                failed[file] = exc.message
                continue
            vectors[file] = mfcc.mfcc_statistics(wave)
    return Vectors(vectors, failed, "computed", time.perf_counter() - started)
