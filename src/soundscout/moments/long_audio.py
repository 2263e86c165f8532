"""Embed a long recording piece by piece, in bounded memory.

A file longer than ``ingest.stream_seconds`` is decoded in pieces of that length
(:func:`soundscout.audio.stream.stream_file`); each piece, with the tail of the one before
it, goes through the encoder's windows, cut where the encoder's window grid continues in
the next piece, so the windows are those of the whole file (up to a few frames of padding
at piece edges). The file's vector is the normalised mean of its window vectors (the
builtin and clap rule); its "same recording" fingerprint comes from its first piece, and
the hash of its decoded audio from every piece in turn.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import numpy as np

from soundscout.duplicates.fingerprint import Print, compute
from soundscout.encoders.base import Encoder, l2_normalize
from soundscout.moments.occurrence import PrintBuilder
from soundscout.moments.segments import Segments, segments_from_windows


@dataclass(frozen=True)
class LongEmbedding:
    """What embedding a streamed file gives."""

    vector: np.ndarray
    segments: Segments
    audio_hash: str
    fingerprint: Print | None
    seconds: float  # of audio embedded


def streamed_audio_hash(
    path: str, sample_rate: int, *, piece_seconds: float, max_seconds: float | None
) -> str:
    """The hash :func:`embed_long` gives a file's decoded audio, without embedding it (a
    tenth of the work): a file whose tags alone changed keeps its vector and segments."""
    from soundscout.audio.stream import stream_file

    digest = hashlib.sha1()
    streamed = stream_file(path, sample_rate, chunk_seconds=piece_seconds, max_seconds=max_seconds)
    for chunk in streamed.chunks:
        digest.update(np.ascontiguousarray(chunk, dtype=np.float32).tobytes())
    return digest.hexdigest()


def window_grid(encoder: Encoder) -> tuple[int, int] | None:
    """(window, hop) in samples of the encoder's windows; None when it has one window."""
    rate = encoder.sample_rate
    times = encoder.window_times(rate * 60)
    if len(times) < 2:
        return None
    window = int(round((times[0][1] - times[0][0]) * rate))
    hop = int(round((times[1][0] - times[0][0]) * rate))
    return (window, hop) if 0 < hop <= window else None


def embed_long(
    encoder: Encoder,
    path: str,
    *,
    piece_seconds: float,
    max_seconds: float | None,
    per_segment: int,
) -> LongEmbedding:
    """Stream ``path`` and embed it window by window (see the module docstring).

    Raises:
        DecodeError: the file cannot be decoded (or nothing of it decodes).
        ValueError: the encoder has no window grid to stream along.
    """
    from soundscout.audio.stream import stream_file

    grid = window_grid(encoder)
    if grid is None:
        raise ValueError(f"the {encoder.name} encoder has no windows to stream a file along")
    window, hop = grid
    rate = encoder.sample_rate
    streamed = stream_file(path, rate, chunk_seconds=piece_seconds, max_seconds=max_seconds)
    digest, fingerprint, prints = hashlib.sha1(), None, PrintBuilder(rate)
    vectors: list[np.ndarray] = []
    times: list[tuple[float, float]] = []
    carry, offset, total = np.zeros(0, np.float32), 0, 0  # offset: carry's first sample
    tail = carry
    for chunk in streamed.chunks:
        digest.update(np.ascontiguousarray(chunk, dtype=np.float32).tobytes())
        if fingerprint is None:
            fingerprint = compute(chunk, rate)
        prints.add(chunk)
        total += len(chunk)
        buffer = np.concatenate([carry, chunk]) if len(carry) else chunk
        if len(buffer) < window + hop:
            carry = buffer
            continue
        cut = ((len(buffer) - window) // hop + 1) * hop  # windows starting before it fit
        inner = buffer[: cut - hop + window]
        _add_windows(encoder, inner, offset, vectors, times, keep_before=cut, hop=hop)
        tail = buffer[-(window + hop) :]  # for the last window, which ends at the end
        carry, offset = buffer[cut:], offset + cut
    if not vectors:  # shorter than two windows: all of it at once
        _add_windows(encoder, carry, offset, vectors, times, keep_before=None, hop=hop)
    elif len(carry):  # the window ending at the end, as the whole file's rule has it
        piece = np.concatenate([tail, carry])[-(window + hop) :]
        _add_last_window(encoder, piece, offset + len(carry) - len(piece), vectors, times)
    window_vectors = np.concatenate(vectors)
    segments = segments_from_windows(window_vectors, times, per_segment)
    return LongEmbedding(
        vector=l2_normalize(window_vectors.mean(axis=0)),
        segments=replace(segments, prints=prints.finish()),
        audio_hash=digest.hexdigest(),
        fingerprint=fingerprint,
        seconds=total / rate,
    )


def _add_last_window(
    encoder: Encoder,
    piece: np.ndarray,
    offset: int,
    vectors: list[np.ndarray],
    times: list[tuple[float, float]],
) -> None:
    """Embed the final window of ``piece`` (which ends at the end of the file), unless a
    window already kept starts as late."""
    piece_times = encoder.window_times(len(piece))
    start, end = piece_times[-1]
    base = offset / encoder.sample_rate
    if base + start <= times[-1][0] + 1e-6:
        return
    vectors.append(encoder.embed_windows(piece)[-1:])
    times.append((base + start, base + end))


def _add_windows(
    encoder: Encoder,
    piece: np.ndarray,
    offset: int,
    vectors: list[np.ndarray],
    times: list[tuple[float, float]],
    keep_before: int | None,
    hop: int,
) -> None:
    """Embed a piece's windows, keeping those on the ``hop`` grid starting before
    ``keep_before`` samples (None: all of them)."""
    if len(piece) == 0:
        return
    rate = encoder.sample_rate
    piece_times = encoder.window_times(len(piece))
    starts = [int(round(start * rate)) for start, _ in piece_times]
    keep = [  # inner pieces: the grid's windows only (an end-aligned extra comes later)
        i
        for i, start in enumerate(starts)
        if keep_before is None or (start < keep_before and start % hop == 0)
    ]
    if not keep:
        return
    found = encoder.embed_windows(piece)
    vectors.append(found[keep])
    base = offset / rate
    times.extend((base + piece_times[i][0], base + piece_times[i][1]) for i in keep)
