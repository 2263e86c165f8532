"""The decode worker processes of the local engine, and what they leave behind when killed.

Workers are forked from a forkserver (never from this process, whose threads and model
must not be copied), ignore Ctrl-C (the parent handles it) and exit within a second of
the parent's death, kill -9 included. The resource tracker that cleans the pool's
semaphores after such a death does it silently.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import resource_tracker

from soundscout.ingest.native_stderr import stderr_to_devnull


def decode_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` decode processes (use it as a context manager)."""
    context = multiprocessing.get_context("forkserver")
    _start_resource_tracker_quietly()
    return ProcessPoolExecutor(
        workers, mp_context=context, initializer=_worker_init, initargs=(os.getpid(),)
    )


def _worker_init(parent_pid: int) -> None:
    """Decode workers leave Ctrl-C to the parent, and exit when it is gone (kill -9)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()


def _start_resource_tracker_quietly() -> None:
    """Start multiprocessing's resource tracker with its stderr on /dev/null.

    The decode pool's queues hold named semaphores, which the tracker unlinks when this
    process dies before it could (kill -9). The tracker outlives it by a moment and then
    warned "There appear to be 5 leaked semaphore objects to clean up at shutdown" on
    the user's terminal, after the run: the clean-up is right, the message only noise.
    A tracker already running (started by something else) is left as it is.
    """
    with stderr_to_devnull():
        resource_tracker.ensure_running()


def _exit_with_parent(parent_pid: int, every: float = 1.0) -> None:
    while True:
        time.sleep(every)
        try:
            os.kill(parent_pid, 0)
        except ProcessLookupError:
            os._exit(1)  # nobody is left to take this worker's results
        except PermissionError:
            pass  # the pid exists
