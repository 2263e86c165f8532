"""Catch what native decoders print on this process's stderr while a file is decoded.

libmpg123 (inside libsndfile) and FFmpeg write their notes (``Cannot read next header``,
``Xing stream size off``) straight to file descriptor 2: Python's ``sys.stderr`` never sees
them, so during ``index`` they printed through the progress bar. :func:`captured_stderr`
points fd 2 at a temporary file while a block runs and hands back the lines written, to be
stored on the sound instead.

fd 2 belongs to the whole process, so one module lock guards it: a block that cannot take
it in time runs uncaptured rather than waiting, and :func:`stderr_free` lets another thread
(the progress bar's clock) write only while no capture is under way.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

MAX_LINES = 20  # lines kept per file; the rest are counted
MAX_BYTES = 16384  # bytes read back per file; the rest are dropped
_WAIT = 0.5  # seconds a capture waits for another thread's use of fd 2

_fd2 = threading.Lock()
_sinks: dict[int, BinaryIO] = {}  # one capture file per process id (a forked child opens its own)


@dataclass
class Captured:
    """What the native libraries printed during one :func:`captured_stderr` block."""

    lines: tuple[str, ...] = ()


@contextmanager
def captured_stderr() -> Iterator[Captured]:
    """Route fd 2 to a temporary file for the block; ``lines`` holds what was written.

    Nothing printed in the block reaches the real stderr. When fd 2 cannot be redirected
    (no temporary folder, another thread capturing) the block runs as it would without.
    """
    out = Captured()
    if not _fd2.acquire(timeout=_WAIT):
        yield out
        return
    try:
        sink = _sink()
        if sink is None:
            yield out
            return
        _flush()
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield out
        finally:
            _flush()
            os.dup2(saved, 2)
            os.close(saved)
            out.lines = _read_back(sink)
    finally:
        _fd2.release()


@contextmanager
def stderr_free() -> Iterator[bool]:
    """True when fd 2 is this process's own stderr and stays so for the block (no capture
    under way); False, without waiting, when a capture holds it."""
    free = _fd2.acquire(blocking=False)
    try:
        yield free
    finally:
        if free:
            _fd2.release()


@contextmanager
def stderr_to_devnull() -> Iterator[None]:
    """Point fd 2 at /dev/null for the block: a helper process started in it keeps that
    stderr for its whole life."""
    with _fd2:
        _flush()
        saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _sink() -> BinaryIO | None:
    """This process's capture file, created on first use; None if it cannot be."""
    pid = os.getpid()
    if pid not in _sinks:
        try:
            _sinks[pid] = tempfile.TemporaryFile(buffering=0)  # noqa: SIM115 (kept open)
        except OSError:
            return None
    return _sinks[pid]


def _flush() -> None:
    """Write out what Python buffered for stderr, so it goes where it was meant to."""
    try:
        if sys.stderr is not None:
            sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _read_back(sink: BinaryIO) -> tuple[str, ...]:
    """The distinct non-blank lines written to ``sink`` (at most MAX_LINES), then empty it."""
    try:
        sink.seek(0)
        data = sink.read(MAX_BYTES) or b""
        sink.seek(0)
        sink.truncate()
    except OSError:
        return ()
    stripped = (line.strip() for line in data.decode("utf-8", "replace").splitlines())
    lines = list(dict.fromkeys(line for line in stripped if line))
    if len(lines) > MAX_LINES:
        lines = [*lines[:MAX_LINES], f"... and {len(lines) - MAX_LINES} more lines"]
    return tuple(lines)
