"""Turn a reference sound (catalogued id, file path or uploaded bytes, optionally a region
of it) into a query vector, and say which catalogued sounds it is, so that they can be
left out of its own results."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from soundscout.catalog.catalog import Catalog, SoundRow
from soundscout.config import Settings
from soundscout.encoders.base import Encoder
from soundscout.errors import DecodeError, InvalidQueryError, NotFoundError, PayloadTooLargeError
from soundscout.moments.locate import audible_seconds
from soundscout.moments.occurrence import MAX_QUERY_SECONDS, occurrence_print
from soundscout.search.files import served_file
from soundscout.search.query import no_such_sound, valid_id

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Region:
    """A time range of a reference sound, in seconds (``end`` None = to the end)."""

    start: float = 0.0
    end: float | None = None

    def __post_init__(self) -> None:
        if not np.isfinite(self.start) or self.start < 0:
            raise InvalidQueryError(f"start must be a non-negative number (got {self.start}).")
        if self.end is not None and (not np.isfinite(self.end) or self.end <= self.start):
            raise InvalidQueryError(
                f"end ({self.end}) must be after start ({self.start}).",
                hint="Give the region's start and end in seconds, start first.",
            )

    def cut(self, waveform: np.ndarray, sample_rate: int) -> np.ndarray:
        """The samples inside the region; refuses a region past the end of the sound."""
        a = int(round(self.start * sample_rate))
        b = len(waveform) if self.end is None else int(round(self.end * sample_rate))
        piece = waveform[a:b]
        if piece.size:
            return piece
        until = "the end" if self.end is None else f"{self.end:g} s"
        too_short = self.end is not None and b <= a
        if a >= len(waveform) and not too_short:  # decoding stops at ``end``: it is this short
            raise InvalidQueryError(
                f"The region from {self.start:g} s to {until} starts after the end of the sound "
                f"({len(waveform) / sample_rate:.2f} s long)."
            )
        raise InvalidQueryError(
            f"The region from {self.start:g} s to {until} is shorter than one sample "
            f"at {sample_rate} Hz.",
            hint="Choose a longer region.",
        )


@dataclass(frozen=True)
class Reference:
    """A resolved reference: its vector and the catalogued sounds it is; the occurrence
    print of its sound when it was decoded, else the file it came from (for
    :meth:`ReferenceResolver.with_prints`)."""

    vector: np.ndarray
    exclude: frozenset[int]
    # how long the reference sound (or region) is: audible, when decoded; else its file's
    seconds: float | None = None
    prints: np.ndarray | None = None
    path: str | None = None


def absolute_path(path: str | Path) -> str:
    """A reference file's path as the catalog stores paths: absolute, ``~`` expanded."""
    return os.path.abspath(os.path.expanduser(str(path)))


class ReferenceResolver:
    """Resolves references against one catalog and encoder."""

    def __init__(self, catalog: Catalog, encoder: Encoder, settings: Settings) -> None:
        self.catalog, self.encoder, self.settings = catalog, encoder, settings

    def by_id(self, sound_id: int, region: Region | None = None) -> Reference:
        """A catalogued sound: its stored vector, or its file re-encoded for a region.

        The sound and its catalogued copies (same content hash) are left out of the results.
        """
        row = self.catalog.get(sound_id) if valid_id(sound_id) else None
        if row is None:
            raise no_such_sound(sound_id)
        exclude = {row.id} | self._copies(row.content_hash)
        if row.status == "failed":
            raise InvalidQueryError(
                f"Sound {sound_id} has no embedding: it failed to index ({row.error}).",
                hint="Fix or replace the file, then run `soundscout index` on its folder "
                "(changed files are retried; --retry-failed retries them all).",
            )
        if region is not None:  # its file is read again: the one catalogued, unchanged
            return self._encode_file(str(served_file(row)), region, exclude)
        seconds = row.duration
        vector = self.catalog.embedding(sound_id)
        if row.status != "done" or vector is None or row.encoder_version != self.encoder.version:
            raise InvalidQueryError(
                f"Sound {sound_id} has no embedding for {self.encoder.name} yet "
                f"(status: {row.status}).",
                hint="Run `soundscout index` on its folder to embed it.",
            )
        return Reference(vector, frozenset(exclude), seconds, path=row.path)

    def by_path(self, path: str | Path, region: Region | None = None) -> Reference:
        """A file on disk; a catalogued, unchanged file reuses its stored vector.

        The file itself and every catalogued copy of it (same content hash, as for an
        upload) are left out of the results.
        """
        absolute = absolute_path(path)
        row = self.catalog.find_by_path(absolute)
        exclude = {row.id} if row else set()
        if region is None and row is not None and _unchanged_and_done(row, absolute):
            exclude |= self._copies(row.content_hash)
            vector = self.catalog.embedding(row.id)
            if vector is not None and row.encoder_version == self.encoder.version:
                return Reference(vector, frozenset(exclude), row.duration, path=absolute)
        if os.path.isfile(absolute):
            from soundscout.ingest.scan import content_hash

            exclude |= self._copies(content_hash(absolute))
        return self._encode_file(absolute, region, exclude)

    def _copies(self, digest: str | None) -> set[int]:
        return {r.id for r in self.catalog.find_by_hash(digest)} if digest else set()

    def by_bytes(self, data: bytes, region: Region | None = None) -> Reference:
        """Uploaded bytes, within the configured size and duration limits."""
        limits = self.settings.server
        if len(data) > limits.max_upload_bytes:
            raise PayloadTooLargeError(
                f"The upload has {len(data)} bytes; the limit is {limits.max_upload_bytes}.",
                hint="Trim the reference sound or raise server.max_upload_bytes.",
            )
        if not data:
            raise InvalidQueryError("The uploaded file is empty.")
        limit = limits.max_upload_seconds
        # A region that ends within the limit is all that gets decoded, however long the file.
        bounded = region is not None and region.end is not None and region.end <= limit
        stop = region.end if bounded and region is not None else limit + 1
        from soundscout.audio.decode import decode_bytes

        with _plain_decode_errors():
            info, waveform = decode_bytes(data, self.encoder.sample_rate, max_seconds=stop)
        if not bounded and info.duration > limit:
            raise PayloadTooLargeError(
                f"The upload lasts {info.duration:.1f} s; the limit is {limit:g} s.",
                hint=f"Send start/end for a region that ends within the first {limit:g} s, "
                "upload a shorter file, or raise server.max_upload_seconds.",
            )
        if region is not None:
            waveform = region.cut(waveform, self.encoder.sample_rate)
        exclude = frozenset(self._copies(hashlib.sha1(data).hexdigest()))
        return self._reference(waveform, exclude)

    def _encode_file(self, path: str, region: Region | None, exclude: set[int]) -> Reference:
        if os.path.isdir(path):
            raise InvalidQueryError(
                f"The reference {path} is a folder, not a sound file.",
                hint="Give one audio file as the reference.",
            )
        if not os.path.exists(path):
            raise NotFoundError(
                f"Reference file not found: {path}", hint="Check the path of the reference sound."
            )
        if not os.path.isfile(path):
            raise InvalidQueryError(
                f"The reference {path} is not a regular file (a pipe, device or socket).",
                hint="Save the sound to a file and give that file as the reference.",
            )
        ingest = self.settings.ingest
        limit = ingest.max_file_seconds
        if region is not None and region.end is not None:
            limit = region.end if limit is None else min(limit, region.end)
        elif self._longer_than(path, ingest.stream_seconds):
            if region is None:  # a long recording, embedded piece by piece
                return self._encode_long(path, exclude)
            limit = region.start + ingest.stream_seconds  # a region to the end: one piece
        from soundscout.audio.decode import load_audio

        with _plain_decode_errors():
            waveform = load_audio(path, self.encoder.sample_rate, max_seconds=limit)
        if region is not None:
            waveform = region.cut(waveform, self.encoder.sample_rate)
        return self._reference(waveform, frozenset(exclude))

    def _reference(self, waveform: np.ndarray, exclude: frozenset[int]) -> Reference:
        rate = self.encoder.sample_rate
        vector = _usable(self.encoder.encode_audio(waveform))
        seconds = audible_seconds(waveform, rate)
        prints = occurrence_print(waveform, rate) if seconds <= MAX_QUERY_SECONDS else None
        return Reference(vector, exclude, seconds, prints)

    def with_prints(self, reference: Reference) -> Reference:
        """``reference`` with the occurrence print of its sound (and ``seconds`` its audible
        length), its file decoded for it when it was not (a stored vector); unchanged when
        the sound is longer than a query is matched (:data:`MAX_QUERY_SECONDS`) or its file
        cannot be decoded now."""
        if reference.prints is not None or reference.path is None:
            return reference
        if reference.seconds is not None and reference.seconds > MAX_QUERY_SECONDS:
            return reference
        from soundscout.audio.decode import load_audio

        rate = self.encoder.sample_rate
        try:
            waveform = load_audio(reference.path, rate, max_seconds=2 * MAX_QUERY_SECONDS)
        except (DecodeError, OSError) as exc:
            log.info("no occurrence print of %s: %s", reference.path, exc)
            return reference
        audible = audible_seconds(waveform, rate)
        if audible > MAX_QUERY_SECONDS:
            return reference
        return replace(reference, prints=occurrence_print(waveform, rate), seconds=audible)

    def _longer_than(self, path: str, seconds: float) -> bool:
        from soundscout.audio.decode import probe

        with _plain_decode_errors():
            return probe(path).duration > seconds

    def _encode_long(self, path: str, exclude: set[int]) -> Reference:
        from soundscout.moments.long_audio import embed_long

        ingest = self.settings.ingest
        with _plain_decode_errors():
            found = embed_long(
                self.encoder,
                path,
                piece_seconds=ingest.stream_seconds,
                max_seconds=ingest.max_file_seconds,
                per_segment=1,
            )
        return Reference(_usable(found.vector), frozenset(exclude), found.seconds)


def _usable(vector: np.ndarray) -> np.ndarray:
    """A reference's vector, refused when it is not finite (samples far out of range, as
    indexing refuses the same file)."""
    if not np.all(np.isfinite(vector)):
        raise InvalidQueryError(
            "The reference sound gives no usable embedding: its samples are out of range "
            "(a float file far louder than full scale?).",
            hint="Normalise the file (peak at or under 0 dBFS) and try again.",
        )
    return vector


@contextmanager
def _plain_decode_errors() -> Iterator[None]:
    """Say why a reference sound cannot be read in plain words; the decoders' own names
    for it (which a catalogued failure keeps) go to the debug log."""
    try:
        yield
    except DecodeError as exc:
        reason = getattr(exc, "reason", None) or exc.message  # "empty file (0 bytes)"
        log.debug("reference not decoded: %s", exc.message)
        raise DecodeError(
            f"The reference sound cannot be read: {reason}.",
            hint="Give a WAV, FLAC, AIFF, MP3, OGG, Opus or M4A file that plays in a player.",
        ) from exc


def _unchanged_and_done(row: SoundRow, path: str) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    return row.status == "done" and (st.st_size, st.st_mtime_ns) == (row.size, row.mtime_ns)
