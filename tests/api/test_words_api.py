"""Words through the HTTP API, against a live server over a library with real metadata."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import soundfile as sf

from soundscout.search.service import SearchService
from tests.api.conftest import api_settings, assert_error
from tests.api.live import LiveServer
from tests.taggen import (
    BAD_METADATA,
    ODD_QUERIES,
    SR,
    bext_chunk,
    ixml_chunk,
    plain,
    sound,
    wav,
    write_bad_metadata,
)

WOOD = "DOORWood_Slam Heavy Wooden Door_JD_LIB.wav"
METAL = "DOORMetl_Vault Clang_JD_LIB.wav"


class Served:
    def __init__(self, root: Path, ids: dict[str, int], client: httpx.Client) -> None:
        self.root, self.ids, self.client = root, ids, client


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("api_words")
    root = tmp / "sounds"
    wav(root / "clip_bext.wav", 1, front=[bext_chunk(b"zorblax rumble")])
    wav(root / "clip_keys.wav", 2, front=[ixml_chunk({"KEYWORDS": "quenthor, hinge"})])
    plain(root / "Impact_Metal_Clang.wav", 3)
    plain(root / "Impact_Wood_Thud.wav", 4)
    plain(root / "doors" / WOOD, 5)
    plain(root / "doors" / METAL, 6)
    write_bad_metadata(root / "bad")
    settings = api_settings(tmp / "library")
    service = SearchService(settings)
    try:
        assert service.index_folder(root, progress=False).failed == 0
        rows = service.catalog.rows_under(str(root))
    finally:
        service.close()
    ids = {Path(p).relative_to(root).as_posix(): row.id for p, row in rows.items()}
    live = LiveServer(settings).start()
    with httpx.Client(base_url=live.url, timeout=60) as client:
        yield Served(root, ids, client)
    live.stop()


def _get(served: Served, **params: object) -> dict:
    response = served.client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _names(body: dict) -> list[str]:
    return [hit["name"] for hit in body["results"]]


def _wav_bytes(seed: int) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, sound(seed), SR, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


@pytest.mark.parametrize("match", ["words", "both"])
def test_get_finds_embedded_words(served: Served, match: str) -> None:
    body = _get(served, q="zorblax", match=match)
    assert body["match"] == match and body["mode"] == "text"
    assert isinstance(body["notes"], list)
    top = body["results"][0]
    assert top["name"] == "clip_bext.wav" and top["id"] == served.ids["clip_bext.wav"]
    assert top["explain"]["matches"] == [{"field": "description", "words": ["zorblax"]}]
    assert top["explain"]["words_rank"] == 1 and top["explain"]["coverage"] == 1.0
    assert top["band"] in ("strong", "fair", "weak") and 0 <= top["relevance"] <= 1
    if match == "words":
        assert _names(body) == ["clip_bext.wav"]


def test_default_match_is_both(served: Served) -> None:
    assert _get(served, q="zorblax")["match"] == "both"


def test_sound_match_has_no_words_rank(served: Served) -> None:
    body = _get(served, q="zorblax", match="sound", k=50)
    assert body["match"] == "sound"
    assert len(body["results"]) == len(served.ids)
    assert all(hit["explain"]["words_rank"] is None for hit in body["results"])


def test_get_category_and_negative_terms(served: Served) -> None:
    body = _get(served, q="door", category="DOORS-WOOD")
    assert _names(body) == [WOOD]
    assert body["results"][0]["category"] == "DOORS"
    assert body["results"][0]["subcategory"] == "WOOD"
    assert set(_names(_get(served, q="door", category="DOORS", match="words"))) == {WOOD, METAL}
    body = _get(served, q="impact -metal", match="both", k=50)
    assert "Impact_Metal_Clang.wav" not in _names(body) and METAL not in _names(body)
    assert _names(body)[0] == "Impact_Wood_Thud.wav"


def test_post_match_and_category(served: Served) -> None:
    response = served.client.post(
        "/api/search",
        json={"text": "closet", "match": "words", "filters": {"category": "DOORWood"}},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["match"] == "words" and _names(body) == [WOOD]
    assert body["results"][0]["explain"]["matches"] == [{"field": "category", "words": ["closet"]}]
    got = _get(served, q="closet", match="words", category="DOORWood")
    assert [h["id"] for h in got["results"]] == [h["id"] for h in body["results"]]


def test_upload_with_match_and_category(served: Served) -> None:
    files = {"file": ("ref.wav", _wav_bytes(40), "audio/wav")}
    response = served.client.post(
        "/api/search/audio",
        files=files,
        data={"text": "door", "match": "words", "category": "DOORS"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["match"] == "words" and body["mode"] == "hybrid"
    assert set(_names(body)) == {WOOD, METAL}
    assert all(hit["explain"] is not None for hit in body["results"])
    response = served.client.post(
        "/api/search/audio", files=files, data={"category": "DOORS-METAL", "k": "5"}
    )
    assert response.status_code == 200 and _names(response.json()) == [METAL]


def test_categories_route(served: Served) -> None:
    response = served.client.get("/api/categories")
    assert response.status_code == 200
    assert response.json() == {
        "categories": [
            {"category": "DOORS", "subcategory": "METAL", "count": 1},
            {"category": "DOORS", "subcategory": "WOOD", "count": 1},
        ]
    }


def test_bad_match_is_422(served: Served) -> None:
    message = assert_error(
        served.client.get("/api/search", params={"q": "x", "match": "bogus"}), 422
    )
    assert "'match'" in message
    message = assert_error(
        served.client.post("/api/search", json={"text": "x", "match": "bogus"}), 422
    )
    assert "match" in message
    files = {"file": ("ref.wav", _wav_bytes(41), "audio/wav")}
    response = served.client.post("/api/search/audio", files=files, data={"match": "bogus"})
    assert "'match'" in assert_error(response, 422)


def test_match_takes_any_case(served: Served) -> None:
    got = served.client.get("/api/search", params={"q": "door", "match": "WORDS"})
    assert got.status_code == 200 and got.json()["match"] == "words"
    posted = served.client.post("/api/search", json={"text": "door", "match": "Sound"})
    assert posted.status_code == 200 and posted.json()["match"] == "sound"


@pytest.mark.parametrize("category", ["NOPE", "DOORS-NOPE", "x" * 200])
def test_unknown_category_is_422(served: Served, category: str) -> None:
    for match in ("both", "words", "sound"):
        response = served.client.get(
            "/api/search", params={"q": "door", "category": category, "match": match}
        )
        assert "Unknown UCS category" in assert_error(response, 422, "invalid_query")
    response = served.client.post(
        "/api/search", json={"text": "door", "filters": {"category": category}}
    )
    assert "Unknown UCS category" in assert_error(response, 422, "invalid_query")
    files = {"file": ("ref.wav", _wav_bytes(42), "audio/wav")}
    response = served.client.post("/api/search/audio", files=files, data={"category": category})
    assert "Unknown UCS category" in assert_error(response, 422, "invalid_query")


def test_too_long_category_is_422(served: Served) -> None:
    response = served.client.get("/api/search", params={"q": "door", "category": "x" * 201})
    assert "'category'" in assert_error(response, 422, "invalid_request")


def test_sound_route_has_tags_and_category(served: Served) -> None:
    body = served.client.get(f"/api/sounds/{served.ids['doors/' + WOOD]}").json()
    assert (body["category"], body["subcategory"], body["catid"]) == ("DOORS", "WOOD", "DOORWood")
    assert body["tags"] == {} and body["tag_warnings"] == []
    body = served.client.get(f"/api/sounds/{served.ids['clip_keys.wav']}").json()
    assert body["tags"] == {"ixml.USER.KEYWORDS": "quenthor, hinge"}
    assert body["category"] is None and body["catid"] is None


@pytest.mark.parametrize("name", list(BAD_METADATA))
def test_sound_route_shows_bad_metadata_warnings(served: Served, name: str) -> None:
    _, warning, _ = BAD_METADATA[name]
    response = served.client.get(f"/api/sounds/{served.ids['bad/' + name]}")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "done" and body["duration"] > 0
    if warning is None:
        assert body["tag_warnings"] == []
    else:
        assert len(body["tag_warnings"]) == 1 and body["tag_warnings"][0].startswith(warning)
    # Still found by what it sounds like.
    hits = _get(served, q="anything", match="sound", k=50)["results"]
    assert body["id"] in [hit["id"] for hit in hits]


def test_bad_metadata_words_are_searchable(served: Served) -> None:
    for name, (_, _, word) in BAD_METADATA.items():
        assert _names(_get(served, q=word, match="words")) == [name]


@pytest.mark.parametrize("query", ODD_QUERIES, ids=range(len(ODD_QUERIES)))
def test_odd_queries_never_500(served: Served, query: str) -> None:
    for match in ("both", "words", "sound"):
        for response in (
            served.client.get("/api/search", params={"q": query, "match": match}),
            served.client.post("/api/search", json={"text": query, "match": match}),
        ):
            if response.status_code != 200:
                assert_error(response, 422)
            else:
                assert response.json()["match"] == match
    files = {"file": ("ref.wav", _wav_bytes(43), "audio/wav")}
    response = served.client.post("/api/search/audio", files=files, data={"text": query})
    if response.status_code != 200:
        assert_error(response, 422)


def test_overlong_query_is_422(served: Served) -> None:
    response = served.client.get("/api/search", params={"q": "door " * 500})
    assert "'q'" in assert_error(response, 422, "invalid_request")
