"""The optional API key: required on every /api route but health when configured."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import API_KEY, assert_error
from tests.api.live import Library, LiveServer

PROTECTED = ["/api/stats", "/api/search?q=kick", "/api/sounds/3", "/api/sounds/3/peaks"]


def test_health_needs_no_key(keyed_server: LiveServer) -> None:
    assert httpx.get(f"{keyed_server.url}/api/health").json()["ok"] is True


@pytest.mark.parametrize("path", PROTECTED)
def test_missing_key_is_401(keyed_server: LiveServer, path: str) -> None:
    response = httpx.get(keyed_server.url + path)
    assert "requires an API key" in assert_error(response, 401, "unauthorized")


@pytest.mark.parametrize(
    "headers",
    [{"X-API-Key": "wrong"}, {"Authorization": f"Bearer {API_KEY}x"}, {"X-API-Key": ""}],
)
def test_wrong_key_is_401(keyed_server: LiveServer, headers: dict) -> None:
    response = httpx.get(f"{keyed_server.url}/api/stats", headers=headers)
    assert_error(response, 401, "unauthorized")


@pytest.mark.parametrize(
    "credentials",
    [
        {"headers": {"X-API-Key": API_KEY}},
        {"headers": {"Authorization": f"Bearer {API_KEY}"}},
        {"cookies": {"soundscout_api_key": API_KEY}},
    ],
)
@pytest.mark.parametrize("path", [*PROTECTED, "/api/sounds/3/audio"])
def test_right_key_is_accepted(
    keyed_server: LiveServer, library: Library, credentials: dict, path: str
) -> None:
    assert library.ids["hats/hat_00.opus"] == 3  # a sound that decodes
    with httpx.Client(base_url=keyed_server.url, **credentials) as client:
        assert client.get(path).status_code == 200


def test_upload_needs_the_key(keyed_server: LiveServer, library: Library) -> None:
    data = library.path("kicks/kick_00.wav").read_bytes()
    url = f"{keyed_server.url}/api/search/audio"
    assert_error(httpx.post(url, files={"file": ("k.wav", data)}), 401)
    with_key = httpx.post(url, files={"file": ("k.wav", data)}, headers={"X-API-Key": API_KEY})
    assert with_key.status_code == 200


def test_page_and_docs_stay_public(keyed_server: LiveServer) -> None:
    for path in ("/", "/docs", "/openapi.json"):
        assert httpx.get(keyed_server.url + path).status_code == 200


def test_no_key_configured_means_open(client: httpx.Client) -> None:
    assert client.get("/api/stats").status_code == 200
