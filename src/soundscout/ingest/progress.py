"""The progress bars of ``index``: drawn in any terminal, moving while long files embed.

The ``indexing`` bar counts files, advanced as each embedded group (or failed file) comes
back rather than per committed batch, with the audio behind them in its postfix; a clock
thread redraws it once a second, so elapsed time and what is being embedded stay current
while a long file holds the model. A terminal that reports 0 columns (some containers and
CI ptys) gets an 80-column bar instead of none.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TextIO

from tqdm.auto import tqdm

from soundscout.ingest.native_stderr import stderr_free

FALLBACK_COLUMNS = 80
FALLBACK_ROWS = 24
TICK_SECONDS = 1.0


def bar_layout(stream: TextIO | None = None) -> dict[str, object]:
    """tqdm size arguments for ``stream`` (default stderr): follow the terminal's size, or
    a fixed one where the terminal reports 0 columns (``COLUMNS`` if set, else 80): tqdm
    would size the bar -1 wide on -1 rows and draw nothing."""
    stream = stream if stream is not None else sys.stderr
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, ValueError, OSError):  # not a terminal: tqdm's own default
        return {}
    if size.columns > 0 and size.lines > 0:
        return {"dynamic_ncols": True}
    width = _positive(os.environ.get("COLUMNS"), size.columns or FALLBACK_COLUMNS)
    rows = _positive(os.environ.get("LINES"), size.lines or FALLBACK_ROWS)
    return {"ncols": width - 1, "nrows": rows}  # the last column would wrap the line


def _positive(text: str | None, default: int) -> int:
    return int(text) if text and text.isdigit() and int(text) > 0 else default


def new_bar(total: int, desc: str, enabled: bool) -> tqdm:
    """A files bar that draws in any terminal (see :func:`bar_layout`)."""
    return tqdm(total=total, unit="file", desc=desc, disable=not enabled, **bar_layout())


def clock(seconds: float) -> str:
    """``1:02:03`` or ``2:03``: an amount of audio as people read it."""
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class IngestProgress:
    """The ``indexing`` bar over ``total`` pending files (see the module docstring)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar = new_bar(total, "indexing", enabled)
        self.done = 0  # files done (embedded or failed); counted even with the bar hidden
        self.audio = 0.0  # seconds of audio in the files done
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        if enabled:
            self._ticker = threading.Thread(target=self._tick, name="progress-clock", daemon=True)
            self._ticker.start()

    def embedding(self, files: int, seconds: float) -> None:
        """Say what the model is working on now: drawn by the clock if it takes a while,
        replaced by the next :meth:`advance`."""
        what = f"{files} file{'s' if files != 1 else ''}"
        self.bar.set_postfix_str(f"embedding {what}, {clock(seconds)} of audio", refresh=False)

    def advance(self, files: int, seconds: float) -> None:
        """Count ``files`` more done, holding ``seconds`` of audio."""
        self.done += files
        self.audio += seconds
        self.bar.set_postfix_str(f"{clock(self.audio)} of audio", refresh=False)
        self.bar.update(files)

    def close(self) -> None:
        """Stop the clock and close the bar."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        self.bar.close()

    def _tick(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            with stderr_free() as free:
                if free:  # not while a decode in this process has fd 2 captured
                    self.bar.refresh()
