"""Exporting a library's vectors for other tools: numpy, JSON and a bare FAISS index."""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import faiss
import numpy as np

from soundscout.catalog import segments as segdb
from soundscout.catalog.catalog import Catalog
from soundscout.encoders.base import l2_normalize
from soundscout.errors import EmptyLibraryError, LibraryError

log = logging.getLogger(__name__)


#: What an export writes; other files in the folder are left alone.
EXPORT_FILES = ("embeddings.npy", "paths.json", "index.faiss", "segments.npy", "segments.json")


def export_vectors(catalog: Catalog, encoder_version: str, out_dir: Path) -> dict[str, int]:
    """Write ``embeddings.npy``, ``paths.json`` and ``index.faiss`` (row i = path i), and
    the segments of long sounds: ``segments.npy`` (one row per segment) and
    ``segments.json`` (row i: ``[path index, start, end]``)."""
    parts = list(catalog.iter_embeddings(encoder_version))
    if not parts:
        raise EmptyLibraryError("Nothing to export: no sounds are indexed yet.")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LibraryError(
            f"Cannot export into {out_dir}: {exc.strerror or exc}.",
            hint="Give a folder that can be created or an existing folder, not a file.",
        ) from exc
    blocked = [name for name in EXPORT_FILES if (out_dir / name).is_dir()]
    if blocked:
        raise LibraryError(
            f"Cannot export into {out_dir}: {blocked[0]} there is a folder.",
            hint="Move it away, or export into another folder.",
        )
    earlier = [name for name in EXPORT_FILES if (out_dir / name).exists()]
    if earlier:
        log.info("replacing %s in %s", ", ".join(earlier), out_dir)
    # written beside, then moved into place: a failure leaves the earlier export whole
    try:
        staging = Path(tempfile.mkdtemp(prefix=".soundscout-export-", dir=out_dir))
    except OSError as exc:
        raise LibraryError(
            f"Cannot export into {out_dir}: {exc.strerror or exc}.",
            hint="Give a folder you may write in.",
        ) from exc
    try:
        counts = _write_export(catalog, encoder_version, parts, staging)
        for name in EXPORT_FILES:
            os.replace(staging / name, out_dir / name)
    except (OSError, RuntimeError) as exc:  # faiss reports a failed write as RuntimeError
        raise LibraryError(
            f"Cannot export into {out_dir}: {getattr(exc, 'strerror', None) or exc}.",
            hint="Free some space or fix the folder's permissions, and export again.",
        ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return counts


def _write_export(
    catalog: Catalog, encoder_version: str, parts: list, out_dir: Path
) -> dict[str, int]:
    """Write every file of :data:`EXPORT_FILES` into ``out_dir``."""
    ids = np.concatenate([p[0] for p in parts])
    vectors = l2_normalize(np.concatenate([p[1] for p in parts]))
    rows = catalog.get_many(ids)
    np.save(out_dir / "embeddings.npy", vectors)
    (out_dir / "paths.json").write_text(json.dumps([rows[int(i)].path for i in ids], indent=1))
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    faiss.write_index(flat, str(out_dir / "index.faiss"))
    segments = _export_segments(catalog, encoder_version, ids, out_dir, vectors.shape[1])
    return {"count": len(ids), "dim": int(vectors.shape[1]), "segments": segments}


def _export_segments(
    catalog: Catalog, encoder_version: str, ids: np.ndarray, out_dir: Path, dim: int
) -> int:
    """Write the segments of the exported sounds (an empty table when there are none)."""
    row_of = {int(sound_id): row for row, sound_id in enumerate(ids)}
    with catalog.reading() as conn:
        ranges = segdb.segment_ranges(conn, encoder_version)
    vectors, table = [], []
    for _, _, sound_id in ranges:
        if int(sound_id) not in row_of:
            continue
        with catalog.reading() as conn:
            found = segdb.read_segments(conn, int(sound_id), dim)
        if found is None:
            continue
        vectors.append(found.vectors)
        row = row_of[int(sound_id)]
        table += [[row, round(float(a), 3), round(float(b), 3)] for a, b in found.times]
    stacked = np.concatenate(vectors) if vectors else np.zeros((0, dim), np.float32)
    np.save(out_dir / "segments.npy", stacked.astype(np.float32))
    (out_dir / "segments.json").write_text(json.dumps(table))
    return len(table)
