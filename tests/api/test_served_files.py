"""Only sounds that indexed as audio, and are still what was indexed, are streamed."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from tests.api.conftest import api_settings, assert_error
from tests.api.live import LiveServer, index_once
from tests.audiogen import tone, write_audio

ODD_NAME = 'odd\r"name\\.wav'  # a carriage return, a quote and a backslash
SECRET = b"root:x:0:0:not a sound, outside the library\n"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, dict]]:
    """A library with links out of it and a file rewritten after indexing, and a server."""
    root = tmp_path_factory.mktemp("served")
    sounds, outside = root / "sounds", root / "outside"
    outside.mkdir()
    (outside / "secret.wav").write_bytes(SECRET)
    write_audio(outside / "elsewhere.wav", tone(330, 0.5), 22050)
    write_audio(sounds / "plain.wav", tone(440, 0.5), 22050)
    write_audio(sounds / "edited.wav", tone(550, 0.5), 22050)
    write_audio(sounds / ODD_NAME, tone(660, 0.5), 22050)
    os.symlink(outside / "secret.wav", sounds / "secret.wav")
    os.symlink(outside / "elsewhere.wav", sounds / "linked.wav")
    settings = api_settings(root / "library")
    ids = index_once(sounds, settings)
    write_audio(sounds / "edited.wav", tone(550, 0.8), 22050)  # a longer file, same path
    live = LiveServer(settings).start()
    with httpx.Client(base_url=live.url, timeout=60) as client:
        yield client, {"ids": ids, "sounds": sounds, "outside": outside}
    live.stop()


def test_a_failed_link_to_a_file_outside_is_not_streamed(served: tuple) -> None:
    client, lib = served
    sound_id = lib["ids"]["secret.wav"]
    assert client.get(f"/api/sounds/{sound_id}").json()["status"] == "failed"
    for route in ("audio", "peaks"):
        response = client.get(f"/api/sounds/{sound_id}/{route}")
        assert b"root:" not in response.content
        assert "failed to index" in assert_error(response, 422, "decode_error")


def test_a_file_changed_since_indexing_is_not_streamed(served: tuple) -> None:
    client, lib = served
    response = client.get(f"/api/sounds/{lib['ids']['edited.wav']}/audio")
    message = assert_error(response, 404, "not_found")
    assert "changed since it was indexed" in message
    assert "soundscout index" in response.json()["error"]["hint"]


def test_indexed_files_are_streamed_also_through_links(served: tuple) -> None:
    client, lib = served
    plain = client.get(f"/api/sounds/{lib['ids']['plain.wav']}/audio")
    assert plain.status_code == 200
    assert plain.content == (lib["sounds"] / "plain.wav").read_bytes()
    linked = client.get(f"/api/sounds/{lib['ids']['linked.wav']}/audio")
    assert linked.status_code == 200  # links are followed when indexing, so they play
    assert linked.content == (lib["outside"] / "elsewhere.wav").read_bytes()


def test_control_characters_in_a_file_name_are_kept_out_of_the_header(served: tuple) -> None:
    client, lib = served
    sound_id = lib["ids"][ODD_NAME]
    response = client.get(f"/api/sounds/{sound_id}/audio")
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert 'filename="odd__name_.wav"' in disposition
    assert "filename*=UTF-8''odd%0D%22name%5C.wav" in disposition
