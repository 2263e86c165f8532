"""An ``index`` run in progress, as other processes see it (``status``, the server).

The runner publishes ``indexing.json`` in the library folder: its pid, the folder, the
phase, when it started, total and done files, when it last wrote. The file is replaced
atomically (temp file + ``os.replace``) at most twice a second and removed when the
run ends, on errors and Ctrl-C too. For the whole run the runner also holds an exclusive
``flock`` on ``indexing.lock``; the kernel drops it when the process dies, kill -9
included, so :func:`read_run_state` tells a live run from the file a killed one left
behind without trusting pids (reused, or from another container's pid namespace).
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: pids decide there
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

RUN_STATE_FILENAME = "indexing.json"
RUN_LOCK_FILENAME = "indexing.lock"
WRITE_EVERY = 0.5  # seconds between two writes of the progress counters
_LOCK_WAIT = 2.0  # seconds to wait for a reader's probe of the lock to pass


@dataclass(frozen=True)
class RunState:
    """What a running ``index`` last published.

    ``phase`` is ``scanning`` (``total`` is None then), ``indexing`` (decoding and
    embedding) or ``reading tags`` / ``reading bit depths`` (sounds indexed before,
    nothing embedded). ``started`` and ``updated`` are Unix times.
    """

    pid: int
    root: str
    phase: str
    started: float
    updated: float
    total: int | None
    done: int


def read_run_state(library_path: Path) -> RunState | None:
    """The state of the ``index`` run changing this library now; None when none is
    running (no file, an unreadable one, or one left by a run that was killed)."""
    try:
        data = json.loads((Path(library_path) / RUN_STATE_FILENAME).read_text(encoding="utf-8"))
        state = RunState(**data)
    except (OSError, ValueError, TypeError):
        return None
    return state if _run_alive(Path(library_path), state.pid) else None


class RunStatePublisher:
    """Publishes one run's :class:`RunState` (a context manager: the file goes at exit)."""

    def __init__(self, library_path: Path, root: str) -> None:
        self.folder = Path(library_path)
        self.path = self.folder / RUN_STATE_FILENAME
        self._lock_fd: int | None = None
        self._last_write = 0.0
        now = time.time()
        self.state = RunState(os.getpid(), root, "scanning", now, now, None, 0)

    def __enter__(self) -> RunStatePublisher:
        self._lock_fd = _hold_lock(self.folder / RUN_LOCK_FILENAME)
        self._write()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.path.unlink(missing_ok=True)
        except OSError as err:
            log.debug("cannot remove %s: %s", self.path, err)
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None

    def phase(self, phase: str, total: int | None) -> None:
        """Start a new phase over ``total`` files (written at once)."""
        self.state = _replace(self.state, phase=phase, total=total, done=0)
        self._write()

    def progress(self, done: int, now: bool = False) -> None:
        """Files done in this phase (written at most once every WRITE_EVERY seconds, or
        at once with ``now``)."""
        self.state = _replace(self.state, done=done)
        if now or time.monotonic() - self._last_write >= WRITE_EVERY:
            self._write()

    def _write(self) -> None:
        """Replace the file atomically; a failure is logged, never raised (the run goes on)."""
        self.state = _replace(self.state, updated=time.time())
        temp = self.path.with_name(f".{RUN_STATE_FILENAME}.{os.getpid()}.tmp")
        try:
            temp.write_text(json.dumps(asdict(self.state)), encoding="utf-8")
            os.replace(temp, self.path)
        except OSError as err:
            log.debug("cannot write %s: %s", self.path, err)
        self._last_write = time.monotonic()


def _replace(state: RunState, **changes: object) -> RunState:
    return RunState(**{**asdict(state), **changes})  # type: ignore[arg-type]


def _hold_lock(path: Path) -> int | None:
    """An fd holding an exclusive flock on ``path``; None where none can be had (then
    readers fall back to the pid)."""
    if fcntl is None:
        return None
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        log.debug("cannot open %s: %s", path, err)
        return None
    deadline = time.monotonic() + _LOCK_WAIT
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:  # another run holds it: readers see that one
                break
            time.sleep(0.01)  # a reader's probe holds it for microseconds
        except OSError as err:  # no flock on this file system
            log.debug("cannot lock %s: %s", path, err)
            break
    os.close(fd)
    return None


def _run_alive(folder: Path, pid: int) -> bool:
    """Whether the run that wrote the state still runs: its lock is held; where locks
    cannot tell (no lock file, no flock), whether its pid is alive."""
    held = _lock_held(folder / RUN_LOCK_FILENAME)
    return held if held is not None else _pid_alive(pid)


def _lock_held(path: Path) -> bool | None:
    """True if a process holds ``path``'s flock, False if none does, None if unknown."""
    if fcntl is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # released when fd closes
        return False
    except BlockingIOError:
        return True
    except OSError:
        return None
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    except OSError:
        return False
    return True
