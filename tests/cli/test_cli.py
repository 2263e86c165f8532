"""The command line, as a user types it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from soundscout.cli.main import main
from soundscout.cli.server_cmds import is_loopback


def run(capsys: pytest.CaptureFixture[str], library: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-L", str(library), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SOUNDSCOUT_CONFIG",):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SOUNDSCOUT_ENCODER__NAME", "tiny")


def test_index_search_status_export(env, capsys, tmp_path: Path, sound_folder: Path) -> None:
    library = tmp_path / "lib"
    code, out, _ = run(
        capsys, library, "index", str(sound_folder), "--workers", "0", "--no-progress"
    )
    assert code == 0 and "12 indexed" in out and "0 failed" in out

    code, out, _ = run(capsys, library, "search", "deep kick", "-k", "3", "--json")
    data = json.loads(out)
    assert code == 0 and data["mode"] == "text" and len(data["results"]) == 3

    kick = next(p for p in sorted(sound_folder.rglob("kick_*")))
    code, out, _ = run(capsys, library, "search", "--audio", str(kick), "-k", "2", "--json")
    names = [Path(r["path"]).parent.name for r in json.loads(out)["results"]]
    assert code == 0 and names == ["kicks", "kicks"]

    code, out, _ = run(
        capsys,
        library,
        "search",
        "--audio",
        str(kick),
        "punchy",
        "--alpha",
        "0.6",
        "--folder",
        "hats",
        "--json",
    )
    data = json.loads(out)
    assert data["mode"] == "hybrid" and data["alpha"] == 0.6
    assert {Path(r["path"]).parent.name for r in data["results"]} == {"hats"}

    code, out, _ = run(capsys, library, "search", "kick", "-k", "2")
    assert code == 0 and "text search" in out and "score" in out
    lines = out.splitlines()  # piped: a header and one tab-separated line per result
    columns = ["#", "id", "match", "score", "duration", "format", "path", "why"]
    assert lines[1].split("\t") == columns
    assert len(lines) == 4 and all(Path(line.split("\t")[-2]).is_file() for line in lines[2:])
    code, out, err = run(capsys, library, "search", "kick", "--format", "xyz")
    assert code == 0 and "0 results" in out
    assert "No indexed sound has the format xyz; the library has: " in err

    code, out, _ = run(capsys, library, "status", "--json")
    stats = json.loads(out)
    assert stats["sounds"]["done"] == 12 and stats["index"]["count"] == 12
    assert stats["index"]["stale"] is False

    code, out, _ = run(capsys, library, "export", str(tmp_path / "out"))
    assert code == 0 and sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "embeddings.npy",
        "index.faiss",
        "paths.json",
        "segments.json",
        "segments.npy",
    ]

    code, out, _ = run(capsys, library, "rebuild")
    assert code == 0 and "12 vectors" in out


def test_errors_print_message_and_hint(env, capsys, tmp_path: Path) -> None:
    code, _, err = run(capsys, tmp_path / "empty", "search", "kick")
    assert code == 1 and "No library at" in err and "soundscout index" in err
    assert not (tmp_path / "empty").exists()  # a mistyped -L creates nothing
    code, _, err = run(capsys, tmp_path / "empty", "index", str(tmp_path / "missing"))
    assert code == 1 and "Not a folder" in err
    code, _, err = run(capsys, tmp_path / "empty", "search", "x", "--alpha", "2", "--id", "1")
    assert code == 1 and "alpha" in err


def test_failures_are_listed_in_status(env, capsys, tmp_path: Path) -> None:
    from tests.audiogen import write_corrupt

    folder = tmp_path / "bad"
    write_corrupt(folder / "empty.wav", "empty")
    write_corrupt(folder / "text.mp3", "text_as_mp3")
    run(capsys, tmp_path / "lib", "index", str(folder), "--workers", "0", "--no-progress")
    code, out, _ = run(capsys, tmp_path / "lib", "status")
    assert code == 0 and "2 failed" in out
    assert "empty.wav: empty file" in out.replace("\n", "")


def test_config_show_with_sources(env, capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SOUNDSCOUT_SERVER__PORT", "9123")
    code, out, _ = run(capsys, tmp_path, "config", "show", "--sources")
    assert code == 0
    assert "server.port = 9123  # env" in out
    assert f"library.path = '{tmp_path}'  # cli" in out
    assert "index.ann_threshold = 20000  # default" in out
    code, out, _ = run(capsys, tmp_path, "config", "show")
    assert "port: 9123" in out


def test_serve_refuses_public_bind_without_key(env, capsys, tmp_path: Path) -> None:
    code, _, err = run(capsys, tmp_path, "serve", "--host", "0.0.0.0")
    assert code == 1 and "api_key" in err
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")


def test_console_script_is_installed() -> None:
    exe = shutil.which("soundscout") or str(Path(sys.executable).parent / "soundscout")
    proc = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("soundscout ")


def test_usage_errors_print_usage_not_a_traceback(tmp_path: Path) -> None:
    exe = shutil.which("soundscout") or str(Path(sys.executable).parent / "soundscout")
    for args, words in (
        (["search", "kick", "--no-such-option"], "No such option"),
        (["search", "kick", "-k", "many"], "Invalid value for '-k'"),
        (["no-such-command"], "No such command"),
        # a query starting with a word to leave out: the way around it is named
        (["search", "-explosi* weapon"], 'soundscout search -- "-metal door"'),
    ):
        proc = subprocess.run([exe, *args], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2, (args, proc.stderr)
        assert words in proc.stderr and "Usage:" in proc.stderr
        assert "Traceback" not in proc.stderr
