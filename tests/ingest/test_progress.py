"""The `indexing` bar moves as files are embedded, not per committed batch, and is drawn
in a terminal that reports 0 columns."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from soundscout.ingest.progress import bar_layout
from tests.audiogen import tone, write_audio

N_SHORT = 10


def _counts(err: str, total: int) -> list[int]:
    """The file counts the `indexing` bar showed, in order."""
    return [int(n) for n in re.findall(rf"indexing:[^\r\n]*?(\d+)/{total} ", err)]


def test_bar_moves_before_the_first_commit_when_a_file_is_long(tmp_path: Path) -> None:
    """Eleven files, one of them 90 s long, commit together (commit_every 32): the bar
    still counts the short ones as they are embedded, before the long one and the commit."""
    root = tmp_path / "sounds"
    for i in range(N_SHORT):
        write_audio(root / f"s{i:02d}.wav", tone(200 + 40 * i, 0.5), 22050)
    write_audio(root / "s05_long.wav", tone(150, 90.0), 22050)
    # tqdm reads TQDM_* when imported: draw every update, in the child.
    env = _env(TQDM_MININTERVAL="0", TQDM_MINITERS="1", SOUNDSCOUT_INGEST__COMMIT_EVERY="32")
    proc = subprocess.run(
        [*_index(tmp_path, root), "--workers", "0", "--progress"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    total = N_SHORT + 1
    counts = _counts(proc.stderr, total)
    assert counts and counts[-1] == total, proc.stderr
    assert any(0 < n < total for n in counts), f"the bar only moved at the commit: {counts}"
    assert "1:35 of audio" in proc.stderr  # 90 s + 10 x 0.5 s: the audio behind the files


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOUNDSCOUT_", "TQDM_"))}
    return {**env, "SOUNDSCOUT_ENCODER__NAME": "tiny", **extra}


def _index(tmp_path: Path, root: Path) -> list[str]:
    cmd = [sys.executable, "-m", "soundscout.cli.main", "-L", str(tmp_path / "library")]
    return [*cmd, "index", str(root)]


def test_bar_layout_without_a_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """A terminal of 0 columns gets a fixed width (COLUMNS, else 80); a real one follows it."""
    master, slave = pty.openpty()
    try:
        stream = os.fdopen(slave, "w", closefd=False)
        _set_width(slave, 0)
        monkeypatch.delenv("COLUMNS", raising=False)
        monkeypatch.delenv("LINES", raising=False)
        assert bar_layout(stream) == {"ncols": 79, "nrows": 24}
        monkeypatch.setenv("COLUMNS", "120")
        assert bar_layout(stream) == {"ncols": 119, "nrows": 24}
        _set_width(slave, 100)
        assert bar_layout(stream) == {"dynamic_ncols": True}
    finally:
        os.close(master)
        os.close(slave)


def _set_width(fd: int, columns: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24 if columns else 0, columns, 0, 0))


def test_index_draws_a_bar_in_a_terminal_of_0_columns(tmp_path: Path) -> None:
    """`soundscout index` on a pty that reports 0 columns (some containers) still shows
    its bar (tqdm alone drew an empty line there)."""
    root = tmp_path / "sounds"
    for i in range(6):
        write_audio(root / f"s{i}.wav", tone(300 + 50 * i, 0.5), 22050)
    master, slave = pty.openpty()
    _set_width(slave, 0)
    env = _env()
    env.pop("COLUMNS", None)
    proc = subprocess.Popen(
        [*_index(tmp_path, root), "--workers", "0"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=slave,
    )
    os.close(slave)
    shown = _read_all(master, proc)
    assert proc.returncode == 0, shown
    bar = [line for line in re.split(r"[\r\n]", shown) if line.startswith("indexing:")]
    assert any("6/6" in line and "|" in line for line in bar), shown


def _read_all(master: int, proc: subprocess.Popen, timeout: float = 120) -> str:
    """Everything written to the pty until the process ends."""
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    os.close(master)
    return out.decode("utf-8", "replace")
