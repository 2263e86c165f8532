"""Session fixtures: one indexed library, live servers over it, httpx clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from soundscout.config import Settings
from tests.api.live import Library, LiveServer, build_library
from tests.conftest import make_settings

API_KEY = "s3cret-key"
MAX_UPLOAD_BYTES = 300_000
MAX_UPLOAD_SECONDS = 4.0


def api_settings(library_dir: Path, **overrides: object) -> Settings:
    """Test settings with small upload limits (tiny encoder, sequential ingest)."""
    return make_settings(
        library_dir,
        **{
            "server.max_upload_bytes": MAX_UPLOAD_BYTES,
            "server.max_upload_seconds": MAX_UPLOAD_SECONDS,
            "search.max_k": 50,
            **overrides,
        },
    )


@pytest.fixture(scope="session")
def library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    """The generated library, indexed once per session."""
    root = tmp_path_factory.mktemp("api")
    return build_library(root, api_settings(root / "library"))


@pytest.fixture(scope="session")
def server(library: Library) -> Iterator[LiveServer]:
    """A live server whose lifespan opens (and closes) its own search service."""
    live = LiveServer(api_settings(library.library)).start()
    yield live
    live.stop()


@pytest.fixture(scope="session")
def keyed_server(library: Library) -> Iterator[LiveServer]:
    """A live server over the same library that requires ``API_KEY``."""
    live = LiveServer(api_settings(library.library, **{"server.api_key": API_KEY})).start()
    yield live
    live.stop()


@pytest.fixture(scope="session")
def client(server: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client for the live server."""
    with httpx.Client(base_url=server.url, timeout=60) as http:
        yield http


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> str:
    """Check the shared error shape and status; return the message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "hint"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]["message"]
