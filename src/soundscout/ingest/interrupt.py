"""Ctrl-C that is not lost inside a native library's callback.

libsndfile reads Python file objects through cffi callbacks, and cffi prints and drops an
exception raised in one ("Exception ignored from cffi callback ... KeyboardInterrupt"): a
Ctrl-C landing while a file decoded in this process was lost, and the run went on.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def sigint_deferred() -> Iterator[None]:
    """Hold Ctrl-C until the block ends, then raise KeyboardInterrupt.

    Only in the main thread while Ctrl-C raises KeyboardInterrupt (Python's default
    handler); anywhere else (decode workers ignore SIGINT) the block runs as it is.
    """
    main = threading.current_thread() is threading.main_thread()
    if not main or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return
    caught: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)

    previous = signal.signal(signal.SIGINT, hold)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt
