"""Searching by an uploaded reference sound: modes, form fields and limits."""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import numpy as np
import pytest
import soundfile as sf

from tests.api.conftest import MAX_UPLOAD_BYTES, MAX_UPLOAD_SECONDS, assert_error
from tests.api.live import Library
from tests.audiogen import tone

URL = "/api/search/audio"


def _wav(seconds: float, sr: int = 8000, kind: str = "sine") -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, tone(220, seconds, sr, kind=kind), sr, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def _upload(
    client: httpx.Client, data: bytes, fields: dict | None = None, name: str = "ref.wav"
) -> httpx.Response:
    return client.post(URL, files={"file": (name, data, "audio/wav")}, data=fields or {})


def test_upload_finds_its_own_kind_and_excludes_the_same_file(
    client: httpx.Client, library: Library
) -> None:
    name = library.named("kicks")[0]
    response = _upload(client, library.path(name).read_bytes(), {"k": "3"}, name="kick.wav")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mode"] == "audio" and len(body["results"]) == 3
    assert library.ids[name] not in [hit["id"] for hit in body["results"]]
    assert [hit["folder"] for hit in body["results"]][:2] == ["kicks", "kicks"]


def test_upload_with_text_is_hybrid_and_fields_apply(
    client: httpx.Client, library: Library
) -> None:
    data = library.path(library.named("hats")[1]).read_bytes()
    fields = {"text": "bright", "alpha": "0.25", "k": "50", "folder": "pads", "format": ""}
    response = _upload(client, data, fields)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mode"] == "hybrid" and body["alpha"] == 0.25
    assert {hit["folder"] for hit in body["results"]} == {"pads"}


def test_upload_repeated_format_field(client: httpx.Client, library: Library) -> None:
    data = library.path(library.named("pads")[0]).read_bytes()
    response = client.post(
        URL,
        files=[("file", ("p.m4a", data, "audio/mp4"))],
        data={"format": ["wav", "mp3"], "k": "50"},
    )
    assert response.status_code == 200, response.text
    formats = {hit["format"] for hit in response.json()["results"]}
    assert formats == {"wav", "mp3"}


def test_upload_over_the_byte_limit_is_413(client: httpx.Client) -> None:
    data = _wav(MAX_UPLOAD_BYTES / 16000 + 1.0)  # 16-bit mono at 8 kHz: 16 kB per second
    assert len(data) > MAX_UPLOAD_BYTES
    message = assert_error(_upload(client, data), 413, "payload_too_large")
    assert str(MAX_UPLOAD_BYTES) in message


def test_upload_over_the_duration_limit_is_413(client: httpx.Client) -> None:
    data = _wav(MAX_UPLOAD_SECONDS + 2, sr=4000)
    assert len(data) < MAX_UPLOAD_BYTES
    message = assert_error(_upload(client, data), 413, "payload_too_large")
    assert "lasts 6.0 s" in message and "limit is 4 s" in message
    # A region within the limit is all that is decoded: the same file is accepted.
    assert _upload(client, data, {"k": "2", "start": "0.5", "end": "3"}).status_code == 200
    assert_error(_upload(client, data, {"start": "0.5", "end": "5"}), 413, "payload_too_large")
    assert_error(_upload(client, data, {"start": "0.5"}), 413, "payload_too_large")


def test_upload_within_limits_passes(client: httpx.Client) -> None:
    data = _wav(MAX_UPLOAD_SECONDS - 0.5, sr=4000)
    assert _upload(client, data, {"k": "2"}).status_code == 200


def test_upload_that_is_not_audio_is_422(client: httpx.Client) -> None:
    noise = np.random.default_rng(0).integers(0, 256, 5000, np.uint8).tobytes()
    message = assert_error(_upload(client, b"\x00" + noise, name="x.wav"), 422, "decode_error")
    assert "not an audio file" in message
    assert "PyAV" not in message and "soundfile" not in message  # no decoder jargon
    assert "empty" in assert_error(_upload(client, b""), 422)


def test_upload_needs_a_file_field(client: httpx.Client) -> None:
    message = assert_error(client.post(URL, data={"text": "kick"}), 422)
    assert "'file'" in message


@pytest.mark.parametrize("cut", [20, 120, -12, -3])
def test_a_cut_off_upload_says_so(client: httpx.Client, cut: int) -> None:
    whole = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
        b"Content-Type: audio/wav\r\n\r\n" + _wav(0.5) + b"\r\n--b--\r\n"
    )
    headers = {"content-type": "multipart/form-data; boundary=b"}
    assert client.post(URL, content=whole, headers=headers).status_code == 200
    epilogue = whole + b"x" * 2000  # text after the closing boundary is allowed
    assert client.post(URL, content=epilogue, headers=headers).status_code == 200
    message = assert_error(client.post(URL, content=whole[:cut], headers=headers), 422)
    assert "cut off" in message


def test_upload_must_be_multipart(client: httpx.Client) -> None:
    message = assert_error(client.post(URL, json={"text": "kick"}), 422, "invalid_query")
    assert "multipart/form-data" in message


def test_upload_bad_form_field_is_422_naming_it(client: httpx.Client) -> None:
    data = _wav(1.0)
    assert "'alpha'" in assert_error(_upload(client, data, {"text": "x", "alpha": "2"}), 422)
    assert "'k'" in assert_error(_upload(client, data, {"k": "many"}), 422)
    assert "'colour'" in assert_error(_upload(client, data, {"colour": "red"}), 422)


def test_upload_of_two_files_is_refused(client: httpx.Client) -> None:
    data = _wav(0.5)
    files = [("file", ("a.wav", data, "audio/wav")), ("other", ("b.wav", data, "audio/wav"))]
    assert_error(client.post(URL, files=files), 422, "invalid_query")


def test_a_declared_oversized_body_is_refused_before_reading(client: httpx.Client) -> None:
    response = client.post(URL, files={"file": ("big.wav", b"\0" * 2_000_000)})
    assert str(MAX_UPLOAD_BYTES) in assert_error(response, 413, "payload_too_large")


def test_a_chunked_body_is_counted_while_it_streams(client: httpx.Client) -> None:
    def body() -> Iterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n'
        for _ in range(100):  # 1 MB, with no Content-Length
            yield b"\0" * 10_000
        yield b"\r\n--b--\r\n"

    headers = {"content-type": "multipart/form-data; boundary=b"}
    response = client.post(URL, content=body(), headers=headers)
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "payload_too_large")


def test_upload_region_fields(client: httpx.Client, library: Library) -> None:
    data = library.path(library.named("pads")[0]).read_bytes()
    whole = _upload(client, data, {"k": "3"}).json()["results"]
    part = _upload(client, data, {"k": "3", "start": "0", "end": "0.2"})
    assert part.status_code == 200, part.text
    assert [h["score"] for h in part.json()["results"]] != [h["score"] for h in whole]
    assert "starts after the end" in assert_error(_upload(client, data, {"start": "30"}), 422)
