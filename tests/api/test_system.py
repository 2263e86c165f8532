"""Health, stats, the OpenAPI docs and the web page's static files."""

from __future__ import annotations

import httpx

from soundscout import __version__
from tests.api.conftest import MAX_UPLOAD_BYTES
from tests.api.live import Library


def test_health(client: httpx.Client) -> None:
    body = client.get("/api/health").json()
    assert body["ok"] is True and body["version"] == __version__


def test_stats(client: httpx.Client, library: Library) -> None:
    body = client.get("/api/stats").json()
    assert body["sounds"] == {"pending": 0, "done": 13, "failed": 1, "total": 14}
    assert body["encoder"]["name"] == "tiny" and body["encoder"]["dim"] == 64
    assert body["index"]["count"] == 13 and body["index"]["stale"] is False
    assert body["roots"] == [str(library.sounds)]
    [failure] = body["failures"]
    assert failure["id"] == library.ids["broken/truncated.wav"]
    assert failure["path"] == str(library.broken)
    assert "truncated or corrupt WAV header" in failure["error"]
    assert body["limits"]["max_upload_bytes"] == MAX_UPLOAD_BYTES
    assert body["limits"]["max_k"] == 50


def test_docs_are_served_without_a_cdn(client: httpx.Client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "/openapi.json" in page.text
    assert "cdn." not in page.text and "/docs-assets/swagger-ui-bundle.js" in page.text
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200


def test_openapi_lists_every_route(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths) == {
        "/api/health",
        "/api/stats",
        "/api/categories",
        "/api/search",
        "/api/search/audio",
        "/api/sounds/{sound_id}",
        "/api/sounds/{sound_id}/audio",
        "/api/sounds/{sound_id}/peaks",
        "/api/duplicates",
        "/api/duplicates/export.csv",
    }
    upload = paths["/api/search/audio"]["post"]["requestBody"]["content"]
    assert "file" in upload["multipart/form-data"]["schema"]["properties"]


def test_page_and_static_files(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for name, mime in (("app.js", "javascript"), ("app.css", "text/css")):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200 and mime in response.headers["content-type"]
        assert f"/static/{name}" in page.text
