"""Exporting a library's vectors for other tools: numpy, JSON and a bare FAISS index."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import faiss
import numpy as np

from soundscout.catalog.catalog import Catalog
from soundscout.encoders.base import l2_normalize
from soundscout.errors import EmptyLibraryError, LibraryError

log = logging.getLogger(__name__)


#: What an export writes; other files in the folder are left alone.
EXPORT_FILES = ("embeddings.npy", "paths.json", "index.faiss")


def export_vectors(catalog: Catalog, encoder_version: str, out_dir: Path) -> dict[str, int]:
    """Write ``embeddings.npy``, ``paths.json`` and ``index.faiss`` (row i = path i)."""
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
    earlier = [name for name in EXPORT_FILES if (out_dir / name).exists()]
    if earlier:
        log.info("replacing %s in %s", ", ".join(earlier), out_dir)
    ids = np.concatenate([p[0] for p in parts])
    vectors = l2_normalize(np.concatenate([p[1] for p in parts]))
    rows = catalog.get_many(ids)
    np.save(out_dir / "embeddings.npy", vectors)
    (out_dir / "paths.json").write_text(json.dumps([rows[int(i)].path for i in ids], indent=1))
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    faiss.write_index(flat, str(out_dir / "index.faiss"))
    return {"count": len(ids), "dim": int(vectors.shape[1])}
