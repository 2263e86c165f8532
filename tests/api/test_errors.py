"""Every failure has the one error shape, including unknown routes and unexpected bugs."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from soundscout.search.service import SearchService
from tests.api.conftest import api_settings, assert_error
from tests.api.live import Library, LiveServer


@pytest.mark.parametrize(
    ("method", "url", "status", "code"),
    [
        ("GET", "/api/nothing-here", 404, "not_found"),
        ("GET", "/nothing-here", 404, "not_found"),
        ("GET", "/static/missing.js", 404, "not_found"),
        ("DELETE", "/api/search", 405, "method_not_allowed"),
        ("PUT", "/api/sounds/1", 405, "method_not_allowed"),
        ("GET", "/api/search?k=3", 422, "invalid_query"),
        ("GET", "/api/sounds/xyz/peaks", 422, "invalid_request"),
    ],
)
def test_error_shape(client: httpx.Client, method: str, url: str, status: int, code: str) -> None:
    assert_error(client.request(method, url), status, code)


class _BrokenService(SearchService):
    """A service whose statistics and searches hit a bug."""

    def stats(self) -> dict[str, object]:
        raise RuntimeError("boom")

    def search(self, **kwargs: object) -> object:  # type: ignore[override]
        raise ZeroDivisionError("kaboom")


@pytest.fixture(scope="module")
def broken_client(library: Library) -> Iterator[httpx.Client]:
    settings = api_settings(library.library)
    service = _BrokenService(settings)
    live = LiveServer(settings, service).start()
    with httpx.Client(base_url=live.url, timeout=60) as client:
        yield client
    live.stop()
    service.close()


def test_unexpected_exception_is_a_500_in_the_shape(
    broken_client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    message = assert_error(broken_client.get("/api/stats"), 500, "internal_error")
    assert "RuntimeError" in message and "boom" not in message  # no internals leak
    assert "ZeroDivisionError" in assert_error(broken_client.get("/api/search?q=x"), 500)
    assert any("Unexpected error in GET /api/stats" in r.getMessage() for r in caplog.records)
    assert broken_client.get("/api/health").status_code == 200  # the server lives on


def test_a_passed_in_service_stays_open(library: Library) -> None:
    settings = api_settings(library.library)
    service = SearchService(settings)
    live = LiveServer(settings, service).start()
    try:
        assert httpx.get(f"{live.url}/api/search?q=x&k=1").status_code == 200
    finally:
        live.stop()
    assert service.search(text="x", k=1).hits  # the caller still owns it
    service.close()
