"""Search inside long sounds: the segment index beside the sound index, and moments.

Each long sound keeps a vector per segment (:mod:`soundscout.moments.segments`), in the
catalog and in a second FAISS index kept like the first (:class:`IndexKeeper` over
:class:`SegmentVectors`). A query searches both; a sound's score is the better of its own
vector's and its best segment's, so one long sound appears once however many of its
segments match, and the results then carry their moments (:func:`locate`). A sound given
as the query is also looked for as itself, by its pattern in each long sound's occurrence
print (:class:`Pattern`, :mod:`soundscout.moments.occurrence`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from soundscout.catalog import segments as segdb
from soundscout.catalog.catalog import Catalog
from soundscout.encoders.base import Encoder
from soundscout.index.faiss_index import IndexParams, VectorIndex
from soundscout.index.keeper import IndexKeeper, SegmentVectors
from soundscout.moments.locate import Moment, locate
from soundscout.moments.occurrence import find_occurrences
from soundscout.search.query import SearchHit
from soundscout.search.reference import Region, absolute_path

#: Segments fetched per sound wanted: enough that a few long sounds matching in many
#: places do not crowd out the others.
SEGMENTS_PER_RESULT = 8
#: ...fetched four times more while fewer sounds than wanted came back, up to this many.
MAX_SEGMENTS_FETCHED = 1 << 16


class SegmentMap:
    """Which sound each segment id belongs to (ids come in one range per sound)."""

    def __init__(self, ranges: np.ndarray) -> None:
        ranges = np.asarray(ranges, dtype=np.int64).reshape(-1, 3)
        self.first, self.count, self.sound = ranges[:, 0], ranges[:, 1], ranges[:, 2]
        self.sounds = frozenset(self.sound.tolist())  # the sounds with segments

    def __len__(self) -> int:
        return len(self.first)

    def sounds_of(self, segment_ids: np.ndarray) -> np.ndarray:
        """The sound of each segment id (-1 for an id no sound holds)."""
        ids = np.asarray(segment_ids, dtype=np.int64)
        row = np.searchsorted(self.first, ids, side="right") - 1
        inside = (row >= 0) & (ids >= 0)
        row = np.clip(row, 0, max(len(self.first) - 1, 0))
        if len(self.first):
            inside &= ids < self.first[row] + self.count[row]
        else:
            inside[:] = False
        return np.where(inside, self.sound[row] if len(self.first) else -1, -1)

    def segments_of(self, sound_ids: np.ndarray) -> np.ndarray:
        """Every segment id of these sounds (those without segments add none)."""
        rows = np.flatnonzero(np.isin(self.sound, np.asarray(sound_ids, dtype=np.int64)))
        if len(rows) == 0:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate(
            [np.arange(self.first[r], self.first[r] + self.count[r]) for r in rows]
        )


class SegmentSearch:
    """The segment index of one library: kept in step with the catalog, searched by sound."""

    def __init__(
        self,
        catalog: Catalog,
        encoder: Callable[[], Encoder],
        index_dir: Path,
        params: IndexParams,
    ) -> None:
        self.catalog, self._encoder = catalog, encoder
        self.keeper = IndexKeeper(catalog, encoder, index_dir, params, SegmentVectors(catalog))
        self._map: tuple[tuple[int, str], SegmentMap] | None = None
        self._lock = threading.Lock()

    def sync(self, save: bool = False) -> VectorIndex:
        """The segment index, up to date with the catalog."""
        return self.keeper.sync(save=save)

    def segment_map(self) -> SegmentMap:
        """Segment id → sound, re-read when the catalog changes."""
        key = (self.catalog.revision, self._encoder().version)
        with self._lock:
            if self._map is None or self._map[0] != key:
                with self.catalog.reading() as conn:
                    self._map = (key, SegmentMap(segdb.segment_ranges(conn, key[1])))
            return self._map[1]

    def best_per_sound(
        self,
        query: np.ndarray,
        k: int,
        allowed_sounds: np.ndarray | None = None,
        floor: float = -np.inf,
        skip: np.ndarray | None = None,
    ) -> list[tuple[int, float]]:
        """Up to ``k`` sounds whose best segment matches ``query`` best, with its score;
        sounds whose best segment scores under ``floor`` may be left out, and the segments
        ``skip`` names do not count."""
        seg_map = self.segment_map()
        if len(seg_map) == 0:
            return []
        allowed = None
        if allowed_sounds is not None:
            allowed = seg_map.segments_of(allowed_sounds)
            if len(allowed) == 0:
                return []
        index = self.sync()
        if index.count == 0:
            return []
        return best_sounds(index, seg_map, query, k, allowed, floor, skip)

    def with_moments(
        self,
        hits: list[SearchHit],
        query: np.ndarray,
        query_seconds: float | None,
        limit: int,
        max_seconds: float | None,
        source: tuple[int, Region] | None = None,
        pattern: Pattern | None = None,
        pattern_seconds: float = 0.0,
    ) -> list[SearchHit]:
        """Each hit with where in it the query matches (long sounds only, within the
        ``max_seconds`` embedded of them); ``source``, the sound and region a query was
        cut from, is no moment of that sound, which stays only where it matches elsewhere;
        with a ``pattern`` (a sound as the query), where that sound itself occurs comes
        first when it is found, in the hits (best first) within the first
        ``pattern_seconds`` of long sounds (later ones keep their segments' moments)."""
        found, long = [], self.segment_map().sounds
        budget, searched = pattern_seconds, False
        for h in hits:
            if h.id not in long:  # a short sound: no segments, no moments
                found.append(h)
                continue
            embedded = min(h.duration or 0.0, max_seconds or np.inf) or None
            skip = (source[1].start, source[1].end) if source and h.id == source[0] else None
            looked_for = None  # the best long result always; the others within the budget
            if pattern is not None and budget > 0 and (not searched or (embedded or 0) <= budget):
                looked_for, searched = pattern, True
                budget -= embedded or 0.0
            moments = self.moments(h.id, query, embedded, query_seconds, limit, skip, looked_for)
            if skip is None or moments:
                found.append(replace(h, moments=moments))
        return found

    def region_source(
        self, sound_id: int | None, audio_path: str | Path | None, region: Region
    ) -> tuple[int, np.ndarray] | None:
        """The catalogued long sound a region query was cut from, and its segments there."""
        if sound_id is None and audio_path is not None:
            row = self.catalog.find_by_path(absolute_path(audio_path))
            sound_id = row.id if row is not None else None
        if sound_id is None:
            return None
        skip = self.ids_within(sound_id, region.start, region.end)
        return (sound_id, skip) if len(skip) else None

    def ids_within(self, sound_id: int, start: float, end: float | None) -> np.ndarray:
        """The ids of a sound's segments overlapping ``start``..``end`` seconds."""
        with self.catalog.reading() as conn:
            row = conn.execute(
                "SELECT first_id, times FROM segment_sets WHERE sound_id = ?", (sound_id,)
            ).fetchone()
        if row is None:
            return np.zeros(0, dtype=np.int64)
        times = np.frombuffer(row[1], dtype=np.float32).reshape(-1, 2)
        inside = _overlapping(times, start, end)
        return int(row[0]) + np.flatnonzero(inside).astype(np.int64)

    def moments(
        self,
        sound_id: int,
        query: np.ndarray,
        duration: float | None,
        query_seconds: float | None,
        limit: int,
        skip: tuple[float, float | None] | None = None,
        pattern: Pattern | None = None,
    ) -> tuple[Moment, ...]:
        """The best moments of one sound for ``query`` (none for a sound without segments);
        its segments overlapping ``skip`` (start, end) do not count. With a ``pattern``,
        the place where it fits the sound's print clearly is the best moment."""
        with self.catalog.reading() as conn:
            segments = segdb.read_segments(conn, sound_id, len(query))
            recording = segdb.read_prints(conn, sound_id) if pattern is not None else None
        if segments is None:
            return ()
        scores = segments.vectors @ np.asarray(query, dtype=np.float32)
        if skip is not None:
            left_out = _overlapping(segments.times, *skip)
            if left_out.all():
                return ()
            scores[left_out] = float(np.median(scores[~left_out]))
        found = locate(
            segments.times, scores, duration=duration, query_seconds=query_seconds, limit=limit
        )
        if pattern is not None and recording is not None:
            found = pattern.first(found, recording, segments.times, scores, duration, skip, limit)
        return tuple(found[:limit])


@dataclass(frozen=True)
class Pattern:
    """A query sound's occurrence print, looked for in long sounds' prints."""

    prints: np.ndarray
    seconds: float  # how long the sound printed lasts, from its first to its last audible frame

    def first(
        self,
        found: list[Moment],
        recording: np.ndarray,
        times: np.ndarray,
        scores: np.ndarray,
        duration: float | None,
        skip: tuple[float, float | None] | None,
        limit: int,
    ) -> list[Moment]:
        """``found`` with the places where the pattern clearly fits ``recording`` first (as
        long as the query sound; each scored by the best segment it overlaps; ``pattern``
        where it is the sound itself), and the moments overlapping them left out."""
        places = []
        for fit in find_occurrences(self.prints, recording, exclude=skip, limit=limit):
            if not fit.clear:
                break
            end = fit.start + self.seconds
            end = round(min(end, duration) if duration else end, 3)
            over = _overlapping(times, fit.start, end)
            score = float(scores[over].max()) if over.any() else float(np.median(scores))
            places.append(Moment(fit.start, end, score, pattern=fit.itself))
        rest = [m for m in found if all(m.end <= p.start or m.start >= p.end for p in places)]
        return [*places, *rest]


def best_sounds(
    index: VectorIndex,
    seg_map: SegmentMap,
    query: np.ndarray,
    k: int,
    allowed: np.ndarray | None = None,
    floor: float = -np.inf,
    skip: np.ndarray | None = None,
) -> list[tuple[int, float]]:
    """The ``k`` sounds with the best segments for ``query`` (best first, each once),
    leaving out the segments ``skip`` names.

    Segments are fetched ``SEGMENTS_PER_RESULT`` per sound wanted, then four times more
    while fewer sounds came back and the last segment fetched still scores ``floor`` or
    more (a sound not seen yet scores no more than it): one recording matching everywhere
    does not crowd out the others, and no more is fetched than can reach the results.
    """
    k = min(k, len(seg_map))
    available = index.count if allowed is None else len(allowed)
    fetch = k * SEGMENTS_PER_RESULT
    while True:
        scores, ids = index.search(query[None, :], fetch, allowed_ids=allowed)
        sounds = seg_map.sounds_of(ids[0])
        usable = (ids[0] >= 0) & (sounds >= 0)
        if skip is not None and len(skip):
            usable &= ~np.isin(ids[0], skip)
        kept = np.flatnonzero(usable)
        found, first = np.unique(sounds[kept], return_index=True)  # scores come best first
        order = kept[np.sort(first)][:k]
        exhausted = fetch >= min(available, MAX_SEGMENTS_FETCHED) or ids[0][-1] < 0
        if len(found) >= k or exhausted or scores[0][-1] < floor:
            return [(int(sounds[i]), float(scores[0][i])) for i in order]
        fetch *= 4


def _overlapping(times: np.ndarray, start: float, end: float | None) -> np.ndarray:
    """Which (start, end) rows overlap ``start``..``end`` (None: to the end)."""
    stop = np.inf if end is None else end
    return (times[:, 0] < stop) & (times[:, 1] > start)


def merge_best(
    files: list[tuple[int, float]], segments: list[tuple[int, float]]
) -> list[tuple[int, float]]:
    """One list of sounds, each scored by the better of its file and best-segment scores."""
    best = dict(files)
    for sound, score in segments:
        if score > best.get(sound, -np.inf):
            best[sound] = score
    return sorted(best.items(), key=lambda p: -p[1])
