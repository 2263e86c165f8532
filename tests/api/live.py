"""A real uvicorn server on 127.0.0.1, in a background thread, for API and browser tests."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from soundscout.api.app import create_app
from soundscout.config import Settings
from soundscout.search.service import SearchService
from tests.audiogen import make_library, tone, write_audio, write_corrupt


@dataclass
class Library:
    """A generated, indexed sound library and what the tests need to know about it."""

    sounds: Path
    library: Path
    broken: Path
    gone: Path
    ids: dict[str, int]  # catalog id by path relative to ``sounds``, e.g. "kicks/kick_00.wav"

    def path(self, name: str) -> Path:
        """The file of a sound, by relative path."""
        return self.sounds / name

    def named(self, folder: str) -> list[str]:
        """Relative paths of the sounds in one folder, sorted."""
        return sorted(n for n in self.ids if n.startswith(folder + "/"))


def build_library(root: Path, settings: Settings) -> Library:
    """Generate kicks/hats/pads/tones, a corrupt file and a file deleted after indexing."""
    sounds = root / "sounds"
    make_library(sounds, n_per_kind=3)
    broken = write_corrupt(sounds / "broken" / "truncated.wav", "truncated_wav")
    gone = write_audio(sounds / "gone" / "vanished.wav", tone(2000, 1.0, kind="chirp"), 22050)
    ids = index_once(sounds, settings)
    gone.unlink()
    return Library(sounds, settings.library_path, broken, gone, ids)


def index_once(sounds: Path, settings: Settings) -> dict[str, int]:
    """Index ``sounds`` into the library of ``settings``; catalog id by relative path."""
    service = SearchService(settings)
    try:
        service.index_folder(sounds, progress=False)
        rows = service.catalog.rows_under(str(sounds))
    finally:
        service.close()
    return {Path(p).relative_to(sounds).as_posix(): row.id for p, row in rows.items()}


class LiveServer:
    """Serve ``create_app(settings, service)`` on a free loopback port until :meth:`stop`."""

    def __init__(self, settings: Settings, service: SearchService | None = None) -> None:
        self.settings = settings
        self.app = create_app(settings, service)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, log_level="warning", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )

    def start(self, timeout: float = 60.0, ready: bool = True) -> LiveServer:
        """Start serving and wait until the app's lifespan has finished starting and (with
        ``ready``) its index and model have loaded."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not (self._server.started and (self.app.state.readiness.ready or not ready)):
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the test server on {self.url} did not start")
            time.sleep(0.02)
        return self

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """Wait until the app's index and model have loaded; whether they did in time."""
        deadline = time.monotonic() + timeout
        while not self.app.state.readiness.ready:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def stop(self) -> None:
        """Ask uvicorn to shut down (running the lifespan's exit) and wait for it."""
        self._server.should_exit = True
        self._thread.join(timeout=30)
