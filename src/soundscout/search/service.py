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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from filelock import FileLock, Timeout

from soundscout.catalog import duplicates as dupes
from soundscout.catalog.catalog import CATALOG_FILENAME, Catalog, SoundRow
from soundscout.catalog.db import peek, read_only_folder
from soundscout.config import Settings
from soundscout.duplicates.collapse import collapse_copies, eligibility, fetch_size
from soundscout.duplicates.grouping import GroupingReport, update_groups
from soundscout.duplicates.rules import Rules
from soundscout.encoders.base import Encoder
from soundscout.encoders.registry import create_encoder, encoder_of_version
from soundscout.errors import (
    EmptyLibraryError,
    InvalidQueryError,
    LibraryError,
)
from soundscout.index.faiss_index import IndexParams, VectorIndex
from soundscout.index.keeper import IndexKeeper
from soundscout.search.blend import combine
from soundscout.search.crosslingual import knows_a_word
from soundscout.search.explain import QueryContext, explained_hits, library_spread, row_hit
from soundscout.search.export import export_vectors
from soundscout.search.files import served_file
from soundscout.search.fusion import reciprocal_rank_fusion
from soundscout.search.lexical import LexicalIndex, WordsQuery, nothing_to_find
from soundscout.search.library_state import library_stats, nothing_indexed
from soundscout.search.moments import Pattern, SegmentSearch, merge_best
from soundscout.search.notes import (
    no_match_note,
    no_words_note,
    reference_note,
    strength_note,
    unknown_words_note,
)
from soundscout.search.query import (
    Filters,
    SearchHit,
    check_alpha,
    check_k,
    check_match,
    no_such_sound,
    valid_id,
)
from soundscout.search.query_words import words_query
from soundscout.search.reference import Reference, ReferenceResolver, Region, absolute_path
from soundscout.search.relevance import UNKNOWN_WORDS_SCALE, band

if TYPE_CHECKING:  # ingest (decoders, worker pools) is imported only by the commands that index
    from soundscout.ingest.ray_engine import RayOptions
    from soundscout.ingest.runner import IngestReport

log = logging.getLogger(__name__)

INDEX_DIRNAME = "index"
SEGMENT_INDEX_DIRNAME = "segments"  # inside the index folder
WRITE_LOCK_FILENAME = "write.lock"
_TEXT_CACHE_SIZE = 256
#: How many times its first window the sound list is fetched again, at most, to make up
#: for what a search leaves out once fetched (silence, sounds holding a left-out word).
MAX_REFETCH = 16


@dataclass(frozen=True)
class SearchResult:
    """Hits plus a description of the query that produced them."""

    hits: list[SearchHit]
    mode: str  # "text", "audio", "hybrid", or "browse" (filters only, by path)
    alpha: float | None
    took_ms: float
    match: str = "sound"  # how the text was searched: "both", "words" or "sound"
    notes: tuple[str, ...] = ()  # things the user should know about this answer


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
        self.segments = SegmentSearch(
            self.catalog,
            lambda: self.encoder,
            self.index_dir / SEGMENT_INDEX_DIRNAME,
            self.index_params,
        )
        self._text_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._sample: tuple[tuple[int, str], np.ndarray] | None = None  # for hybrid scaling
        self.lexical = LexicalIndex(self.catalog)

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
        from soundscout.ingest.ray_engine import EncoderSpec, RayOptions
        from soundscout.ingest.runner import run_ingest

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
                finish=self._after_changes,
                moments=self.settings.moments,
            )
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
                self._after_changes()
        return len(ids)

    def rebuild(self) -> VectorIndex:
        """Rebuild the sound and segment indexes from the catalog from scratch and save them."""
        with self._writing():
            self.segments.keeper.rebuild()
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

    def _after_changes(self) -> None:
        """Save the indexes caught up with the catalog, then update the duplicate groups."""
        self.sync_index(save=True)
        self.segments.sync(save=True)
        self._update_duplicates()

    def update_duplicates(self) -> GroupingReport:
        """Bring the duplicate groups up to date with the catalog (write lock held)."""
        with self._writing():
            return self._update_duplicates()

    def _update_duplicates(self) -> GroupingReport:
        rules = Rules.from_settings(self.settings, self.encoder.name)
        return update_groups(self.catalog, self.sync_index(), self.encoder.version, rules)

    def warm_up(self) -> None:
        """Load the encoder's text and audio sides, the decoders, and what a search reads
        (words index pages, the library sample) now: the server does this at start-up so
        that its first search is as fast as the next."""
        import soundscout.audio.decode  # noqa: F401 (uploads and reference files)

        encoder = self.encoder
        if self.catalog.has_indexed():  # one search reads the words index and the sample too
            self.search(text="a sound", k=1)
        else:
            encoder.encode_text("a sound")
        encoder.encode_audio(np.zeros(encoder.sample_rate, dtype=np.float32))  # text first

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
        match: str | None = None,
        collapse: bool = False,
        moments: bool = False,
    ) -> SearchResult:
        """Text, audio or hybrid search.

        Args:
            text: a description of the sound wanted (words, "quoted phrases", prefix*,
                -left-out terms).
            sound_id / audio_path / audio_bytes: the reference sound (at most one).
            region: only this time range of the reference sound.
            alpha: hybrid weight of the reference sound, in [0, 1].
            k: number of results.
            filters: duration, format, folder, sample-rate and category restrictions;
                given alone, the first ``k`` sounds passing them, by path ("browse").
            match: how the text is searched: ``both`` (sound and words, fused),
                ``words`` or ``sound``; default ``search.match``.
            collapse: one result per recording, its best copy (``SearchHit.copies``
                says how many it hides; see :mod:`soundscout.duplicates.collapse`).
            moments: search inside long sounds too (their segments), and say where each
                matches (``SearchHit.moments``; see :mod:`soundscout.search.moments`).
        """
        started = time.perf_counter()
        text = text.strip() if text else None
        sources = [s for s in (sound_id, audio_path, audio_bytes) if s is not None]
        if len(sources) > 1:
            raise InvalidQueryError("Give at most one reference sound (id, file or upload).")
        cfg = self.settings.search
        k = check_k(cfg.default_k if k is None else k, cfg.max_k)
        if not text and not sources:
            if filters is not None and filters.active:  # browse: the sounds a filter keeps
                hits = self._browse(filters, k)
                notes = () if hits else (no_match_note(self.catalog, filters),)
                return SearchResult(hits, "browse", None, _ms(started), notes=notes)
            raise InvalidQueryError(
                "Give a text query, a reference sound, or both.",
                hint='For example: search "rain on a tin roof", or a sound by --audio FILE '
                "or --id N (API: q, sound_id, or an upload).",
            )
        match = check_match(cfg.match if match is None else match)
        if alpha is not None:
            alpha = check_alpha(alpha)
        if region is not None and not sources:
            raise InvalidQueryError("A region (start/end) needs a reference sound.")
        if not self.catalog.has_indexed():
            raise nothing_indexed(self.library_dir)
        # the words and every other way a library may write them (search/query_words.py)
        words = words_query(text or "", self.catalog, cfg.translate_words)
        if not sources and not words.include:
            raise nothing_to_find(text or "", words)
        audio_vec, exclude, audio_seconds, reference = None, frozenset[int](), None, None
        if sources:  # a missing or unreadable reference is named whatever the filters
            reference = self._resolve(sound_id, audio_path, audio_bytes, region)
            audio_vec, exclude, audio_seconds = (
                reference.vector,
                reference.exclude,
                reference.seconds,
            )
        inside_of = None  # a region of a long sound: the rest of that sound may match
        if moments and region is not None and sources:
            inside_of = self.segments.region_source(sound_id, audio_path, region)
            if inside_of is not None:
                exclude = exclude - {inside_of[0]}
        allowed = None
        if filters is not None and filters.active:  # before the index or the text model
            allowed = self.catalog.filter_ids(filters)
            if len(allowed) == 0:
                mode = ("hybrid" if text else "audio") if sources else "text"
                notes = (*words.notes, no_match_note(self.catalog, filters))
                return SearchResult([], mode, alpha, _ms(started), match, notes)
        words_only = match == "words" and not sources  # no vector is needed
        index = None if words_only else self.sync_index()
        if index is not None and index.count == 0:
            raise EmptyLibraryError("No sounds are indexed yet.")
        text_vec = None
        if words.sound_text and match != "words":
            text_vec = self.embed_text(words.sound_text)
        query, mode, alpha = combine(
            audio_vec, text_vec, alpha, cfg.default_alpha, self._library_sample
        )
        fetch = fetch_size(k, collapse)
        within = moments and query is not None
        skip = inside_of[1] if inside_of is not None else None
        lists = self._ranked_lists(
            index, query, words, match, filters, allowed, fetch, exclude, within, skip
        )
        if audio_vec is not None and text_vec is None and words.include:
            mode, alpha = "hybrid", cfg.default_alpha if alpha is None else alpha  # + words
        fold = (
            eligibility(self.catalog, self.lexical, filters, exclude, words) if collapse else None
        )
        hits = self._fused_hits(lists, words, query, match, mode, alpha, k, fold, exclude)
        if within:
            by_sound = audio_seconds if mode == "audio" or (alpha or 0) >= 0.5 else None
            limit, cap = self.settings.moments.per_file, self.settings.ingest.max_file_seconds
            source = (inside_of[0], region) if inside_of is not None and region else None
            pattern = None
            if by_sound is not None and reference and self.settings.moments.pattern:
                pattern = self._pattern(reference)
            budget = self.settings.moments.pattern_hours * 3600
            hits = self.segments.with_moments(
                hits, query, by_sound, limit, cap, source, pattern, budget
            )
        filtered = filters is not None and filters.active
        words_found = bool(lists.get("words"))
        hits, notes = _text_notes(hits, words, text, match, mode, words_found, filtered)
        if sound_id is None and reference is not None:  # a file or an upload
            typed = absolute_path(audio_path) if audio_path else None
            notes += reference_note(self.catalog, exclude, typed)  # as left out
        return SearchResult(hits, mode, alpha, _ms(started), match, notes)

    def _fused_hits(
        self,
        lists: dict[str, list[tuple[int, float]]],
        words: WordsQuery,
        query: np.ndarray | None,
        match: str,
        mode: str,
        alpha: float | None,
        k: int,
        fold: Callable[[list[int]], set[int]] | None = None,
        left_out: frozenset[int] = frozenset(),
    ) -> list[SearchHit]:
        """Fuse the sound and words lists (see docs/search.md) and explain the best ``k``;
        with ``fold`` (which ids may be returned), copies of one recording are folded (the
        ``left_out`` reference and its copies are not counted among those hidden)."""
        cfg = self.settings.search
        words_weight = cfg.words_weight * (1.0 - alpha if alpha is not None else 1.0)
        weights = {"sound": cfg.sound_weight, "words": words_weight}
        scale, coverage = None, {}
        if lists.get("words") and lists.get("sound"):
            coverage = self.lexical.coverage(words, [i for i, _ in lists["words"]])
            scale = {"words": self._words_factors(words.width(), coverage)}
        fused = reciprocal_rank_fusion(lists, weights, cfg.rank_constant, scale)
        hidden: dict[int, int] = {}
        ranked_as: dict[int, int] = {}
        if fold is not None:
            fused, hidden, ranked_as = collapse_copies(fused, self.catalog, fold, left_out)
        fused = fused[:k]
        context = QueryContext(
            query,
            library_spread(query, self._library_sample()) if query is not None else None,
            words if match != "sound" else WordsQuery(),  # explain only what ranked
            (match if mode == "text" else None),
            tuple(name for name, ranked in lists.items() if ranked and weights[name] > 0),
            words_found=bool(lists.get("words")),
            known_coverage=coverage,
        )
        hits = explained_hits(fused, self.catalog, self.lexical, context, ranked_as)
        return [replace(h, copies=hidden[h.id]) if h.id in hidden else h for h in hits]

    def _segment_penalty(self, query: np.ndarray) -> float:
        """What a long sound's best segment gives up against whole sounds' vectors:
        ``moments.segment_penalty`` times the spread of the query's scores over the
        library (the best of hundreds of segments is high by chance alone)."""
        factor = self.settings.moments.segment_penalty
        spread = library_spread(query, self._library_sample()) if factor else None
        return factor * spread[1] if spread is not None else 0.0

    def _browse(self, filters: Filters, k: int) -> list[SearchHit]:
        """The first ``k`` indexed sounds passing the filters, by path."""
        where, params = self.catalog.filter_clause(filters)
        ids = [
            int(r[0])
            for r in self.catalog.query(  # type: ignore[call-overload]
                f"SELECT id FROM sounds WHERE {where} ORDER BY path LIMIT ?", [*params, k]
            )
        ]
        rows = self.catalog.get_many(ids)
        return [row_hit(rows[i], 0.0) for i in ids if i in rows]

    def _words_factors(self, terms: int, coverage: dict[int, float]) -> dict[int, float]:
        """Each words-list sound's factor in the fusion: ``floor + (1 - floor) * coverage``,
        doubled (``full_match_boost``) for one holding every word of a query of ``terms``
        two or more words."""
        cfg = self.settings.search
        boost = cfg.full_match_boost if terms > 1 else 1.0
        floor = cfg.coverage_floor
        return {
            i: (floor + (1 - floor) * c) * (boost if c >= 1.0 else 1.0) for i, c in coverage.items()
        }

    def _ranked_lists(
        self,
        index: VectorIndex | None,
        query: np.ndarray | None,
        words: WordsQuery,
        match: str,
        filters: Filters | None,
        allowed: np.ndarray | None,
        k: int,
        exclude: frozenset[int],
        within: bool = False,
        skip: np.ndarray | None = None,
    ) -> dict[str, list[tuple[int, float]]]:
        """The sound list and the words list, kept to the ``allowed`` ids (the filters'),
        without the reference's copies and without sounds holding a left-out term; with
        ``within``, long sounds also rank by their best segment."""
        fusing = query is not None and match != "sound" and bool(words.include)
        wanted = max(k, self.settings.search.fusion_window) if fusing else k
        lists: dict[str, list[tuple[int, float]]] = {}
        if query is not None and index is not None:
            # what is left out (the reference's copies, sounds holding a left-out term,
            # digital silence) is known only once fetched: fetch more until ``wanted`` stay
            window = wanted + len(exclude)
            most = min(index.count, MAX_REFETCH * window)  # a query leaving out nearly all
            while True:
                ranked = self._sound_list(index, query, allowed, window, within, skip)
                kept = self._kept(ranked, words, exclude, silent_out=True)
                if len(kept) >= wanted or len(ranked) < window or window >= most:
                    break
                window = min(2 * window, most)
            lists["sound"] = kept[:wanted]
        if match != "sound" and words.include:
            ranked = self.lexical.search(words, wanted + len(exclude), filters)
            lists["words"] = self._kept(ranked, words, exclude)
        return lists

    def _sound_list(
        self,
        index: VectorIndex,
        query: np.ndarray,
        allowed: np.ndarray | None,
        window: int,
        within: bool,
        skip: np.ndarray | None,
    ) -> list[tuple[int, float]]:
        """The ``window`` best sounds for ``query`` by vector (``within``: long sounds also
        by their best segment, those of ``skip`` left out)."""
        scores, ids = index.search(query[None, :], window, allowed_ids=allowed)
        ranked = [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
        if within:
            penalty = self._segment_penalty(query)
            floor = ranked[-1][1] + penalty if len(ranked) >= window else -np.inf
            inside = self.segments.best_per_sound(query, window, allowed, floor, skip)
            inside = [(i, s - penalty) for i, s in inside]
            ranked = merge_best(ranked, inside)[:window]
        return ranked

    def _kept(
        self,
        ranked: list[tuple[int, float]],
        words: WordsQuery,
        exclude: frozenset[int],
        silent_out: bool = False,
    ) -> list[tuple[int, float]]:
        """``ranked`` without the ``exclude`` ids and sounds holding a left-out term; with
        ``silent_out``, without digital silence too (it sounds like nothing asked for; its
        name may say what was)."""
        ids = [i for i, _ in ranked]
        drop = set(exclude) | self.lexical.excluded(words, sorted(ids))
        if silent_out:
            with self.catalog.reading() as conn:
                drop |= dupes.silent_among(conn, ids)
        return [p for p in ranked if p[0] not in drop]

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

    def _pattern(self, reference: Reference) -> Pattern | None:
        """The reference sound's occurrence print, to look for it inside long sounds."""
        resolver = ReferenceResolver(self.catalog, self.encoder, self.settings)
        printed = resolver.with_prints(reference)
        if printed.prints is None or printed.seconds is None:
            return None
        return Pattern(printed.prints, printed.seconds)

    # -- information -------------------------------------------------------------
    def sound(self, sound_id: int) -> SoundRow:
        """The catalog row of one sound."""
        row = self.catalog.get(sound_id) if valid_id(sound_id) else None
        if row is None:
            raise no_such_sound(sound_id)
        return row

    def audio_file(self, sound_id: int) -> Path:
        """The file of an indexed sound, for streaming, if it is still what was indexed."""
        return served_file(self.sound(sound_id))

    def failures(self, limit: int = 50) -> list[SoundRow]:
        """Failed sounds with their reasons, most recent first."""
        return self.catalog.failures(limit=limit)

    def stats(self) -> dict[str, object]:
        """Library state: counts, encoder, words, a run under way, index."""
        return library_stats(
            self.library_dir,
            self.catalog,
            self.settings.encoder.name,
            self._encoder,
            self.index_dir,
            self.settings.ingest.max_file_seconds,
        )

    def export(self, out_dir: Path) -> dict[str, int]:
        """Write ``embeddings.npy``, ``paths.json`` and ``index.faiss`` (row i = path i)."""
        self._keeper.check_encoder()
        return export_vectors(self.catalog, self.encoder.version, out_dir)


def _text_notes(
    hits: list[SearchHit],
    words: WordsQuery,
    text: str | None,
    match: str,
    mode: str,
    words_found: bool,
    filtered: bool,
) -> tuple[list[SearchHit], tuple[str, ...]]:
    """The hits, their relevance scaled down when no word of a text query is known anywhere
    (the sound side's guess alone is never strong), and the notes on them: the query's own,
    then why no result is strong or why words alone found nothing."""
    unknown = mode == "text" and bool(hits) and not words_found and not knows_a_word(words)
    if unknown and text:  # says more than "no strong match"
        scaled = [_scaled(h, UNKNOWN_WORDS_SCALE) for h in hits]
        return scaled, (*words.notes, unknown_words_note(text, match, filtered))
    absent = no_words_note(hits, text, match, filtered)
    return hits, (*words.notes, *strength_note(hits, text), *absent)


def _scaled(hit: SearchHit, factor: float) -> SearchHit:
    """A hit whose relevance is ``factor`` times what it was."""
    if hit.relevance is None:
        return hit
    relevance = hit.relevance * factor
    return replace(hit, relevance=relevance, band=band(relevance))


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
