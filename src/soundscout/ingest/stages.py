"""The small stages of ingest: decode one file, embed a batch, turn results into outcomes."""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from soundscout.audio.decode import AudioInfo, decode_file, probe
from soundscout.catalog.catalog import Outcome
from soundscout.config import IngestSettings
from soundscout.duplicates.fingerprint import Print, compute
from soundscout.encoders.base import Encoder
from soundscout.errors import DecodeError
from soundscout.ingest.native_stderr import captured_stderr
from soundscout.ingest.scan import content_hash
from soundscout.metadata.read import read_embedded
from soundscout.moments.long_audio import embed_long
from soundscout.moments.occurrence import occurrence_print
from soundscout.moments.segments import Segments, segments_from_windows

log = logging.getLogger(__name__)


@dataclass
class Decoded:
    """One file after the decode stage: a waveform, or the reason there is none."""

    sound_id: int
    path: str
    content_hash: str | None = None
    info: AudioInfo | None = None
    waveform: np.ndarray | None = None
    error: str | None = None
    rate: int = 1  # sample rate of the waveform
    tags: dict[str, str] | None = None  # words the file carries (BWF, iXML, ID3, ...)
    tag_warnings: tuple[str, ...] = ()
    audio_hash: str | None = None  # of the decoded waveform: unchanged when only tags change
    decoder_warnings: tuple[str, ...] = ()  # what native decoders printed on stderr meanwhile
    fingerprint: Print | None = None  # "same recording" print, from the waveform in memory
    #: Longer than ``stream_seconds``: no waveform; the embed stage streams the file.
    stream: bool = False
    file_key: tuple[int, int] | None = None  # size and mtime when it was read

    @property
    def seconds(self) -> float:
        """Seconds of audio held in memory by this item."""
        if self.waveform is None or self.info is None:
            return 0.0
        return len(self.waveform) / max(self.rate, 1)


@dataclass(frozen=True)
class SegmentPlan:
    """Which sounds get segments (moments), and how long files are streamed."""

    min_seconds: float = 10.0  # sounds longer than this get segments
    per_segment: int = 1  # encoder windows pooled per segment
    piece_seconds: float = 600.0  # a streamed file is embedded in pieces of this length
    max_seconds: float | None = None  # the guard: no more of a file than this


def longest_decoded(settings: IngestSettings) -> float:
    """The most seconds of a file decoded in one piece: ``stream_seconds``, or the
    ``max_file_seconds`` guard when it is shorter. A Ray worker embeds no more of a file;
    a local run streams what is longer."""
    guard = settings.max_file_seconds
    return settings.stream_seconds if guard is None else min(guard, settings.stream_seconds)


def decode_stage(
    sound_id: int,
    path: str,
    sample_rate: int,
    max_seconds: float | None,
    stream_seconds: float | None = None,
) -> Decoded:
    """Hash and decode one file to mono at ``sample_rate``; never raises for a bad file.

    A file that changes while it is read is reported as failed; its new size and mtime
    make the next run pick it up again. What native decoders print meanwhile (libmpg123's
    notes on a damaged MP3) is kept in ``decoder_warnings``, not written to stderr. A file
    longer than ``stream_seconds`` is not decoded here: it comes back with ``stream`` set,
    and :func:`embed_stage` streams it.
    """
    with captured_stderr() as printed:
        item = _decode(sound_id, path, sample_rate, max_seconds, stream_seconds)
    item.decoder_warnings = printed.lines
    return item


def _decode(
    sound_id: int,
    path: str,
    sample_rate: int,
    max_seconds: float | None,
    stream_seconds: float | None,
) -> Decoded:
    item = Decoded(sound_id, path, rate=sample_rate)
    try:
        before = _regular_file_stat(path)
        item.content_hash = content_hash(path)
    except OSError as exc:
        item.error = _os_error_reason(exc)
        return item
    embedded = read_embedded(path)  # never raises; a bad field is a warning
    item.tags, item.tag_warnings = dict(embedded.fields), tuple(embedded.warnings)
    item.file_key = _fingerprint(before)
    if stream_seconds is not None and _longer_than(path, stream_seconds, item):
        item.stream = True
        return item
    try:
        item.info, item.waveform = decode_file(path, sample_rate, max_seconds=max_seconds)
    except DecodeError as exc:
        item.error = exc.message
    except Exception as exc:  # a decoder bug must not stop the batch
        item.error = f"unexpected decoder error: {type(exc).__name__}: {exc}"
    _trust_decoded_length(item, sample_rate, max_seconds)
    if item.waveform is not None:
        item.audio_hash = hashlib.sha1(np.ascontiguousarray(item.waveform).tobytes()).hexdigest()
        item.fingerprint = compute(item.waveform, sample_rate)
    try:
        changed = _fingerprint(os.stat(path)) != _fingerprint(before)
    except OSError:
        changed = True
    if changed:  # while it was hashed, decoded or fingerprinted: nothing of it is kept
        item.waveform, item.audio_hash, item.fingerprint = None, None, None
        item.error = "file changed while being read (it will be indexed again on the next run)"
    return item


def _longer_than(path: str, seconds: float, item: Decoded) -> bool:
    """Whether the file's header says it is longer than ``seconds`` (keeping its facts)."""
    try:
        info = probe(path)
    except DecodeError:
        return False  # decoding names the problem
    if info.duration <= seconds:
        return False
    item.info = info
    return True


def _trust_decoded_length(item: Decoded, sample_rate: int, max_seconds: float | None) -> None:
    """A truncated file's header (an MP3's, say) claims more than it holds: catalogue the
    length that decoded, so duration filters and regions agree with the audio."""
    if item.waveform is None or item.info is None:
        return
    decoded = len(item.waveform) / sample_rate
    cut_short_on_purpose = max_seconds is not None and decoded >= max_seconds - 1 / sample_rate
    if not cut_short_on_purpose and decoded < item.info.duration - 0.01:
        item.info = replace(item.info, duration=decoded)


def _fingerprint(st: os.stat_result) -> tuple[int, int]:
    return st.st_size, st.st_mtime_ns


def _regular_file_stat(path: str) -> os.stat_result:
    """stat() that refuses anything but a regular file (a FIFO would block a reader)."""
    st = os.stat(path)
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory", path)
    if not stat.S_ISREG(st.st_mode):
        raise OSError(errno.EINVAL, "not a regular file (device, pipe or socket)", path)
    return st


def _os_error_reason(exc: OSError) -> str:
    if isinstance(exc, IsADirectoryError):
        return "is a directory, not an audio file"
    if isinstance(exc, FileNotFoundError):
        return "file not found (deleted during the scan, or a broken link)"
    if isinstance(exc, PermissionError):
        return "permission denied (the file is not readable by this user)"
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    return f"cannot read file: {exc.strerror or exc}"


def _metadata(item: Decoded) -> dict[str, object]:
    info = item.info
    return {
        "content_hash": item.content_hash,
        "duration": info.duration if info else None,
        "sample_rate": info.sample_rate if info else None,
        "channels": info.channels if info else None,
        "format": info.format if info else None,
        "bit_depth": info.bit_depth if info else None,
        "decoder_warnings": item.decoder_warnings,
    }


def failed_outcome(item: Decoded, reason: str | None = None) -> Outcome:
    """An outcome recording why this item has no vector."""
    return Outcome(item.sound_id, error=reason or item.error, **_metadata(item))  # type: ignore[arg-type]


def embed_stage(
    encoder: Encoder,
    items: list[Decoded],
    batch_size: int,
    stored: Callable[[Decoded], np.ndarray | None] | None = None,
    plan: SegmentPlan | None = None,
) -> list[Outcome]:
    """Embed decoded items in batches; a model error is isolated to the file causing it.

    ``stored`` gives the vector already stored for an item whose decoded audio is the
    same as when it was embedded (only its tags changed); such an item is not embedded.
    With a ``plan``, sounds longer than ``plan.min_seconds`` also get their segments,
    and streamed items are embedded piece by piece.
    """
    good = [i for i in items if i.waveform is not None or i.stream]
    outcomes = [failed_outcome(i) for i in items if i.waveform is None and not i.stream]
    if stored is not None:
        kept = {i.sound_id: v for i in good if (v := stored(i)) is not None}
        outcomes += [_outcome(i, kept[i.sound_id], reused=True) for i in good if i.sound_id in kept]
        good = [i for i in good if i.sound_id not in kept]
    short = []
    for item in good:
        if plan is not None and gets_segments(item, plan):
            outcomes.append(_embed_long(encoder, item, plan))
        else:
            short.append(item)
    if not short:
        return outcomes
    try:
        vectors = encoder.encode_audio([i.waveform for i in short], batch_size=batch_size)
        pairs = list(zip(short, vectors, strict=True))
    except Exception:
        log.debug("batch embedding failed; retrying files one by one", exc_info=True)
        pairs = []
        for item in short:
            try:
                pairs.append((item, encoder.encode_audio(item.waveform)))
            except Exception as exc:
                outcomes.append(failed_outcome(item, f"encoder error: {type(exc).__name__}: {exc}"))
    outcomes += [_checked(item, vector) for item, vector in pairs]
    return outcomes


def gets_segments(item: Decoded, plan: SegmentPlan) -> bool:
    """Whether a sound is long enough for segments, by the duration the catalog keeps (the
    one the next run's check for missing segments reads), not the decoded length, which
    resampling can round a hair below it."""
    seconds = item.info.duration if item.info is not None else item.seconds
    return item.stream or seconds > plan.min_seconds


def _embed_long(encoder: Encoder, item: Decoded, plan: SegmentPlan) -> Outcome:
    """A long sound's vector and segments; a streamed one is decoded here, in pieces."""
    try:
        if item.stream:
            return _embed_streamed(encoder, item, plan)
        assert item.waveform is not None
        vector, windows = encoder.embed_with_windows(item.waveform)
        times = encoder.window_times(len(item.waveform))
        segments = replace(
            segments_from_windows(windows, times, plan.per_segment),
            prints=occurrence_print(item.waveform, encoder.sample_rate),
        )
    except Exception as exc:
        return failed_outcome(item, f"encoder error: {type(exc).__name__}: {exc}")
    return _checked(item, vector, segments)


def _embed_streamed(encoder: Encoder, item: Decoded, plan: SegmentPlan) -> Outcome:
    with captured_stderr() as printed:
        try:
            found = embed_long(
                encoder,
                item.path,
                piece_seconds=plan.piece_seconds,
                max_seconds=plan.max_seconds,
                per_segment=plan.per_segment,
            )
        except DecodeError as exc:
            found, item.error = None, exc.message
    item.decoder_warnings += printed.lines
    try:
        changed = _fingerprint(os.stat(item.path)) != item.file_key
    except OSError:
        changed = True
    if changed:
        return failed_outcome(
            item, "file changed while being read (it will be indexed again on the next run)"
        )
    if found is None:
        return failed_outcome(item)
    item.audio_hash, item.fingerprint = found.audio_hash, found.fingerprint
    if item.info is not None and found.seconds < item.info.duration - 0.01:
        cut = plan.max_seconds is not None and found.seconds >= plan.max_seconds - 0.01
        if not cut:  # a truncated file: catalogue what decoded (see _trust_decoded_length)
            item.info = replace(item.info, duration=found.seconds)
    return _checked(item, found.vector, found.segments)


def _checked(item: Decoded, vector: np.ndarray, segments: Segments | None = None) -> Outcome:
    """The outcome of an embedded item; a non-finite vector is a failure."""
    if not np.all(np.isfinite(vector)):
        return failed_outcome(item, "encoder produced a non-finite vector")
    if segments is not None and not np.all(np.isfinite(segments.vectors)):
        return failed_outcome(item, "encoder produced a non-finite window vector")
    return _outcome(item, vector, segments=segments)


def _outcome(
    item: Decoded, vector: np.ndarray, reused: bool = False, segments: Segments | None = None
) -> Outcome:
    return Outcome(
        item.sound_id,
        vector=vector,
        tags=item.tags,
        tag_warnings=item.tag_warnings,
        audio_hash=item.audio_hash,
        fingerprint=item.fingerprint,
        reused=reused,
        segments=segments,
        **_metadata(item),  # type: ignore[arg-type]
    )


def read_words_stage(sound_id: int, path: str) -> tuple[int, dict[str, str], tuple[str, ...]]:
    """Read the tags of a file already embedded (a library from before words were read)."""
    embedded = read_embedded(path)
    return sound_id, dict(embedded.fields), tuple(embedded.warnings)
