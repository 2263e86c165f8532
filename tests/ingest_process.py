"""Run `soundscout index` in a child process and look at its catalog from outside."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path


def start_index(
    library: Path,
    root: Path,
    *args: str,
    new_session: bool = False,
    ctrl_c: bool = False,
    **env: str,
) -> subprocess.Popen:
    """Start `soundscout -L library index root ARGS` on the tiny encoder, small batches;
    ``env`` adds environment variables, ``new_session`` puts it in its own process group,
    ``ctrl_c`` lets SIGINT interrupt it even where this process ignores SIGINT (a
    background job's children inherit that)."""
    defaults = {
        "SOUNDSCOUT_ENCODER__NAME": "tiny",
        "SOUNDSCOUT_INGEST__COMMIT_EVERY": "4",
        "SOUNDSCOUT_ENCODER__BATCH_SIZE": "4",
    }
    environ = {**os.environ, **defaults, **env}
    cmd = [sys.executable, "-m", "soundscout.cli.main", "-L", str(library), "index", str(root)]
    return subprocess.Popen(
        [*cmd, "--no-progress", *args],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=new_session,
        preexec_fn=_default_sigint if ctrl_c else None,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def done_rows(db: Path) -> dict[int, tuple[float, bytes]]:
    """id → (embedded_at, vector bytes) of the done sounds, read-only, from another process."""
    if not db.exists():
        return {}
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        rows = conn.execute(
            "SELECT s.id, s.embedded_at, e.vector FROM sounds s JOIN embeddings e "
            "ON e.sound_id = s.id WHERE s.status = 'done'"
        ).fetchall()
    except sqlite3.OperationalError:  # the schema is not created yet
        return {}
    finally:
        conn.close()
    return {r[0]: (r[1], r[2]) for r in rows}


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Linux /proc)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            try:
                children = {int(c) for c in (task / "children").read_text().split()}
            except OSError:  # the process ended meanwhile
                continue
            todo.extend(children - found)
            found |= children
    return found


def wait_gone(pids: set[int], seconds: float = 20.0) -> None:
    """Wait until none of ``pids`` is alive; fail naming those still there."""
    deadline = time.monotonic() + seconds
    while alive := {pid for pid in pids if Path(f"/proc/{pid}").exists()}:
        assert time.monotonic() < deadline, f"orphaned helper processes {alive}"
        time.sleep(0.2)


def kill_index_after(
    library: Path, root: Path, workers: int, done_at_least: int
) -> tuple[subprocess.Popen[str], set[int]]:
    """Start an ingest and SIGKILL it once ``done_at_least`` files are committed; the
    killed process and the helper processes it had then (to check that they go too)."""
    proc = start_index(library, root, "--workers", str(workers))
    deadline = time.monotonic() + 120
    helpers: set[int] = set()
    try:
        while len(done_rows(library / "catalog.sqlite")) < done_at_least:
            assert proc.poll() is None, "ingest ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        helpers = descendants(proc.pid)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    return proc, helpers
