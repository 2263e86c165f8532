"""The search service: the one core object that the CLI, the API and the tests use.

It owns the catalog, the encoder (created lazily) and the vector index, which it
keeps in step with the catalog's revision.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from soundscout.catalog.catalog import CATALOG_FILENAME, Catalog, SoundRow
from soundscout.catalog.db import peek, read_only_folder
from soundscout.config import Settings
from soundscout.encoders.base import Encoder, l2_normalize
from soundscout.encoders.registry import create_encoder, encoder_of_version
from soundscout.errors import (
    EmptyLibraryError,
    InvalidQueryError,
    LibraryError,
    NotFoundError,
)
from soundscout.index.faiss_index import IndexParams, VectorIndex
from soundscout.index.keeper import IndexKeeper
from soundscout.ingest.ray_engine import EncoderSpec, RayOptions
from soundscout.ingest.runner import IngestReport, run_ingest
from soundscout.search.export import export_vectors
from soundscout.search.files import served_file
from soundscout.search.query import Filters, SearchHit, check_alpha, check_k, valid_id
from soundscout.search.reference import Reference, ReferenceResolver, Region

log = logging.getLogger(__name__)

INDEX_DIRNAME = "index"
WRITE_LOCK_FILENAME = "write.lock"
_TEXT_CACHE_SIZE = 256


@dataclass(frozen=True)
class SearchResult:
    """Hits plus a description of the query that produced them."""

    hits: list[SearchHit]
    mode: str  # "text", "audio" or "hybrid"
    alpha: float | None
    took_ms: float


def indexed_encoder(library_dir: Path) -> str | None:
    """The encoder a library was indexed with: its saved index's, else the one most of its
    catalogued vectors come from (an index folder lost, a first run killed before saving);
    None for a new library."""
    manifest = VectorIndex.saved_manifest(library_dir / INDEX_DIRNAME)
    if manifest is not None:
        return manifest.encoder_name
    rows = peek(
        library_dir / CATALOG_FILENAME,
        "SELECT encoder_version FROM sounds WHERE encoder_version IS NOT NULL "
        "GROUP BY encoder_version ORDER BY COUNT(*) DESC LIMIT 1",
    )
    return encoder_of_version(str(rows[0][0])) if rows else None


class SearchService:
    """Catalog + encoder + index; see the module docstring."""

    def __init__(self, settings: Settings, encoder: Encoder | None = None) -> None:
        self.settings = settings
        self.library_dir = settings.library_path
        self.index_dir = self.library_dir / INDEX_DIRNAME
        self.catalog = Catalog(self.library_dir)
        self._encoder = encoder
        self._lock = threading.RLock()
        self._keeper = IndexKeeper(
            self.catalog, lambda: self.encoder, self.index_dir, self.index_params
        )
        self._text_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._sample: tuple[tuple[int, str], np.ndarray] | None = None  # for hybrid scaling

    def close(self) -> None:
        """Release the catalog connection."""
        self.catalog.close()

    # -- parts -----------------------------------------------------------------
    @property
    def encoder(self) -> Encoder:
        """The configured encoder, created on first use."""
        with self._lock:
            if self._encoder is None:
                cfg = self.settings.encoder
                self._encoder = create_encoder(cfg.name, device=cfg.device, weights=cfg.weights)
            return self._encoder

    @property
    def index_params(self) -> IndexParams:
        """Exact/ANN switch and IVF parameters from the settings."""
        cfg = self.settings.index
        return IndexParams(
            cfg.ann_threshold, cfg.ivf_nlist, cfg.ivf_nprobe, cfg.ivf_storage, cfg.ivf_target_recall
        )

    # -- ingest and index maintenance ----------------------------------------------
    def index_folder(
        self,
        root: Path,
        progress: bool = True,
        engine: str = "local",
        ray: RayOptions | None = None,
    ) -> IngestReport:
        """Scan, embed and catalogue a folder, then bring the index up to date and save it.

        ``engine="ray"`` embeds on the Ray cluster that ``ray`` names (default: a local
        instance); every actor creates the configured encoder. The bookkeeping is the same.
        """
        cfg = self.settings.encoder
        with self._writing():
            report = run_ingest(
                self.catalog,
                self.encoder,
                root,
                self.settings.ingest,
                batch_size=cfg.batch_size,
                progress=progress,
                engine=engine,
                ray=(ray or RayOptions()).with_encoder(EncoderSpec.from_settings(cfg)),
            )
            self.sync_index(save=True)
        return report

    def sounds_under(self, folder: Path) -> list[int]:
        """Ids of the catalogued sounds under ``folder`` (which may no longer exist)."""
        root = os.path.abspath(os.path.expanduser(str(folder)))
        return [row.id for row in self.catalog.rows_under(root).values()]

    def forget_folder(self, folder: Path) -> int:
        """Drop every sound under ``folder`` from the catalog and the index; the files on
        disk are not touched. Returns how many were dropped."""
        with self._writing():
            ids = self.sounds_under(folder)
            if ids:
                self.catalog.delete(ids)
                self.sync_index(save=True)
        return len(ids)

    def rebuild(self) -> VectorIndex:
        """Rebuild the index from the catalog from scratch and save it."""
        with self._writing():
            return self._keeper.rebuild()

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold the library's write lock: one indexing, rebuild or forget at a time.

        Searches and the server do not take it. The lock goes with the process, so a
        killed run never leaves the library locked.
        """
        if read_only_folder(self.library_dir):
            raise LibraryError(
                f"The library at {self.library_dir} is read-only: it can be searched and "
                "served, not changed.",
                hint="Index, rebuild or forget where the library folder is writable, or "
                "point --library at a writable copy.",
            )
        lock = FileLock(self.library_dir / WRITE_LOCK_FILENAME)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise LibraryError(
                f"Another soundscout process is changing the library at {self.library_dir} "
                "(indexing, rebuilding or forgetting).",
                hint="Wait for it to finish, then run the command again; searching and "
                "serving keep working meanwhile.",
            ) from None
        try:
            yield
        finally:
            lock.release()

    def sync_index(self, save: bool = False) -> VectorIndex:
        """The index, up to date with the catalog (loading, catching up or rebuilding)."""
        return self._keeper.sync(save=save)

    # -- queries ---------------------------------------------------------------
    def _library_sample(self) -> np.ndarray:
        """Up to 1,024 of the library's vectors, re-read when the catalog changes."""
        key = (self.catalog.revision, self.encoder.version)
        with self._lock:
            if self._sample is None or self._sample[0] != key:
                self._sample = (key, self.catalog.sample_embeddings(self.encoder.version))
            return self._sample[1]

    def embed_text(self, text: str) -> np.ndarray:
        """The (cached) vector of a text query."""
        with self._lock:
            if text in self._text_cache:
                self._text_cache.move_to_end(text)
                return self._text_cache[text]
        vector = self.encoder.encode_text(text)
        with self._lock:
            self._text_cache[text] = vector
            while len(self._text_cache) > _TEXT_CACHE_SIZE:
                self._text_cache.popitem(last=False)
        return vector

    def search(
        self,
        *,
        text: str | None = None,
        sound_id: int | None = None,
        audio_path: str | Path | None = None,
        audio_bytes: bytes | None = None,
        region: Region | None = None,
        alpha: float | None = None,
        k: int | None = None,
        filters: Filters | None = None,
    ) -> SearchResult:
        """Text, audio or hybrid search.

        Args:
            text: a description of the sound wanted.
            sound_id / audio_path / audio_bytes: the reference sound (at most one).
            region: only this time range of the reference sound.
            alpha: hybrid weight of the reference sound, in [0, 1].
            k: number of results.
            filters: duration, format, folder and sample-rate restrictions.
        """
        started = time.perf_counter()
        text = text.strip() if text else None
        sources = [s for s in (sound_id, audio_path, audio_bytes) if s is not None]
        if len(sources) > 1:
            raise InvalidQueryError("Give at most one reference sound (id, file or upload).")
        if not text and not sources:
            raise InvalidQueryError("Give a text query, a reference sound, or both.")
        k = check_k(self.settings.search.default_k if k is None else k, self.settings.search.max_k)
        if alpha is not None:
            alpha = check_alpha(alpha)
        index = self.sync_index()
        if index.count == 0:
            raise EmptyLibraryError("No sounds are indexed yet.")
        if region is not None and not sources:
            raise InvalidQueryError("A region (start/end) needs a reference sound.")
        audio_vec, exclude = None, frozenset[int]()
        if sources:
            reference = self._resolve(sound_id, audio_path, audio_bytes, region)
            audio_vec, exclude = reference.vector, reference.exclude
        text_vec = self.embed_text(text) if text else None
        query, mode, alpha = _combine(
            audio_vec, text_vec, alpha, self.settings.search.default_alpha, self._library_sample
        )
        allowed = None
        if filters is not None and filters.active:
            allowed = self.catalog.filter_ids(filters)
            if len(allowed) == 0:
                return SearchResult([], mode, alpha, _ms(started))
        scores, ids = index.search(query[None, :], k + len(exclude), allowed_ids=allowed)
        hits = self._hits(ids[0], scores[0], exclude, k)
        return SearchResult(hits, mode, alpha, _ms(started))

    def _resolve(
        self,
        sound_id: int | None,
        audio_path: str | Path | None,
        audio_bytes: bytes | None,
        region: Region | None,
    ) -> Reference:
        resolver = ReferenceResolver(self.catalog, self.encoder, self.settings)
        if sound_id is not None:
            return resolver.by_id(sound_id, region)
        if audio_path is not None:
            return resolver.by_path(audio_path, region)
        assert audio_bytes is not None
        return resolver.by_bytes(audio_bytes, region)

    def _hits(
        self, ids: np.ndarray, scores: np.ndarray, exclude: frozenset[int], k: int
    ) -> list[SearchHit]:
        wanted = [
            (int(i), float(s))
            for i, s in zip(ids, scores, strict=True)
            if i >= 0 and int(i) not in exclude
        ][:k]
        rows = self.catalog.get_many(i for i, _ in wanted)
        return [_hit(rows[i], s) for i, s in wanted if i in rows]

    # -- information -------------------------------------------------------------
    def sound(self, sound_id: int) -> SoundRow:
        """The catalog row of one sound."""
        row = self.catalog.get(sound_id) if valid_id(sound_id) else None
        if row is None:
            raise NotFoundError(f"No sound with id {sound_id}.")
        return row

    def audio_file(self, sound_id: int) -> Path:
        """The file of an indexed sound, for streaming, if it is still what was indexed."""
        return served_file(self.sound(sound_id))

    def failures(self, limit: int = 50) -> list[SoundRow]:
        """Failed sounds with their reasons, most recent first."""
        return self.catalog.failures(limit=limit)

    def stats(self) -> dict[str, object]:
        """Library state: counts, encoder, index."""
        counts = self.catalog.counts()
        manifest = VectorIndex.saved_manifest(self.index_dir)
        return {
            "library": str(self.library_dir),
            "roots": self.catalog.roots(),
            "sounds": counts,
            "catalog_revision": self.catalog.revision,
            "encoder": {
                "name": self.settings.encoder.name,
                **(
                    {"version": self._encoder.version, "dim": self._encoder.dim}
                    if self._encoder is not None
                    else {}
                ),
            },
            "index": None
            if manifest is None
            else {
                "type": manifest.index_type,
                "count": manifest.count,
                "catalog_revision": manifest.catalog_revision,
                "params": manifest.params,
                "encoder": manifest.encoder_name,
                "encoder_version": manifest.encoder_version,
                "dim": manifest.dim,
                "stale": manifest.catalog_revision != self.catalog.revision,
            },
        }

    def export(self, out_dir: Path) -> dict[str, int]:
        """Write ``embeddings.npy``, ``paths.json`` and ``index.faiss`` (row i = path i)."""
        self._keeper.check_encoder()
        return export_vectors(self.catalog, self.encoder.version, out_dir)


def _on_one_scale(
    audio_vec: np.ndarray, text_vec: np.ndarray, sample: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each query vector divided by the spread of its scores over library sounds.

    Sound-to-sound similarities spread far wider than text-to-sound ones (builtin: about
    0.15 against 0.03), so a plain mix lets the sound decide at any alpha short of the
    text end. Scaled, alpha 0.5 weighs both equally.
    """
    if sample.shape[0] < 8 or sample.shape[1] != audio_vec.shape[0]:
        return audio_vec, text_vec  # too few sounds to measure a spread
    spreads = [float(np.std(sample @ v)) for v in (audio_vec, text_vec)]
    if min(spreads) < 1e-6:
        return audio_vec, text_vec
    return audio_vec / spreads[0], text_vec / spreads[1]


def _combine(
    audio_vec: np.ndarray | None,
    text_vec: np.ndarray | None,
    alpha: float | None,
    default_alpha: float,
    sample: Callable[[], np.ndarray],
) -> tuple[np.ndarray, str, float | None]:
    if audio_vec is not None and text_vec is not None:
        weight = default_alpha if alpha is None else alpha
        audio_part, text_part = _on_one_scale(audio_vec, text_vec, sample())
        return l2_normalize(weight * audio_part + (1 - weight) * text_part), "hybrid", weight
    if audio_vec is not None:
        return l2_normalize(audio_vec), "audio", None
    assert text_vec is not None
    return l2_normalize(text_vec), "text", None


def _hit(row: SoundRow, score: float) -> SearchHit:
    return SearchHit(
        row.id, row.path, row.root, score, row.duration, row.format, row.sample_rate, row.channels
    )


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
