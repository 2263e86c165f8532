"""What the command line prints: paths exactly as they are, exit codes scripts can trust."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from soundscout.cli.main import main
from soundscout.search.service import SearchService
from tests.audiogen import tone, write_audio, write_corrupt
from tests.cli.test_cli import env, run  # noqa: F401  (env is a fixture)

BRACKETED = ("Drums/snare [soft].wav", "Odd [/clap].wav", "bad [red]take.wav")


@pytest.fixture
def bracket_library(env, capsys, tmp_path: Path) -> tuple[Path, Path]:  # noqa: F811
    """Sound files whose names look like console markup, one of them unreadable."""
    folder = tmp_path / "sounds [v2]"
    write_audio(folder / BRACKETED[0], tone(200, 0.5), 22050)
    write_audio(folder / BRACKETED[1], tone(900, 0.5, kind="noise"), 22050)
    write_corrupt(folder / BRACKETED[2], "text_as_mp3")
    library = tmp_path / "lib"
    code, out, _ = run(capsys, library, "index", str(folder), "--workers", "0", "--no-progress")
    assert code == 0 and "2 indexed" in out
    assert f"{folder}: " in out and f"failed {folder / BRACKETED[2]}: " in out.replace("\n", "")
    return library, folder


def test_paths_that_look_like_markup_are_printed_as_they_are(
    capsys, bracket_library: tuple[Path, Path]
) -> None:
    library, folder = bracket_library
    code, out, err = run(capsys, library, "search", "snare", "-k", "5")
    assert code == 0, err
    flat = out.replace("\n", " ").replace("│", " ")
    assert "snare [soft].wav" in flat and "[/clap].wav" in flat
    code, out, err = run(capsys, library, "status")
    assert code == 0, err
    assert f"{folder / BRACKETED[2]}:" in out.replace("\n", "")
    assert f"Folders: {folder}" in out.replace("\n", "")


def test_error_messages_with_markup_like_paths(env, capsys, tmp_path: Path) -> None:  # noqa: F811
    missing = tmp_path / "no [/such] folder"
    code, _, err = run(capsys, tmp_path / "lib", "index", str(missing))
    assert code == 1 and f"Not a folder: {missing}" in err.replace("\n", "")


def test_with_json_an_error_is_json_on_stdout(capsys, bracket_library: tuple[Path, Path]) -> None:
    library, _ = bracket_library
    code, out, err = run(capsys, library, "search", "--json", "--", "🔫 !!")
    assert code == 1 and "Nothing to search for" in err  # people still read it
    error = json.loads(out)["error"]
    assert error["code"] == "invalid_query" and "a query needs a word" in error["message"]
    code, out, _ = run(capsys, library.parent / "nowhere", "status", "--json")
    assert code == 1 and json.loads(out)["error"]["hint"]
    code, out, _ = run(capsys, library, "search", "-k", "1", "--", "🔫")
    assert code == 1 and out == ""  # without --json, nothing on stdout


def test_ctrl_c_exits_130_with_a_message(
    capsys, bracket_library: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    library, _ = bracket_library

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(SearchService, "search", interrupted)
    code, out, err = run(capsys, library, "search", "snare")
    assert code == 130 and out == ""
    assert "Interrupted." in err and "run the command again" not in err  # nothing to resume
    monkeypatch.setattr(SearchService, "index_folder", interrupted)
    code, out, err = run(capsys, library, "index", str(library.parent), "--no-progress")
    assert code == 130 and "Finished work is saved; run the command again to resume" in err


def test_switching_encoders_with_index_and_the_library_remembering_it(
    capsys, tmp_path: Path, sound_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOUNDSCOUT_ENCODER__NAME", raising=False)
    monkeypatch.delenv("SOUNDSCOUT_CONFIG", raising=False)
    library = tmp_path / "lib"
    index = ("index", str(sound_folder), "--workers", "0", "--no-progress")
    code, out, err = run(capsys, library, *index)
    assert code == 0 and "12 indexed" in out, err
    code, out, err = run(capsys, library, *index, "--encoder", "tiny")  # re-embed with another
    assert code == 0, err
    assert "12 indexed" in out and "0 unchanged" in out
    assert "re-embedded 12 unchanged files for the new encoder" in out.replace("\n", " ")
    code, out, err = run(capsys, library, "status", "--json")
    stats = json.loads(out)
    assert stats["encoder"]["name"] == "tiny" and stats["index"]["encoder"] == "tiny"
    assert stats["index"]["count"] == 12 and not stats["index"]["stale"]
    code, out, err = run(capsys, library, "search", "kick", "--json")  # no --encoder needed
    assert code == 0 and len(json.loads(out)["results"]) == 12, err
    code, out, _ = run(capsys, library, "config", "show", "--sources")
    assert "encoder.name = 'tiny'  # library" in out
    shutil.rmtree(library / "index")  # the catalog still knows: nothing is re-embedded
    code, out, err = run(capsys, library, *index)
    assert code == 0 and "0 indexed" in out and "12 unchanged" in out, err
    code, out, _ = run(capsys, library, "status", "--json")
    assert json.loads(out)["index"]["encoder"] == "tiny"

    monkeypatch.setenv("SOUNDSCOUT_ENCODER__NAME", "builtin")  # explicitly another encoder
    code, _, err = run(capsys, library, "rebuild")
    assert code == 1 and "embedded with tiny" in err and "--encoder builtin" in err
    code, _, err = run(capsys, library, "search", "kick")
    assert code == 1 and "embedded with tiny" in err
    code, _, err = run(capsys, library, "export", str(tmp_path / "exported"))
    assert code == 1 and "embedded with tiny" in err and "Nothing to export" not in err
    monkeypatch.delenv("SOUNDSCOUT_ENCODER__NAME")
    code, out, err = run(capsys, library, "search", "kick", "--json")  # the index survived
    assert code == 0 and len(json.loads(out)["results"]) == 12, err


def _soundscout() -> str:
    return shutil.which("soundscout") or str(Path(sys.executable).parent / "soundscout")


def test_serve_reports_the_port_it_really_listens_on(
    capsys, bracket_library: tuple[Path, Path]
) -> None:
    library, _ = bracket_library
    proc = subprocess.Popen(
        [_soundscout(), "-L", str(library), "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as a terminal delivers it, even when the suite itself was started in the
        # background (where SIGINT is ignored, and children inherit that).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match and match.group(1) != "0", line
        port = int(match.group(1))
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.1)
        assert health.json()["ok"] is True
        # A second server on the same port: a clear error, not a traceback.
        code, out, err = run(capsys, library, "serve", "--port", str(port))
        assert code == 1 and out == ""
        assert f"Cannot listen on 127.0.0.1:{port}" in err and "--port" in err
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "Traceback" not in stderr  # Ctrl-C: a clean stop
    assert "Interrupted." in stderr and "resume" not in stderr  # nothing to resume


def test_serve_warns_when_there_is_no_library_yet(capsys, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code, out, err = run(capsys, tmp_path / "typo", "serve", "--port", str(port))
    assert code == 1 and "Cannot listen" in err
    assert f"No library at {tmp_path / 'typo'} yet: serving an empty one" in err
    assert not (tmp_path / "typo").exists()


def test_clear_errors_for_wrong_targets(
    capsys, tmp_path: Path, bracket_library: tuple[Path, Path]
) -> None:
    library, folder = bracket_library
    a_file = tmp_path / "a file"
    a_file.write_text("x")
    code, _, err = run(capsys, library, "export", str(a_file))
    assert code == 1 and "Cannot export into" in err and "Traceback" not in err
    code, _, err = run(capsys, library, "search", "--audio", str(folder / "Drums"))
    assert code == 1 and "is a folder, not a sound file" in err.replace("\n", "")


def test_alpha_without_a_hybrid_query_is_flagged(
    capsys, bracket_library: tuple[Path, Path]
) -> None:
    library, folder = bracket_library
    code, out, err = run(capsys, library, "search", "snare", "--alpha", "1", "--json")
    assert code == 0 and json.loads(out)["mode"] == "text"
    assert "--alpha weighs a text and a reference sound together" in err
    assert {"took_ms", "loading_ms"} <= set(json.loads(out))
    code, out, err = run(capsys, library, "search", "snare", "--alpha", "3")
    assert code == 1 and "alpha must be between 0 and 1" in err and "ignored" not in err
    reference = str(folder / BRACKETED[0])
    code, out, err = run(
        capsys, library, "search", "snare", "-a", reference, "--alpha", "1", "--json"
    )
    assert code == 0 and json.loads(out)["mode"] == "hybrid" and "--alpha" not in err


def test_a_copy_of_a_catalogued_sound_leaves_the_original_out(
    capsys, tmp_path: Path, bracket_library: tuple[Path, Path]
) -> None:
    library, folder = bracket_library
    original = folder / BRACKETED[0]
    copy = tmp_path / "elsewhere" / "copy.wav"
    copy.parent.mkdir()
    shutil.copy(original, copy)
    for reference in (copy, original):
        code, out, err = run(capsys, library, "search", "--audio", str(reference), "--json")
        paths = [r["path"] for r in json.loads(out)["results"]]
        assert code == 0 and paths and str(original) not in paths, err
    run(capsys, library, "index", str(copy.parent), "--no-progress")  # the copy catalogued
    code, out, err = run(capsys, library, "search", "--audio", str(original), "--json")
    ids = {r["path"]: r["id"] for r in json.loads(out)["results"]}
    assert code == 0 and str(copy) not in ids, err
    code, out, err = run(capsys, library, "search", "snare", "-k", "50", "--json")
    by_path = {r["path"]: r["id"] for r in json.loads(out)["results"]}
    for reference, other in ((original, copy), (copy, original)):  # by id: the same
        code, out, err = run(
            capsys, library, "search", "--id", str(by_path[str(reference)]), "--json"
        )
        paths = [r["path"] for r in json.loads(out)["results"]]
        assert code == 0 and paths and str(other) not in paths, err


def test_a_deleted_folder_is_named_and_can_be_forgotten(
    capsys, tmp_path: Path, bracket_library: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    library, folder = bracket_library
    other = tmp_path / "other pack"
    write_audio(other / "a.wav", tone(300, 0.4), 22050)
    write_audio(other / "sub" / "b.wav", tone(600, 0.4, kind="noise"), 22050)
    code, out, _ = run(capsys, library, "index", str(other), "--workers", "0", "--no-progress")
    assert code == 0 and "2 indexed" in out
    shutil.rmtree(other)
    code, _, err = run(capsys, library, "index", str(other))
    flat = err.replace("\n", " ")
    assert code == 1 and "holds 2 sounds from it" in flat and "soundscout forget" in flat
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))  # asked, and declined
    code, out, _ = run(capsys, library, "forget", str(other))
    assert code == 0 and "Nothing was forgotten." in out
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # asked, and no answer comes
    code, out, err = run(capsys, library, "forget", str(other))
    assert code == 1 and "Nothing was forgotten" in err and "--yes" in err
    code, out, _ = run(capsys, library, "forget", str(other), "--yes")
    assert code == 0 and "Dropped 2 sounds" in out
    code, out, _ = run(capsys, library, "status", "--json")
    stats = json.loads(out)
    assert stats["roots"] == [str(folder)] and stats["index"]["count"] == 2
    code, out, _ = run(capsys, library, "search", "x", "-k", "50", "--json")
    assert all(str(other) not in r["path"] for r in json.loads(out)["results"])
    code, out, _ = run(capsys, library, "forget", str(other), "--yes")
    assert code == 0 and "No catalogued sounds" in out


@pytest.mark.parametrize(
    "args",
    [("forget", "", "--yes"), ("index", ""), ("export", ""), ("-L", "", "status")],
)
def test_an_empty_path_is_refused_not_read_as_the_working_directory(
    capsys, bracket_library: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, args: tuple
) -> None:
    """``forget "$DIR" --yes`` with DIR unset, run from the library's folder, dropped it all."""
    library, folder = bracket_library
    monkeypatch.chdir(folder)
    code, _, err = run(capsys, library, *args)
    assert code == 2 and "it is empty" in err
    code, out, _ = run(capsys, library, "status", "--json")
    assert json.loads(out)["index"]["count"] == 2  # nothing dropped


def test_config_show_names_the_library_folder_in_use(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOUNDSCOUT_CONFIG", raising=False)
    monkeypatch.delenv("SOUNDSCOUT_LIBRARY__PATH", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    code, out, _ = main_out(capsys, "config", "show", "--sources")
    expected = tmp_path / "data" / "soundscout" / "library"
    assert code == 0 and f"library.path = None  # default (so {expected})" in out
    code, out, _ = main_out(capsys, "config", "show")
    assert f"# library folder in use: {expected}" in out


def main_out(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", [[], ["search"], ["index"], ["init"]])
def test_help_shows_no_type_beside_on_off_flags(capsys, command: list[str]) -> None:
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "--help" in out and "<bool>" not in out and "list[str]" not in out


def test_a_named_pipe_as_the_reference_is_named_as_such(
    env,  # noqa: F811
    capsys,
    tmp_path: Path,
) -> None:
    library = tmp_path / "lib"
    write_audio(tmp_path / "s" / "a.wav", tone(440, 0.5), 22050)
    assert main(["-L", str(library), "index", str(tmp_path / "s"), "--no-progress"]) == 0
    pipe = tmp_path / "ref.wav"
    os.mkfifo(pipe)
    capsys.readouterr()
    assert main(["-L", str(library), "search", "--audio", str(pipe)]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "not a regular file (a pipe, device or socket)" in err and "not found" not in err


def test_files_that_cannot_be_written_or_read_are_errors_not_tracebacks(
    capsys, tmp_path: Path, bracket_library: tuple[Path, Path]
) -> None:
    library, folder = bracket_library
    code, out, err = run(capsys, library, "duplicates", "--csv", str(tmp_path / "no" / "x.csv"))
    assert code == 1 and "Cannot write the CSV" in err and "Traceback" not in err
    code, out, _ = run(capsys, library, "duplicates", "--csv", str(folder), "--json")
    assert code == 1 and json.loads(out)["error"]["code"] == "file_error"
    exported = tmp_path / "export"
    code, _, err = run(capsys, library, "export", str(exported))
    assert code == 0, err
    before = (exported / "paths.json").read_text()
    (exported / "segments.json").unlink()
    (exported / "segments.json").mkdir()  # where a file goes: refused before any is written
    (exported / "paths.json").write_text("earlier")
    code, _, err = run(capsys, library, "export", str(exported))
    assert code == 1 and "segments.json there is a folder" in err and "Traceback" not in err
    assert (exported / "paths.json").read_text() == "earlier" != before
    binary = tmp_path / "config.yaml"
    binary.write_bytes(bytes(range(256)) * 4)
    code, _, err = run(capsys, library, "-c", str(binary), "status")
    assert code == 1 and "not text (UTF-8)" in " ".join(err.split())
    code, _, err = run(capsys, library, "eval", str(folder), "--html", str(folder))
    assert code == 1 and "which is a folder" in err
    code, _, err = run(capsys, library, "status", "--failures", "9" * 30)
    assert code == 2 and "Traceback" not in err


def test_a_damaged_index_is_named_so_not_missing(
    capsys, bracket_library: tuple[Path, Path]
) -> None:
    library, _ = bracket_library
    files = [p for p in (library / "index").rglob("*") if p.is_file()]
    assert files
    for path in files:
        path.write_bytes(os.urandom(64))
    code, out, _ = run(capsys, library, "status")
    assert code == 0 and "unreadable" in out and "none yet" not in out
    code, out, _ = run(capsys, library, "status", "--json")
    assert json.loads(out)["index_unreadable"] is True
    code, out, _ = run(capsys, library, "search", "snare", "--json")
    assert code == 0 and json.loads(out)["results"]  # rebuilt from the catalog, in memory
    code, out, _ = run(capsys, library, "rebuild")
    assert code == 0
    code, out, _ = run(capsys, library, "status", "--json")
    stats = json.loads(out)
    assert stats["index_unreadable"] is False and stats["index"]["count"] == 2


def test_a_line_break_in_a_file_name_keeps_piped_results_one_per_line(
    capsys,
    env,  # noqa: F811
    tmp_path: Path,
) -> None:
    folder = tmp_path / "sounds"
    write_audio(folder / "new\nline.wav", tone(300, 0.4), 22050)
    write_audio(folder / "tab\there.wav", tone(600, 0.4), 22050)
    write_audio(folder / "back\\nslash.wav", tone(450, 0.4), 22050)  # a backslash, then n
    library = tmp_path / "lib"
    code, _, _ = run(capsys, library, "index", str(folder), "--workers", "0", "--no-progress")
    assert code == 0
    code, out, _ = run(capsys, library, "search", "tone", "-k", "5")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2 + 3  # the title, the header, three results
    assert all(len(line.split("\t")) == len(lines[1].split("\t")) for line in lines[1:])
    assert any("new\\nline.wav" in line for line in lines)
    assert any("back\\\\nslash.wav" in line for line in lines)  # not read as a line break
