"""What native decoders print stays off the terminal during `index`: it is stored on the
sound (`soundscout show ID`), counted at the end; a killed run leaves no tracker message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from soundscout.audio.decode import decode_file
from soundscout.cli.main import main
from soundscout.ingest.native_stderr import captured_stderr
from tests.audiogen import tone, write_audio, write_damaged_mp3
from tests.ingest_process import kill_index_after, wait_gone

#: What libmpg123 prints for the damaged files (never to reach the terminal).
NATIVE = ("Xing stream size", "Illegal Audio-MPEG-Header", "resync", "libmpg123")


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOUNDSCOUT_CONFIG", raising=False)
    monkeypatch.setenv("SOUNDSCOUT_ENCODER__NAME", "tiny")


def test_capture_takes_what_libmpg123_prints(tmp_path: Path, capfd: pytest.CaptureFixture) -> None:
    damaged = write_damaged_mp3(tmp_path / "cut.mp3", "truncated")
    clean = write_audio(tmp_path / "clean.wav", tone(440, 1.0), 22050)
    capfd.readouterr()
    with captured_stderr() as printed:
        decode_file(damaged, 16000)
    with captured_stderr() as quiet:
        decode_file(clean, 16000)
    assert any("Xing stream size off" in line for line in printed.lines), printed.lines
    assert quiet.lines == ()
    assert capfd.readouterr().err == ""


def _show(library: Path, path: Path, capfd: pytest.CaptureFixture) -> dict:
    capfd.readouterr()
    assert main(["-L", str(library), "show", str(path), "--json"]) == 0
    return json.loads(capfd.readouterr().out)


@pytest.mark.parametrize("workers", ["0", "2"])
def test_index_stores_decoder_output_on_the_sound(
    tmp_path: Path, capfd: pytest.CaptureFixture, workers: str
) -> None:
    root, library = tmp_path / "sounds", tmp_path / "library"
    truncated = write_damaged_mp3(root / "truncated.mp3", "truncated")
    garbled = write_damaged_mp3(root / "garbled.mp3", "garbled")
    clean = write_audio(root / "clean.wav", tone(440, 1.0), 22050)
    capfd.readouterr()
    code = main(["-L", str(library), "index", str(root), "--workers", workers, "--progress"])
    out, err = capfd.readouterr()
    assert code == 0 and "3 indexed" in out
    for text in NATIVE:
        assert text not in err and text not in out, text
    assert "2 files printed decoder warnings (ids " in err
    assert main(["-L", str(library), "status"]) == 0
    listed = " ".join(capfd.readouterr().out.split())
    assert "Decoder warnings: 2 sounds were indexed" in listed
    assert str(truncated) in listed and str(garbled) in listed and str(clean) not in listed

    cut = _show(library, truncated, capfd)
    assert (cut["status"], cut["bit_depth"]) == ("done", None)  # lossy: no bit depth
    assert any("Xing stream size off" in line for line in cut["decoder_warnings"])
    assert any("resync" in line for line in _show(library, garbled, capfd)["decoder_warnings"])
    fine = _show(library, clean, capfd)
    assert (fine["decoder_warnings"], fine["bit_depth"]) == ([], 16)
    capfd.readouterr()
    assert main(["-L", str(library), "show", str(truncated)]) == 0
    assert "decoder" in capfd.readouterr().out


@pytest.mark.slow
def test_kill_9_leaves_no_tracker_message_and_no_helpers(tmp_path: Path) -> None:
    """The decode pool's resource tracker cleans the semaphores of a killed run without
    printing "leaked semaphore objects" on the terminal after it; every helper ends."""
    root, library = tmp_path / "sounds", tmp_path / "library"
    for i in range(80):
        write_audio(root / f"s{i:03d}.wav", tone(100 + 7 * i, 3.0), 22050)
    proc, helpers = kill_index_after(library, root, 2, 8)
    assert len(helpers) >= 4  # resource tracker, forkserver, 2 workers
    wait_gone(helpers)
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    assert "leaked" not in err and "resource_tracker" not in err, err
    assert "Traceback" not in err, err


def test_the_api_lists_what_the_decoders_printed(tmp_path: Path) -> None:
    import httpx

    from tests.api.conftest import api_settings
    from tests.api.live import LiveServer, index_once

    root = tmp_path / "sounds"
    write_damaged_mp3(root / "truncated.mp3", "truncated")
    write_audio(root / "clean.wav", tone(440, 1.0), 22050)
    settings = api_settings(tmp_path / "library")
    ids = index_once(root, settings)
    live = LiveServer(settings).start()
    try:
        damaged = httpx.get(f"{live.url}/api/sounds/{ids['truncated.mp3']}").json()
        clean = httpx.get(f"{live.url}/api/sounds/{ids['clean.wav']}").json()
    finally:
        live.stop()
    assert any("Xing stream size off" in line for line in damaged["decoder_warnings"])
    assert clean["decoder_warnings"] == []
