"""Keep a vector index in step with the catalog: load it, catch it up, rebuild and save it.

The catalog is the source of truth; each saved index records the catalog revision it was
built at, and every change since then can be read back from the catalog. Two indexes are
kept this way: the sounds' vectors (:class:`SoundVectors`) and the segments' of long
sounds (:class:`SegmentVectors`, for moments).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import faiss
import numpy as np

from soundscout.catalog import segments as segdb
from soundscout.catalog.catalog import Catalog
from soundscout.encoders.base import Encoder
from soundscout.encoders.registry import encoders_making
from soundscout.errors import IndexMismatchError, LibraryError
from soundscout.index.faiss_index import IndexParams, VectorIndex
from soundscout.index.manifest import Manifest

log = logging.getLogger(__name__)


class VectorSource(Protocol):
    """Where an index's vectors come from in the catalog."""

    def stale_ids(self, since: int) -> np.ndarray:
        """Ids changed or removed after revision ``since`` (removed from the index first)."""

    def vectors(
        self, encoder_version: str, min_rev: int = -1
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(ids, vectors) in chunks, of what changed after ``min_rev``."""


class SoundVectors:
    """One vector per sound, keyed by sound id."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def stale_ids(self, since: int) -> np.ndarray:
        """Sounds changed or removed after ``since``."""
        return np.concatenate(self.catalog.changes_since(since))

    def vectors(
        self, encoder_version: str, min_rev: int = -1
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The sounds' vectors."""
        return self.catalog.iter_embeddings(encoder_version, min_rev=min_rev)


class SegmentVectors:
    """The segment vectors of long sounds, keyed by segment id."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def stale_ids(self, since: int) -> np.ndarray:
        """Segments dropped after ``since`` (their sounds' new ones have new ids)."""
        with self.catalog.reading() as conn:
            return segdb.removed_segment_ids(conn, since)

    def vectors(
        self, encoder_version: str, min_rev: int = -1
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The segments' vectors."""
        return segdb.iter_segment_vectors(self.catalog, encoder_version, min_rev=min_rev)


class IndexKeeper:
    """The index of one library for one encoder, up to date on demand."""

    def __init__(
        self,
        catalog: Catalog,
        encoder: Callable[[], Encoder],
        index_dir: Path,
        params: IndexParams,
        source: VectorSource | None = None,
    ) -> None:
        self.catalog, self.index_dir, self.params = catalog, index_dir, params
        self.source = source or SoundVectors(catalog)
        self._encoder = encoder  # called lazily: creating a model is expensive
        self._index: VectorIndex | None = None
        self._revision = -1
        self._lock = threading.RLock()

    def sync(self, save: bool = False) -> VectorIndex:
        """The index, up to date with the catalog (loading, catching up or rebuilding).

        With ``save`` the result is written (the ingest side); without it an update is
        made on a copy and swapped in, so concurrent searches keep a consistent index.
        """
        with self._lock:
            revision = self.catalog.revision
            if self._index is not None and self._revision == revision:
                return self._index
            self.check_encoder()
            if self._index is None:
                self._load_saved()
            if self._index is not None and self._revision == revision:
                return self._index
            if self._index is not None and self._revision <= revision:
                index = self._catch_up(self._index, self._revision, copy=not save)
            else:
                index, revision = self._build()
            self._set(index, revision, save=save)
            return index

    def rebuild(self) -> VectorIndex:
        """Rebuild from the catalog from scratch and save (refused for another encoder)."""
        with self._lock:
            self.check_encoder()
            index, revision = self._build()
            self._set(index, revision, save=True)
            return index

    def check_encoder(self) -> None:
        """Refuse an encoder other than the one the catalogued vectors come from."""
        versions = self.catalog.encoder_versions()
        encoder = self._encoder()
        if versions and encoder.version not in versions:
            others = ", ".join(sorted(versions))
            names = {n for v in versions for n in encoders_making(v)}
            built_with = sorted(names - {encoder.name})
            keep = (
                f"set encoder.name to {' or '.join(built_with)} "
                f"(e.g. SOUNDSCOUT_ENCODER__NAME={built_with[0]})"
                if built_with
                else "configure the encoder it was built with"
            )
            raise IndexMismatchError(
                f"The library was embedded with {others}, not with the configured encoder "
                f"{encoder.name} ({encoder.version}).",
                hint=f"Run `soundscout index PATH --encoder {encoder.name}` to re-embed "
                f"the library, or {keep} to search it as it is.",
            )

    def _load_saved(self) -> None:
        manifest = VectorIndex.saved_manifest(self.index_dir)
        if manifest is None:
            return
        encoder = self._encoder()
        built_for = (manifest.encoder_name, manifest.encoder_version, manifest.dim)
        if built_for != (encoder.name, encoder.version, encoder.dim):
            # The catalog holds this encoder's vectors (checked first): the saved index is
            # left over from the encoder the library used before, so build a new one.
            log.info(
                "the saved index is for %s (%s); building one for %s (%s)",
                manifest.encoder_name,
                manifest.encoder_version,
                encoder.name,
                encoder.version,
            )
            return
        manifest.check_compatible(encoder.name, encoder.version, encoder.dim)
        loaded = VectorIndex.load(self.index_dir)
        if loaded is not None:
            self._index, self._revision = loaded[0], loaded[1].catalog_revision

    def _catch_up(self, index: VectorIndex, since: int, copy: bool) -> VectorIndex:
        if copy:  # readers may be searching the current object; update a copy and swap
            index = VectorIndex(
                faiss.clone_index(index._index), index.index_type, dict(index.params)
            )
        index.remove(self.source.stale_ids(since))
        for ids, vectors in self.source.vectors(self._encoder().version, min_rev=since):
            index.add(ids, vectors)
        grown_flat = not index.is_ivf and index.count >= self.params.ann_threshold
        # IVF lists trained on far fewer vectors than the index now holds lose recall.
        outgrown_ivf = index.is_ivf and index.count > 4 * index.params.get(
            "train_count", index.count
        )
        if grown_flat or outgrown_ivf:
            return self._build()[0]
        return index

    def _build(self) -> tuple[VectorIndex, int]:
        revision = self.catalog.revision
        encoder = self._encoder()
        parts = list(self.source.vectors(encoder.version))  # as stored (segments: float16)
        dim = encoder.dim
        count = sum(len(p[0]) for p in parts)
        ids, vectors = np.empty(count, np.int64), np.empty((count, dim), np.float32)
        at = 0
        while parts:  # each part is let go once copied: float32 is held once, not twice
            part_ids, part_vectors = parts.pop(0)
            ids[at : at + len(part_ids)] = part_ids
            vectors[at : at + len(part_ids)] = part_vectors
            at += len(part_ids)
        return VectorIndex.build(dim, ids, vectors, self.params), revision

    def _set(self, index: VectorIndex, revision: int, save: bool) -> None:
        self._index, self._revision = index, revision
        if not save:
            return
        encoder = self._encoder()
        manifest = Manifest(
            encoder.name,
            encoder.version,
            encoder.dim,
            index.count,
            revision,
            index.index_type,
            dict(index.params),
        )
        try:
            index.save(self.index_dir, manifest)
        except (OSError, RuntimeError) as exc:  # faiss reports I/O errors as RuntimeError
            raise LibraryError(
                f"Cannot save the index in {self.index_dir}: {exc}",
                hint="Free disk space or fix permissions; the catalog is intact and "
                "`soundscout rebuild` recreates the index.",
            ) from exc
