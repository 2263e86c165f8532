"""Search routes against a live server: every mode, filters, bounds and the response shape."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import assert_error
from tests.api.live import Library

HIT_KEYS = {
    "id",
    "path",
    "name",
    "folder",
    "score",
    "duration",
    "format",
    "sample_rate",
    "channels",
    "bit_depth",
    "audio_url",
    "relevance",
    "band",
    "category",
    "subcategory",
    "explain",
    "copies",
    "moments",
}


def _search(client: httpx.Client, **params: object) -> dict:
    response = client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _folders(body: dict) -> list[str]:
    return [hit["folder"] for hit in body["results"]]


def test_text_search_shape_and_ranking(client: httpx.Client, library: Library) -> None:
    body = _search(client, q="punchy kick drum", k=5)
    assert set(body) == {"mode", "match", "alpha", "took_ms", "notes", "results"}
    assert body["mode"] == "text" and body["alpha"] is None and body["took_ms"] >= 0
    hits = body["results"]
    assert len(hits) == 5
    assert all(set(hit) == HIT_KEYS for hit in hits)
    scores = [hit["score"] for hit in hits]
    assert scores == sorted(scores, reverse=True)
    for hit in hits:
        name = f"{hit['folder']}/{hit['name']}"
        assert library.ids[name] == hit["id"]
        assert hit["path"] == str(library.path(name))
        assert hit["audio_url"] == f"/api/sounds/{hit['id']}/audio"
        assert hit["duration"] == pytest.approx(1.0, abs=0.05)


def test_post_matches_get(client: httpx.Client) -> None:
    got = _search(client, q="airy pad", k=7)
    posted = client.post("/api/search", json={"text": "airy pad", "k": 7})
    assert posted.status_code == 200
    assert [h["id"] for h in posted.json()["results"]] == [h["id"] for h in got["results"]]


def test_default_k_applies(client: httpx.Client, library: Library) -> None:
    body = _search(client, q="anything")
    searchable = len(library.ids) - 1  # all but the broken file; default_k (20) is more
    assert len(body["results"]) == searchable == 13


@pytest.mark.parametrize("folder", ["kicks", "hats", "pads", "tones"])
def test_sound_id_finds_its_own_kind_first(
    client: httpx.Client, library: Library, folder: str
) -> None:
    ref = library.ids[library.named(folder)[0]]
    body = _search(client, sound_id=ref, k=3)
    assert body["mode"] == "audio"
    assert ref not in [hit["id"] for hit in body["results"]]
    assert _folders(body)[:2] == [folder, folder]


def test_hybrid_alpha_extremes(client: httpx.Client, library: Library) -> None:
    ref = library.ids[library.named("pads")[0]]
    audio = [h["id"] for h in _search(client, sound_id=ref, k=6)["results"]]
    text = [h["id"] for h in _search(client, q="glass bell", k=7)["results"] if h["id"] != ref]
    one = _search(client, q="glass bell", sound_id=ref, alpha=1.0, k=6)
    zero = _search(client, q="glass bell", sound_id=ref, alpha=0.0, k=6)
    assert one["mode"] == zero["mode"] == "hybrid"
    assert (one["alpha"], zero["alpha"]) == (1.0, 0.0)
    assert [h["id"] for h in one["results"]] == audio
    assert [h["id"] for h in zero["results"]] == text[:6]


def test_hybrid_default_alpha(client: httpx.Client, library: Library) -> None:
    ref = library.ids[library.named("hats")[0]]
    body = _search(client, q="metal", sound_id=ref, k=3)
    assert body["mode"] == "hybrid" and body["alpha"] == 0.5


def test_filters_in_query_string(client: httpx.Client) -> None:
    assert set(_folders(_search(client, q="x", folder="kicks"))) == {"kicks"}
    formats = {h["format"] for h in _search(client, q="x", format=["wav", "FLAC"])["results"]}
    assert formats and formats <= {"wav", "flac"}
    assert _search(client, q="x", min_duration=2.0)["results"] == []
    assert len(_search(client, q="x", max_duration=2.0)["results"]) == 13
    assert len(_search(client, q="x", max_duration="inf")["results"]) == 13
    rates = {h["sample_rate"] for h in _search(client, q="x", min_sample_rate=44100)["results"]}
    assert rates == {48000}  # only the Opus files are above 44.1 kHz
    low = _search(client, q="x", max_sample_rate=22050)["results"]
    assert low and {h["sample_rate"] for h in low} == {22050}


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"format": "exe"}, "No indexed sound has the format exe; the library has: "),
        ({"folder": "Nope"}, "No indexed sound is under the folder 'Nope'"),
        ({"min_duration": 500}, "No indexed sound passes the filters"),
    ],
)
def test_filters_that_keep_nothing_say_why(client: httpx.Client, params: dict, needle: str) -> None:
    body = _search(client, q="kick", **params)
    assert body["results"] == [] and any(needle in note for note in body["notes"])
    posted = client.post("/api/search", json={"text": "kick", "filters": {"formats": ["exe"]}})
    assert posted.json()["results"] == [] and "format exe" in posted.json()["notes"][0]
    browsed = _search(client, **params)  # filters alone
    assert browsed["mode"] == "browse" and browsed["results"] == []
    assert any(needle in note for note in browsed["notes"])


def test_a_missing_reference_is_named_even_when_no_filter_passes(client: httpx.Client) -> None:
    answer = client.get("/api/search", params={"sound_id": 999999, "format": "exe"})
    assert_error(answer, 404)


def test_filters_in_json_body(client: httpx.Client) -> None:
    response = client.post(
        "/api/search", json={"text": "x", "k": 50, "filters": {"folder": "hats", "formats": []}}
    )
    assert response.status_code == 200
    assert {h["folder"] for h in response.json()["results"]} == {"hats"}


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"q": "x", "k": 0}, "'k'"),
        ({"q": "x", "k": 51}, "between 1 and 50"),
        ({"q": "x", "k": "ten"}, "'k'"),
        ({"q": "x", "sound_id": 1, "alpha": -0.1}, "'alpha'"),
        ({"q": "x", "sound_id": 1, "alpha": 1.5}, "'alpha'"),
        ({"q": "x", "sound_id": 1, "alpha": "nan"}, "'alpha': Input should be a finite number"),
        ({"sound_id": 1, "start": "nan"}, "'start': Input should be a finite number"),
        ({"sound_id": 1, "end": "inf"}, "'end': Input should be a finite number"),
        ({"q": "x", "min_duration": 3, "max_duration": 1}, "min_duration"),
        ({"q": "x", "min_duration": -1}, "'min_duration'"),
        ({"sound_id": "kick"}, "'sound_id'"),
        ({"sound_id": 2**70}, "'sound_id'"),
        ({"q": "x", "min_sample_rate": 2**70}, "'min_sample_rate'"),
        ({}, "text query, a reference sound"),
        ({"q": "   "}, "text query, a reference sound"),
    ],
)
def test_bad_query_is_422_naming_the_problem(
    client: httpx.Client, params: dict, needle: str
) -> None:
    message = assert_error(client.get("/api/search", params=params), 422)
    assert needle in message


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"text": "x", "k": 0}, "'k'"),
        ({"text": "x", "k": 1000}, "between 1 and 50"),
        ({"text": "x", "sound_id": 1, "alpha": 2}, "'alpha'"),
        ({"text": "x", "filters": {"colour": "red"}}, "filters.colour"),
        ({"txt": "x"}, "'txt'"),
        ({"text": "x", "filters": {"max_duration": "long"}}, "filters.max_duration"),
    ],
)
def test_bad_json_body_is_422(client: httpx.Client, body: dict, needle: str) -> None:
    assert needle in assert_error(client.post("/api/search", json=body), 422)


def test_malformed_json_is_422(client: httpx.Client) -> None:
    response = client.post(
        "/api/search", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_error(response, 422, "invalid_request")


def test_unknown_reference_id_is_404(client: httpx.Client) -> None:
    assert "999999" in assert_error(client.get("/api/search?sound_id=999999"), 404, "not_found")


def test_failed_sound_cannot_be_a_reference(client: httpx.Client, library: Library) -> None:
    broken = library.ids["broken/truncated.wav"]
    response = client.get(f"/api/search?sound_id={broken}")
    assert "no embedding: it failed to index (truncated" in assert_error(response, 422)
    assert "--retry-failed" in response.json()["error"]["hint"]


def test_region_of_a_reference(client: httpx.Client, library: Library) -> None:
    ref = library.ids[library.named("pads")[0]]
    whole = _search(client, sound_id=ref, k=3)
    part = _search(client, sound_id=ref, k=3, start=0.0, end=0.2)  # the slow attack only
    assert ref not in [hit["id"] for hit in part["results"]]
    assert [h["score"] for h in part["results"]] != [h["score"] for h in whole["results"]]
    posted = client.post("/api/search", json={"sound_id": ref, "k": 3, "start": 0.0, "end": 0.2})
    assert posted.json()["results"] == part["results"]
    outside = client.get("/api/search", params={"sound_id": ref, "start": 50, "end": 60})
    assert "starts after the end of the sound" in assert_error(outside, 422)
    backwards = client.get("/api/search", params={"sound_id": ref, "start": 0.5, "end": 0.2})
    assert "after start" in assert_error(backwards, 422)
    text_only = client.get("/api/search", params={"q": "pad", "start": 0.1})
    assert "needs a reference" in assert_error(text_only, 422)


@pytest.mark.parametrize(
    ("method", "request_args", "status"),
    [
        ("post", {"json": {}}, 422),  # no query
        ("post", {"json": {"q": "kick", "k": 0}}, 422),
        ("post", {"json": {"q": "kick", "min_duration": 5, "max_duration": 1}}, 422),
        ("post", {"json": {"sound_id": 999999}}, 404),
        ("post", {"json": {"sound_id": 1, "start": 5, "end": 1}}, 422),
        ("upload", {"files": {"other": ("a.wav", b"RIFF", "audio/wav")}}, 422),
    ],
)
def test_common_mistakes_say_what_to_do(
    client: httpx.Client, method: str, request_args: dict, status: int
) -> None:
    """An error for a mistake a caller can fix says how (``hint``)."""
    if method == "upload":
        response = client.post("/api/search/audio", **request_args)
    else:
        response = client.post("/api/search", **request_args)
    assert_error(response, status)
    assert response.json()["error"]["hint"], response.text
