"""A small FAISS wrapper: inner product on L2-normalised vectors, catalog ids as FAISS ids.

Exact (flat) search by default; an IVF index above a size threshold. Saved into
generation folders with a ``CURRENT`` pointer so that a reader in another process
never sees a half-written index.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from soundscout.index.manifest import Manifest

INDEX_FILE = "index.faiss"
CURRENT_FILE = "CURRENT"


@dataclass(frozen=True)
class IndexParams:
    """How to build an index: when to switch to IVF and with what settings."""

    ann_threshold: int = 200000
    ivf_nlist: int | None = None
    ivf_nprobe: int = 32


class VectorIndex:
    """Vectors keyed by catalog id."""

    def __init__(self, index: faiss.Index, index_type: str, params: dict[str, int]) -> None:
        self._index = index
        self.index_type = index_type
        self.params = params

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return int(self._index.d)

    @property
    def count(self) -> int:
        """Number of vectors held."""
        return int(self._index.ntotal)

    @classmethod
    def empty(cls, dim: int) -> VectorIndex:
        """An exact index with nothing in it."""
        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dim)), "flat", {})

    @classmethod
    def build(
        cls, dim: int, ids: np.ndarray, vectors: np.ndarray, params: IndexParams | None = None
    ) -> VectorIndex:
        """Build exact or IVF, by size, from all vectors at once."""
        params = params or IndexParams()
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dim)
        if len(ids) < params.ann_threshold:
            index = cls.empty(dim)
        else:
            nlist = params.ivf_nlist or int(4 * math.sqrt(len(ids)))
            nlist = max(16, min(65536, nlist, len(ids) // 39 or 16))
            quantizer = faiss.IndexFlatIP(dim)
            ivf = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
            rng = np.random.default_rng(0)
            sample = vectors[rng.choice(len(vectors), min(len(vectors), nlist * 64), False)]
            ivf.train(sample)
            ivf.nprobe = params.ivf_nprobe
            ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
            index = cls(ivf, "ivf", {"nlist": nlist, "nprobe": params.ivf_nprobe})
        index.add(ids, vectors)
        return index

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add (or replace) vectors under these ids."""
        if len(ids) == 0:
            return
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        self.remove(ids)
        self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)

    def remove(self, ids: np.ndarray) -> int:
        """Remove these ids where present; return how many were removed."""
        if len(ids) == 0:
            return 0
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if self.index_type == "ivf":  # the IVF direct map only removes by array
            return int(self._index.remove_ids(faiss.IDSelectorArray(len(ids), faiss.swig_ptr(ids))))
        return int(self._index.remove_ids(faiss.IDSelectorBatch(ids)))

    def search(
        self, queries: np.ndarray, k: int, allowed_ids: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) per query row; ``allowed_ids`` restricts the candidates.

        Missing slots (fewer than k candidates) have id -1.
        """
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dim)
        k = max(1, min(k, max(self.count, 1)))
        if allowed_ids is None:
            if self.index_type == "ivf":
                params = faiss.SearchParametersIVF(nprobe=self.params["nprobe"])
                return self._index.search(queries, k, params=params)
            return self._index.search(queries, k)
        selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed_ids, dtype=np.int64))
        if self.index_type == "ivf":
            # A sparse selection leaves few candidates per list: probe more lists.
            fraction = max(len(allowed_ids) / max(self.count, 1), 1e-6)
            nprobe = min(self.params["nlist"], int(self.params["nprobe"] / math.sqrt(fraction)))
            params = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
        else:
            params = faiss.SearchParameters(sel=selector)
        return self._index.search(queries, k, params=params)

    def reconstruct(self, sound_id: int) -> np.ndarray:
        """The stored vector of one id."""
        return self._index.reconstruct(int(sound_id))

    # -- persistence -----------------------------------------------------------
    def save(self, folder: Path, manifest: Manifest) -> Path:
        """Write a new generation under ``folder`` and point CURRENT at it atomically."""
        folder.mkdir(parents=True, exist_ok=True)
        generation = Path(tempfile.mkdtemp(prefix="gen-", dir=folder))
        try:
            faiss.write_index(self._index, str(generation / INDEX_FILE))
            manifest.save(generation)
            _fsync_dir(generation)
            pointer = folder / (CURRENT_FILE + ".tmp")
            pointer.write_text(generation.name + "\n")
            os.replace(pointer, folder / CURRENT_FILE)
            _fsync_dir(folder)
        except BaseException:
            shutil.rmtree(generation, ignore_errors=True)
            raise
        _remove_old_generations(folder, keep={generation.name})
        return generation

    @classmethod
    def load(cls, folder: Path) -> tuple[VectorIndex, Manifest] | None:
        """Load the current generation, or None when nothing was saved yet."""
        pointer = folder / CURRENT_FILE
        if not pointer.exists():
            return None
        generation = folder / pointer.read_text().strip()
        manifest = Manifest.load(generation)
        index = faiss.read_index(str(generation / INDEX_FILE))
        return cls(index, manifest.index_type, dict(manifest.params)), manifest

    @staticmethod
    def saved_manifest(folder: Path) -> Manifest | None:
        """The manifest of the current generation without loading the vectors."""
        pointer = folder / CURRENT_FILE
        if not pointer.exists():
            return None
        return Manifest.load(folder / pointer.read_text().strip())

    def write_plain(self, path: Path) -> None:
        """Write the bare FAISS index (for exports)."""
        faiss.write_index(self._index, str(path))


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_old_generations(folder: Path, keep: set[str]) -> None:
    """Drop all but the newest two generations (a reader may still be opening the previous)."""
    generations = sorted(
        (p for p in folder.glob("gen-*") if p.is_dir() and p.name not in keep),
        key=lambda p: p.stat().st_mtime,
    )
    for old in generations[:-1]:
        shutil.rmtree(old, ignore_errors=True)
