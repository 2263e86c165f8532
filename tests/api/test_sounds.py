"""Sound routes: metadata, streaming with Range requests, peaks, and no path traversal."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import assert_error
from tests.api.live import Library


def _id(library: Library, name: str) -> int:
    return library.ids[name]


def test_metadata(client: httpx.Client, library: Library) -> None:
    name = "kicks/kick_01.flac"
    body = client.get(f"/api/sounds/{_id(library, name)}").json()
    assert body["path"] == str(library.path(name))
    assert (body["name"], body["folder"], body["format"]) == ("kick_01.flac", "kicks", "flac")
    assert (body["sample_rate"], body["channels"], body["bit_depth"]) == (22050, 1, 16)
    assert body["duration"] == pytest.approx(1.0, abs=0.01)
    assert (body["status"], body["error"]) == ("done", None)


def test_metadata_of_a_failed_sound_has_its_reason(client: httpx.Client, library: Library) -> None:
    body = client.get(f"/api/sounds/{_id(library, 'broken/truncated.wav')}").json()
    assert body["status"] == "failed"
    assert "truncated or corrupt WAV header" in body["error"]


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/sounds/999999", 404),
        ("/api/sounds/999999/audio", 404),
        ("/api/sounds/999999/peaks", 404),
        ("/api/sounds/kick", 422),
        ("/api/sounds/1.5/audio", 422),
        ("/api/sounds/-3", 422),
        (f"/api/sounds/{2**64}", 422),
    ],
)
def test_unknown_or_invalid_ids(client: httpx.Client, url: str, status: int) -> None:
    assert_error(client.get(url), status)


@pytest.mark.parametrize(
    "raw_path",
    [
        "/api/sounds/..%2F..%2Fetc%2Fpasswd/audio",
        "/api/sounds/%2Fetc%2Fpasswd/audio",
        "/api/sounds/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/api/sounds/1%2F..%2F..%2Fetc%2Fpasswd/audio",
        "/api/sounds/1/audio/..%2F..%2F..%2Fetc%2Fpasswd",
        "/api/sounds/%00/audio",
        "/static/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    ],
)
def test_no_path_traversal(server: object, raw_path: str) -> None:
    # Send the path exactly as written: no client-side normalisation of the dots.
    url = httpx.URL(server.url).copy_with(raw_path=raw_path.encode())  # type: ignore[attr-defined]
    response = httpx.get(url)
    assert response.status_code in (404, 422)
    assert "root:" not in response.text
    assert_error(response, response.status_code)


def test_full_file(client: httpx.Client, library: Library) -> None:
    name = "kicks/kick_00.wav"
    response = client.get(f"/api/sounds/{_id(library, name)}/audio")
    assert response.status_code == 200
    assert response.content == library.path(name).read_bytes()
    assert response.headers["content-type"] == "audio/wav"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-length"] == str(len(response.content))
    assert 'inline; filename="kick_00.wav"' in response.headers["content-disposition"]


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("kicks/kick_01.flac", "audio/flac"),
        ("kicks/kick_02.ogg", "audio/ogg"),
        ("hats/hat_00.opus", "audio/ogg"),
        ("hats/hat_01.mp3", "audio/mpeg"),
        ("hats/hat_02.aiff", "audio/aiff"),
        ("pads/pad_00.m4a", "audio/mp4"),
    ],
)
def test_content_type_by_format(
    client: httpx.Client, library: Library, name: str, mime: str
) -> None:
    response = client.get(f"/api/sounds/{_id(library, name)}/audio")
    assert response.headers["content-type"] == mime


def test_download_is_an_attachment(client: httpx.Client, library: Library) -> None:
    response = client.get(f"/api/sounds/{_id(library, 'pads/pad_01.wav')}/audio?download=1")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''pad_01.wav" in disposition


@pytest.mark.parametrize(
    ("header", "start", "stop"),
    [
        ("bytes=0-99", 0, 100),  # first bytes
        ("bytes=-100", -100, None),  # suffix
        ("bytes=1000-", 1000, None),  # open-ended
        ("bytes=10-10", 10, 11),  # a single byte
        ("bytes=40000-99999999", 40000, None),  # end past the file: clamped
        ("bytes=-99999999", 0, None),  # suffix longer than the file: all of it
    ],
)
def test_range_requests(
    client: httpx.Client, library: Library, header: str, start: int, stop: int | None
) -> None:
    name = "kicks/kick_00.wav"
    data = library.path(name).read_bytes()
    response = client.get(f"/api/sounds/{_id(library, name)}/audio", headers={"Range": header})
    assert response.status_code == 206
    expected = data[start:stop]
    first = len(data) + start if start < 0 else start
    assert response.content == expected
    assert response.headers["content-range"] == (
        f"bytes {first}-{first + len(expected) - 1}/{len(data)}"
    )
    assert response.headers["content-length"] == str(len(expected))


@pytest.mark.parametrize("header", ["bytes=999999-", "bytes=-0", "bytes=44144-"])
def test_unsatisfiable_range_is_416(client: httpx.Client, library: Library, header: str) -> None:
    name = "kicks/kick_00.wav"
    size = library.path(name).stat().st_size
    assert size == 44144  # 22050 frames of 16-bit mono plus a 44-byte header
    response = client.get(f"/api/sounds/{_id(library, name)}/audio", headers={"Range": header})
    assert_error(response, 416, "range_not_satisfiable")
    assert response.headers["content-range"] == f"bytes */{size}"


@pytest.mark.parametrize(
    "header",
    # the last two are Latin-1 superscript digits ("bytes=²-"), which int() refuses
    ["bytes=abc", "items=0-10", "bytes=0-1,5-9", "bytes=9-2", b"bytes=\xb2-", b"bytes=-\xb3"],
)
def test_unusable_range_sends_the_whole_file(
    client: httpx.Client, library: Library, header: str | bytes
) -> None:
    name = "kicks/kick_00.wav"
    response = client.get(f"/api/sounds/{_id(library, name)}/audio", headers={"Range": header})
    assert response.status_code == 200
    assert response.content == library.path(name).read_bytes()


def test_if_range_with_another_etag_sends_the_whole_file(
    client: httpx.Client, library: Library
) -> None:
    url = f"/api/sounds/{_id(library, 'kicks/kick_00.wav')}/audio"
    etag = client.head(url).headers["etag"]
    assert client.get(url, headers={"Range": "bytes=0-9", "If-Range": etag}).status_code == 206
    stale = client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert stale.status_code == 200


def test_head(client: httpx.Client, library: Library) -> None:
    name = "tones/tone_00.ogg"
    response = client.head(f"/api/sounds/{_id(library, name)}/audio")
    assert response.status_code == 200 and response.content == b""
    assert response.headers["content-length"] == str(library.path(name).stat().st_size)


def test_vanished_file_is_404(client: httpx.Client, library: Library) -> None:
    sound_id = _id(library, "gone/vanished.wav")
    assert client.get(f"/api/sounds/{sound_id}").status_code == 200  # still catalogued
    message = assert_error(client.get(f"/api/sounds/{sound_id}/audio"), 404, "not_found")
    assert "gone" in message
    assert_error(client.get(f"/api/sounds/{sound_id}/peaks"), 404, "not_found")


def test_peaks(client: httpx.Client, library: Library) -> None:
    response = client.get(f"/api/sounds/{_id(library, 'kicks/kick_00.wav')}/peaks?n=40")
    assert response.status_code == 200
    body = response.json()
    assert body["n"] == 40 and len(body["peaks"]) == 40
    assert body["duration"] == pytest.approx(1.0, abs=0.01)
    assert all(0.0 <= p <= 1.0 for p in body["peaks"])
    assert max(body["peaks"][:4]) == pytest.approx(0.6, abs=0.05)  # the kick's attack
    assert max(body["peaks"][:10]) > 4 * max(body["peaks"][-10:])  # ...and its decay


def test_peaks_of_a_pad_rise(client: httpx.Client, library: Library) -> None:
    peaks = client.get(f"/api/sounds/{_id(library, 'pads/pad_01.wav')}/peaks?n=20").json()
    assert peaks["peaks"][0] < peaks["peaks"][10]  # slow attack


@pytest.mark.parametrize("n", [0, 15, 4001, "many"])
def test_peaks_n_bounds(client: httpx.Client, library: Library, n: object) -> None:
    url = f"/api/sounds/{_id(library, 'kicks/kick_00.wav')}/peaks?n={n}"
    assert "'n'" in assert_error(client.get(url), 422)


def test_peaks_of_a_failed_sound_is_422(client: httpx.Client, library: Library) -> None:
    url = f"/api/sounds/{_id(library, 'broken/truncated.wav')}/peaks"
    assert_error(client.get(url), 422, "decode_error")
