"""Every failure has the one error shape, including unknown routes and unexpected bugs."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from soundscout.api.middleware import MAX_JSON_BODY_BYTES
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


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("🚪💥", "Nothing to search for in '🚪💥'"),  # emoji hold no word
        ("!!! ...", "a query needs a word"),
        ("-metal -wood", "only leaves words out"),
    ],
)
def test_a_query_with_nothing_to_find_is_a_422(client: httpx.Client, text: str, said: str) -> None:
    assert said in assert_error(client.get("/api/search", params={"q": text}), 422, "invalid_query")
    response = client.post("/api/search", json={"text": text, "match": "words"})
    assert said in assert_error(response, 422, "invalid_query")


def test_a_wrong_method_names_the_ones_that_work(client: httpx.Client) -> None:
    response = client.put("/api/search?q=kick")
    message = assert_error(response, 405, "method_not_allowed")
    assert message.startswith("PUT is not allowed on /api/search; it takes GET, POST.")
    assert response.headers["allow"] == "GET, POST"
    response = client.post("/api/sounds/1")
    message = assert_error(response, 405, "method_not_allowed")
    assert message.startswith("POST is not allowed on /api/sounds/1; it takes GET.")


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


def test_a_huge_json_body_is_refused_before_it_is_read(client: httpx.Client) -> None:
    body = b'{"text": "' + b"a" * (MAX_JSON_BODY_BYTES + 1) + b'"}'
    headers = {"content-type": "application/json"}
    response = client.post("/api/search", content=body, headers=headers)
    assert "larger than" in assert_error(response, 413, "payload_too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it arrives
        yield b'{"text": "'
        for _ in range(MAX_JSON_BODY_BYTES // 65536 + 2):
            yield b"a" * 65536
        yield b'"}'

    chunked = client.post("/api/search", content=chunks(), headers=headers)
    assert "larger than" in assert_error(chunked, 413, "payload_too_large")
    small = client.post("/api/search", json={"text": "a" * 2000, "k": 1})
    assert small.status_code == 200


def test_a_long_format_list_is_a_422(client: httpx.Client) -> None:
    response = client.post(
        "/api/search", json={"text": "x", "filters": {"formats": ["wav"] * 100_000}}
    )
    assert response.status_code == 200  # duplicates collapse to one format
    many = [f"f{i}" for i in range(100)]
    response = client.post("/api/search", json={"text": "x", "filters": {"formats": many}})
    assert "At most 64 formats" in assert_error(response, 422, "invalid_query")
    response = client.get("/api/search", params={"q": "x", "format": many})
    assert "At most 64 formats" in assert_error(response, 422, "invalid_query")


@pytest.mark.parametrize(
    ("method", "url", "unknown", "hint"),
    [
        ("GET", "/api/search?q=x&formats=wav", "'formats'", "format"),  # a typo of format
        ("GET", "/api/search?text=kick", "'text'", "q,"),
        ("POST", "/api/search?k=1&format=flac", "'format', 'k'", "request body"),
        ("GET", "/api/stats?verbose=1", "'verbose'", "reads no query parameters (see"),
        ("GET", "/api/sounds/1/peaks?count=9", "'count'", "n;"),
    ],
)
def test_unknown_query_parameters_are_refused(
    client: httpx.Client, method: str, url: str, unknown: str, hint: str
) -> None:
    json = {"text": "kick"} if method == "POST" else None
    response = client.request(method, url, json=json)
    message = assert_error(response, 422, "invalid_query")
    assert f"Unknown query parameter {unknown}" in message
    assert hint in response.json()["error"]["hint"]


def test_upload_route_refuses_query_parameters(client: httpx.Client, library: Library) -> None:
    data = library.path(library.named("pads")[0]).read_bytes()
    files = {"file": ("pad.wav", data, "audio/wav")}
    response = client.post("/api/search/audio?k=1", files=files)
    assert "Unknown query parameter 'k'" in assert_error(response, 422, "invalid_query")
    assert (
        len(client.post("/api/search/audio", files=files, data={"k": "1"}).json()["results"]) == 1
    )


@pytest.mark.parametrize(
    "url",
    [
        "/api/health",
        "/api/stats",
        "/api/sounds/1",
        "/api/search?q=x",
        "/",
        "/docs",
        "/static/app.js",
    ],
)
def test_head_on_get_routes(client: httpx.Client, url: str) -> None:
    got = client.get(url)
    head = client.head(url)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert client.head("/api/sounds/999999").status_code == 404


@pytest.mark.parametrize(
    ("body", "content_type", "status", "needle"),
    [
        (b'{"text":', "application/json", 422, "not valid JSON at character 8"),
        (b'{"text": "\xff"}', "application/json", 400, "could not be read as JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", 400, "nested too deeply"),
        (b'{"text": "kick"}', "text/plain", 422, "Content-Type: application/json"),
        (b"[1, 2]", "application/json", 422, "A JSON object as the request body"),
        (b"", "application/json", 422, "A JSON object as the request body is required."),
    ],
)
def test_bodies_that_are_not_a_json_object(
    client: httpx.Client, body: bytes, content_type: str, status: int, needle: str
) -> None:
    response = client.post("/api/search", content=body, headers={"content-type": content_type})
    assert needle in assert_error(response, status)
