"""Ctrl-C while libsndfile reads a file in this process is raised, not dropped by cffi."""

from __future__ import annotations

import io
import os
import signal
from collections.abc import Iterator

import pytest
import soundfile as sf

from soundscout.ingest.interrupt import sigint_deferred
from tests.audiogen import tone


@pytest.fixture(autouse=True)
def ctrl_c_raises() -> Iterator[None]:
    """Python's own Ctrl-C handler, as in a terminal (a background job ignores SIGINT)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


class _CtrlCOnFirstRead(io.BytesIO):
    """WAV bytes whose first read gets a Ctrl-C: it lands in soundfile's cffi callback."""

    sent = False

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if not self.sent:
            self.sent = True
            os.kill(os.getpid(), signal.SIGINT)
        return super().readinto(buffer)


def _wav() -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, tone(440, 0.5), 22050, format="WAV")
    return buffer.getvalue()


def test_ctrl_c_inside_a_native_callback_is_raised_after_the_block() -> None:
    decoded = None
    with pytest.raises(KeyboardInterrupt), sigint_deferred():
        decoded, _ = sf.read(_CtrlCOnFirstRead(_wav()))
    assert decoded is not None and len(decoded) == 11025  # the file was read to its end
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_without_ctrl_c_nothing_is_raised() -> None:
    with sigint_deferred():
        decoded, _ = sf.read(io.BytesIO(_wav()))
    assert len(decoded) == 11025
