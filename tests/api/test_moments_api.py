"""Moments over HTTP: `moments` in the query string, the JSON body and the upload form."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import api_settings, assert_error
from tests.api.live import LiveServer, index_once
from tests.moments import A_AT, B_AT, MomentsLibrary, iou, make_moments_library, span

UPLOAD = "/api/search/audio"


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> tuple[MomentsLibrary, dict[str, int]]:
    """The moments library, indexed once; ids by path relative to its sounds."""
    root = tmp_path_factory.mktemp("moments_api")
    sounds = make_moments_library(root)
    ids = index_once(sounds.sounds, api_settings(root / "library"))
    return sounds, ids


@pytest.fixture(scope="module")
def client(lib) -> Iterator[httpx.Client]:
    sounds, _ = lib
    server = LiveServer(api_settings(sounds.sounds.parent / "library")).start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            yield http
    finally:
        server.stop()


def _ok(response: httpx.Response) -> list[dict]:
    assert response.status_code == 200, response.text
    return response.json()["results"]


def _long_paths(sounds: MomentsLibrary) -> set[str]:
    return {str(p) for p in sounds.long}


def _check(
    hits: list[dict], sounds: MomentsLibrary, with_moments: bool, text: bool = False
) -> None:
    """Every hit has a `moments` list: ranges inside long sounds, best first; else empty
    (``text``: a text query's, which has no pattern)."""
    assert hits
    for hit in hits:
        moments = hit["moments"]
        assert isinstance(moments, list)
        if not with_moments or hit["path"] not in _long_paths(sounds):
            assert moments == [], hit["path"]
            continue
        assert 1 <= len(moments) <= 3, hit["path"]
        for m in moments:
            assert set(m) == {"start", "end", "score", "pattern"}
            assert all(isinstance(m[key], float) for key in ("start", "end", "score"))
            assert isinstance(m["pattern"], bool)
            assert 0.0 <= m["start"] < m["end"] <= hit["duration"] + 1e-6
        # the query sound itself first, when found; the others best first (a text query:
        # a sound as the query puts where its pattern fits clearly first)
        flags = [m["pattern"] for m in moments]
        assert flags == sorted(flags, reverse=True)
        scores = [m["score"] for m in moments]
        assert not text or scores == sorted(scores, reverse=True)


def _best(hits: list[dict], path: Path) -> tuple[float, float]:
    [hit] = [h for h in hits if h["path"] == str(path)]
    return hit["moments"][0]["start"], hit["moments"][0]["end"]


def test_get_with_moments(client: httpx.Client, lib) -> None:
    sounds, ids = lib
    hits = _ok(client.get("/api/search", params={"q": "square beep", "k": 50, "moments": "true"}))
    _check(hits, sounds, with_moments=True, text=True)
    assert _long_paths(sounds) <= {h["path"] for h in hits}
    hum = ids["hum/hum_3.wav"]
    by_id = _ok(client.get("/api/search", params={"sound_id": hum, "k": 5, "moments": "1"}))
    _check(by_id, sounds, with_moments=True)
    assert hum not in [h["id"] for h in by_id]


@pytest.mark.parametrize("value", [None, "false", "0"])
def test_get_without_moments_gives_empty_lists(client: httpx.Client, lib, value) -> None:
    sounds, _ = lib
    params = {"q": "square beep", "k": 50, **({"moments": value} if value else {})}
    _check(_ok(client.get("/api/search", params=params)), sounds, with_moments=False)


def test_post_with_and_without_moments(client: httpx.Client, lib) -> None:
    sounds, ids = lib
    body = {"sound_id": ids["hum/hum_3.wav"], "k": 20}
    with_them = _ok(client.post("/api/search", json={**body, "moments": True}))
    _check(with_them, sounds, with_moments=True)
    start, end = _best(with_them, sounds.field_a)
    assert end - start == pytest.approx(2.0, abs=0.01)  # as long as the 2 s reference
    for off in ({**body, "moments": False}, body):
        _check(_ok(client.post("/api/search", json=off)), sounds, with_moments=False)
    got = _ok(client.get("/api/search", params={**body, "moments": "true"}))
    assert [(h["id"], h["moments"]) for h in got] == [(h["id"], h["moments"]) for h in with_them]


def test_upload_with_moments_finds_the_burst(client: httpx.Client, lib) -> None:
    sounds, _ = lib
    data = sounds.query.read_bytes()
    files = {"file": ("burst.wav", data, "audio/wav")}
    hits = _ok(client.post(UPLOAD, files=files, data={"k": "10", "moments": "true"}))
    _check(hits, sounds, with_moments=True)
    assert {h["path"] for h in hits[:2]} == {str(sounds.field_a), str(sounds.field_b)}
    assert iou(_best(hits, sounds.field_a), span(A_AT)) >= 0.5
    assert iou(_best(hits, sounds.field_b), span(B_AT)) >= 0.5
    # the uploaded burst itself is in both: found by its pattern
    assert all(h["moments"][0]["pattern"] for h in hits[:2])
    assert not any(m["pattern"] for h in hits[2:] for m in h["moments"])
    off = _ok(client.post(UPLOAD, files=files, data={"k": "10", "moments": "false"}))
    _check(off, sounds, with_moments=False)


@pytest.mark.parametrize("value", ["maybe", "2", "yes please"])
def test_a_bad_moments_value_is_422(client: httpx.Client, lib, value: str) -> None:
    sounds, _ = lib
    got = client.get("/api/search", params={"q": "beep", "moments": value})
    assert "moments" in assert_error(got, 422)
    files = {"file": ("burst.wav", sounds.query.read_bytes(), "audio/wav")}
    assert "moments" in assert_error(client.post(UPLOAD, files=files, data={"moments": value}), 422)


@pytest.mark.parametrize("value", ["maybe", 2, [True], {"on": True}, None])
def test_a_bad_moments_in_json_is_422(client: httpx.Client, value: object) -> None:
    got = client.post("/api/search", json={"text": "beep", "moments": value})
    assert "moments" in assert_error(got, 422)
