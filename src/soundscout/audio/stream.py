"""Decode long audio files chunk by chunk, in bounded memory.

:func:`stream_file` is the streaming counterpart of
:func:`~soundscout.audio.decode.decode_file`: the same decoders (libsndfile, else FFmpeg)
read by the same block generators, the same errors, the same mono float32 samples at the
requested rate, delivered as consecutive chunks of at most ``chunk_seconds``, so that an
hours-long field recording never sits whole in memory. Concatenated, the chunks equal
``decode_file``'s waveform: one resampler runs over the whole file.

At most one chunk and one decoder block are held at a time. The file stays open while
the chunks are read and is closed when they are exhausted, when the generator is closed
(``chunks.close()``, :func:`contextlib.closing`) or garbage-collected, and on errors.

One difference: where libsndfile fails part-way (a damaged MP3 or FLAC), ``decode_file``
decodes the whole file again with FFmpeg; here FFmpeg decodes the rest, from the sample
where libsndfile stopped.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soxr

from soundscout.audio.decode import (
    _CORRUPT_HINT,
    RESAMPLE_QUALITY,
    AudioInfo,
    _av_reader,
    _open_check,
    _Reader,
    _sf_reader,
    _with_fallback,
    check_sample_rate,
)
from soundscout.errors import DecodeError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamedAudio:
    """A file being decoded: its header facts and a generator of its chunks."""

    info: AudioInfo  # as decode_file returns it; the duration is the whole file's
    chunks: Generator[np.ndarray, None, None]  # mono float32 chunks at the target rate


@dataclass(frozen=True)
class _Opened:
    """A decoder open on a file, its first block decoded (None: the file has no samples)."""

    info: AudioInfo
    first: np.ndarray | None
    blocks: Iterator[np.ndarray]
    closer: contextlib.ExitStack
    soundfile: bool


def stream_file(
    path: str | os.PathLike[str],
    sample_rate: int,
    *,
    chunk_seconds: float = 60.0,
    max_seconds: float | None = None,
) -> StreamedAudio:
    """Decode a file chunk by chunk to mono float32 at ``sample_rate``.

    The file is opened and its first block decoded here, so that a file
    :func:`~soundscout.audio.decode.decode_file` refuses raises the same error now.

    Args:
        path: the audio file; its content decides the format, not its extension.
        sample_rate: output rate in Hz.
        chunk_seconds: length of every chunk but the last, which may be shorter.
        max_seconds: stop after this much audio; ``info.duration`` stays the file's.

    Returns:
        The file's info and a generator of its consecutive chunks. Iterating raises
        ``DecodeError("no audio samples")`` if the file holds none; a stream that breaks
        part-way ends early, with a warning in the log.

    Raises:
        DecodeError: the file cannot be read or decoded (the reasons of decode_file).
        ValueError: a rate, chunk length or ``max_seconds`` that is not positive.
    """
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    if max_seconds is not None and max_seconds <= 0:
        raise ValueError(f"max_seconds must be positive, got {max_seconds}")
    size = int(chunk_seconds * sample_rate + 1e-6)  # 0.29 s at 100 Hz: 29, not 28
    if size < 1:
        raise ValueError(f"chunk_seconds must hold at least one sample, got {chunk_seconds}")
    p, head = _open_check(path)
    opened = _with_fallback(
        head,
        lambda: _open(_sf_reader(p.open("rb"), max_seconds), soundfile=True),
        lambda: _open(_av_reader(p.open("rb"), max_seconds), soundfile=False),
    )
    try:
        check_sample_rate(opened.info.sample_rate)
    except DecodeError:
        opened.closer.close()
        raise
    chunks = _chunks(opened, p, max_seconds, sample_rate, size)
    next(chunks)  # into its `with`: close() before the first chunk closes the file too
    return StreamedAudio(opened.info, chunks)


def _open(reader: _Reader, soundfile: bool) -> _Opened:
    """Enter ``reader`` and decode its first block; the file is closed if either fails."""
    with contextlib.ExitStack() as stack:
        info, blocks = stack.enter_context(reader)
        first = next(blocks, None)
        return _Opened(info, first, blocks, stack.pop_all(), soundfile)


def _chunks(
    opened: _Opened, path: Path, max_seconds: float | None, sample_rate: int, size: int
) -> Generator[np.ndarray, None, None]:
    """The chunks of ``opened``, after an empty first item that primes the generator."""
    with opened.closer:
        yield np.zeros(0, np.float32)  # taken by stream_file
        if opened.first is None:
            raise DecodeError("no audio samples", hint=_CORRUPT_HINT)
        with contextlib.closing(_native(opened, opened.first, path, max_seconds)) as native:
            yield from _rechunked(_resampled(native, opened.info.sample_rate, sample_rate), size)


def _native(
    opened: _Opened, first: np.ndarray, path: Path, max_seconds: float | None
) -> Generator[np.ndarray, None, None]:
    """The decoder's blocks; if libsndfile fails part-way, FFmpeg decodes the rest."""
    count = 0
    try:
        for block in itertools.chain([first], opened.blocks):
            yield block
            count += block.size
        return
    except Exception as exc:
        if not opened.soundfile:  # FFmpeg's reader already skips what it can
            log.warning("audio stream broke after %d samples (%s); keeping them", count, exc)
            return
        log.warning("libsndfile failed after %d samples (%s); FFmpeg goes on", count, exc)
    try:
        with _av_reader(path.open("rb"), max_seconds) as (info, blocks):
            if info.sample_rate != opened.info.sample_rate:
                raise ValueError(f"FFmpeg reads {info.sample_rate} Hz")
            for block in _skip(blocks, count):
                yield block
                count += block.size
    except Exception as exc:  # a stream that breaks part-way keeps what decoded
        log.warning("audio stream broke after %d samples (%s); keeping them", count, exc)


def _skip(blocks: Iterable[np.ndarray], n: int) -> Iterator[np.ndarray]:
    """The samples of ``blocks`` after the first ``n``."""
    for block in blocks:
        if block.size > n:
            yield block[n:]
        n = max(0, n - block.size)


def _resampled(blocks: Iterable[np.ndarray], rate_in: int, rate_out: int) -> Iterator[np.ndarray]:
    """Non-finite samples zeroed, then resampled as one stream, as decode_file does."""
    stream = None
    if rate_in != rate_out:
        stream = soxr.ResampleStream(rate_in, rate_out, 1, "float32", RESAMPLE_QUALITY)
    for block in blocks:
        if not np.isfinite(block).all():
            block = np.nan_to_num(block, nan=0.0, posinf=0.0, neginf=0.0)
        yield block if stream is None else stream.resample_chunk(block)
    if stream is not None:
        yield stream.resample_chunk(np.zeros(0, np.float32), last=True)


def _rechunked(arrays: Iterable[np.ndarray], size: int) -> Iterator[np.ndarray]:
    """The samples of ``arrays`` in chunks of ``size``, the last possibly shorter."""
    chunk, filled = np.empty(size, np.float32), 0
    for a in arrays:
        while a.size:
            n = min(size - filled, a.size)
            chunk[filled : filled + n] = a[:n]
            filled, a = filled + n, a[n:]
            if filled == size:
                yield chunk
                chunk, filled = np.empty(size, np.float32), 0
    if filled:
        yield chunk[:filled].copy()
