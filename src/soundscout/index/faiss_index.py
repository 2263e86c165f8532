"""A small FAISS wrapper: inner product on L2-normalised vectors, catalog ids as FAISS ids.

Exact (flat) search for small libraries; above ``ann_threshold`` vectors an IVF index
whose lists hold float16 vectors and whose ``nprobe`` is tuned at build time to reach a
recall target on the library's own vectors. Both choices come from
``benchmarks/bench_scale.py`` (see BENCHMARKS.md), and the parameters an index was built
with are kept in its manifest. Saved into generation folders with a ``CURRENT`` pointer
so that a reader in another process never sees a half-written index.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from soundscout.index.manifest import Manifest

log = logging.getLogger(__name__)

INDEX_FILE = "index.faiss"
CURRENT_FILE = "CURRENT"


#: k-means on 40 vectors per list for 10 iterations: the recall of 64 per list and 25
#: iterations (benchmarks/bench_scale.py) at a seventh of the training time.
TRAIN_POINTS_PER_LIST = 40
TRAIN_ITERATIONS = 10
#: nprobe tuning: this many library vectors serve as queries; the candidates tried.
TUNE_QUERIES = 200
TUNE_NPROBES = (4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536)
TUNE_K = 10
#: How IVF lists store vectors: full float32, float16, or 8-bit scalar quantised.
IVF_STORAGE = {"flat": None, "fp16": "QT_fp16", "sq8": "QT_8bit"}


@dataclass(frozen=True)
class IndexParams:
    """How to build an index: when to switch to IVF and with what settings.

    Attributes:
        ann_threshold: libraries with fewer vectors get an exact index.
        ivf_nlist: IVF lists; None = 4 * sqrt(count), within [16, 65536] and at least 39
            vectors per list.
        ivf_nprobe: lists probed per query; None = tuned at build time: twice the
            smallest nprobe whose recall@10 reaches ``ivf_target_recall`` on a sample of
            the library's own vectors (the margin is for text queries, which lie further
            from the audio vectors than audio queries do).
        ivf_storage: how lists store vectors: ``fp16`` (half the memory of ``flat``, the
            same recall), ``flat`` (float32) or ``sq8`` (a quarter; recall capped near 0.99).
        ivf_target_recall: the recall@10 the nprobe tuning aims for.
    """

    ann_threshold: int = 20000
    ivf_nlist: int | None = None
    ivf_nprobe: int | None = None
    ivf_storage: str = "fp16"
    ivf_target_recall: float = 0.95


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
    def is_ivf(self) -> bool:
        """True for the inverted-file (ANN) index types."""
        return self.index_type.startswith("ivf")

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
            index.add(ids, vectors)
            return index
        return cls._build_ivf(dim, ids, vectors, params)

    @classmethod
    def _build_ivf(
        cls, dim: int, ids: np.ndarray, vectors: np.ndarray, params: IndexParams
    ) -> VectorIndex:
        nlist = params.ivf_nlist or int(4 * math.sqrt(len(ids)))
        nlist = max(16, min(65536, nlist, len(ids) // 39 or 16))
        ivf = _ivf(dim, nlist, params.ivf_storage)
        ivf.cp.niter = TRAIN_ITERATIONS
        ivf.cp.max_points_per_centroid = TRAIN_POINTS_PER_LIST
        rng = np.random.default_rng(0)
        size = min(len(vectors), nlist * TRAIN_POINTS_PER_LIST)
        ivf.train(vectors[np.sort(rng.choice(len(vectors), size, False))])
        ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
        kind = "ivf" if params.ivf_storage == "flat" else f"ivf_{params.ivf_storage}"
        index = cls(ivf, kind, {"nlist": nlist, "train_count": len(ids)})
        index.add(ids, vectors)
        if params.ivf_nprobe is not None:
            index.params["nprobe"] = min(nlist, params.ivf_nprobe)
        else:
            index.params.update(index._tune_nprobe(ids, vectors, params.ivf_target_recall))
        ivf.nprobe = index.params["nprobe"]
        return index

    def _tune_nprobe(self, ids: np.ndarray, vectors: np.ndarray, target: float) -> dict[str, int]:
        """Twice the smallest nprobe reaching ``target`` recall@10 on library vectors.

        Each sampled vector is a query whose exact neighbours (itself left out) come
        from a brute-force scan of all vectors.
        """
        nlist = self.params["nlist"]
        rng = np.random.default_rng(1)
        rows = np.sort(rng.choice(len(ids), min(len(ids), TUNE_QUERIES), replace=False))
        queries = vectors[rows]
        _, exact = faiss.knn(queries, vectors, TUNE_K + 1, metric=faiss.METRIC_INNER_PRODUCT)
        truth = _without_self(ids[exact], ids[rows])
        nprobe, recall = nlist, 1.0
        for candidate in (p for p in TUNE_NPROBES if p < nlist):
            found = self._index.search(
                queries, TUNE_K + 1, params=faiss.SearchParametersIVF(nprobe=candidate)
            )[1]
            recall = _recall(_without_self(found, ids[rows]), truth)
            if recall >= target:
                nprobe = candidate
                break
        chosen = min(nlist, 2 * nprobe)
        if nprobe == nlist or chosen > nlist // 8:
            log.warning(
                "IVF search probes %d of %d lists to reach recall %.2f: these vectors have "
                "little neighbourhood structure, so ANN saves little over exact search.",
                chosen,
                nlist,
                target,
            )
        return {"nprobe": chosen, "tuned_nprobe": nprobe, "tuned_recall_pct": round(100 * recall)}

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
        if self.is_ivf:  # the IVF direct map only removes by array
            return int(self._index.remove_ids(faiss.IDSelectorArray(len(ids), faiss.swig_ptr(ids))))
        return int(self._index.remove_ids(faiss.IDSelectorBatch(ids)))

    def search(
        self, queries: np.ndarray, k: int, allowed_ids: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) per query row; ``allowed_ids`` restricts the candidates.

        Missing slots (fewer than k candidates) have id -1. A single query runs on one
        OpenMP thread (in this thread only): FAISS does not split one query across
        threads, and idle spinning threads cost more than they give on a busy machine.
        """
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dim)
        k = max(1, min(k, max(self.count, 1)))
        with _one_thread_if(len(queries) == 1):
            if allowed_ids is None:
                return self._index.search(queries, k, params=self._search_params())
            allowed = np.ascontiguousarray(allowed_ids, dtype=np.int64)
            if len(allowed) == 0:
                return np.zeros((len(queries), k), "f4"), np.full((len(queries), k), -1)
            bitmap = _bitmap(allowed)  # must outlive the search
            selector = faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap))
            params = self._search_params(selector, len(allowed) / max(self.count, 1))
            return self._index.search(queries, k, params=params)

    def _search_params(
        self, selector: faiss.IDSelector | None = None, fraction: float = 1.0
    ) -> faiss.SearchParameters | None:
        """IVF: probe 1/fraction times more lists under a filter, so that as many allowed
        vectors are scanned as without one (in the filtered-search benchmark the only
        method keeping recall@10 >= 0.96 down to 1 % of the library); flat: the selector."""
        if not self.is_ivf:
            return faiss.SearchParameters(sel=selector) if selector is not None else None
        nprobe = self.params["nprobe"]
        if selector is not None:
            nprobe = math.ceil(nprobe / max(fraction, 1e-9))
        nprobe = min(self.params["nlist"], nprobe)
        if selector is None:
            return faiss.SearchParametersIVF(nprobe=nprobe)
        return faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)

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
        """Load the current generation, or None when nothing (readable) was saved.

        An unreadable save (a damaged file, a pointer to a missing generation) is logged
        and treated as none: the catalog is the source of truth and rebuilds it.
        """
        try:
            generation = _current_generation(folder)
            if generation is None:
                return None
            manifest = Manifest.load(generation)
            index = faiss.read_index(str(generation / INDEX_FILE))
        except _UNREADABLE as exc:
            _log_unreadable(folder, exc)
            return None
        return cls(index, manifest.index_type, dict(manifest.params)), manifest

    @staticmethod
    def saved_manifest(folder: Path) -> Manifest | None:
        """The manifest of the current generation without loading the vectors (None when
        nothing readable was saved)."""
        try:
            generation = _current_generation(folder)
            return Manifest.load(generation) if generation is not None else None
        except _UNREADABLE as exc:
            _log_unreadable(folder, exc)
            return None

    def write_plain(self, path: Path) -> None:
        """Write the bare FAISS index (for exports)."""
        faiss.write_index(self._index, str(path))


#: What reading a damaged save raises (faiss reports its own read errors as RuntimeError).
_UNREADABLE = (OSError, ValueError, TypeError, KeyError, RuntimeError)


def _current_generation(folder: Path) -> Path | None:
    pointer = folder / CURRENT_FILE
    if not pointer.exists():
        return None
    name = pointer.read_text().strip()
    if not name.startswith("gen-") or "/" in name or "\\" in name:
        raise ValueError(f"{pointer} names {name!r}, not a saved generation")
    return folder / name


def _log_unreadable(folder: Path, exc: Exception) -> None:
    log.warning(
        "the saved index in %s cannot be read (%s: %s); it is rebuilt from the catalog",
        folder,
        type(exc).__name__,
        exc,
    )


def _bitmap(ids: np.ndarray) -> np.ndarray:
    """A FAISS ``IDSelectorBitmap`` array: bit ``i`` (little-endian) set for each id ``i``."""
    bits = np.zeros(int(ids.max()) + 1, dtype=bool)
    bits[ids[ids >= 0]] = True
    return np.packbits(bits, bitorder="little")


@contextlib.contextmanager
def _one_thread_if(condition: bool) -> Iterator[None]:
    """Run FAISS on one OpenMP thread inside the block (the setting is per thread)."""
    if not condition or faiss.omp_get_max_threads() == 1:
        yield
        return
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(threads)


def _without_self(found: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Each row's ids minus the query's own id, cut to TUNE_K."""
    rows = zip(found, own, strict=True)
    return np.array([[i for i in row if i != me][:TUNE_K] for row, me in rows])


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    hits = sum(len(set(f[f >= 0]) & set(t[t >= 0])) for f, t in zip(found, truth, strict=True))
    return hits / max(1, int((truth >= 0).sum()))


def _ivf(dim: int, nlist: int, storage: str) -> faiss.IndexIVF:
    """An untrained inner-product IVF index storing vectors as ``storage``."""
    if storage not in IVF_STORAGE:
        raise ValueError(f"unknown IVF storage {storage!r}; choose from {sorted(IVF_STORAGE)}")
    quantizer = faiss.IndexFlatIP(dim)
    metric = faiss.METRIC_INNER_PRODUCT
    qtype_name = IVF_STORAGE[storage]
    if qtype_name is None:
        return faiss.IndexIVFFlat(quantizer, dim, nlist, metric)
    qtype = getattr(faiss.ScalarQuantizer, qtype_name)
    return faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, qtype, metric)


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
