"""Keeping libraries apart: `init` gives a project its own library; `index` says which
library it wrote to."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.audiogen import make_library


def soundscout(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it, in ``cwd``, with a home of its own (no user config)."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(cwd.parent / "home"),
        "XDG_DATA_HOME": str(cwd.parent / "home" / "data"),
        "SOUNDSCOUT_ENCODER__NAME": "tiny",
        "SOUNDSCOUT_INGEST__WORKERS": "0",
    }
    return subprocess.run(
        [sys.executable, "-m", "soundscout.cli.main", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_two_projects_keep_their_sounds_apart(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    make_library(one / "sounds", n_per_kind=1)
    make_library(two / "sounds", n_per_kind=1)
    for project in (one, two):
        done = soundscout(project, "init")
        assert done.returncode == 0 and str(project / ".soundscout") in done.stdout
        indexed = soundscout(project / "sounds", "index", ".", "--no-progress")
        assert indexed.returncode == 0, indexed.stderr
        assert f"library: {project / '.soundscout'} (the project's .soundscout folder)" in (
            " ".join(indexed.stdout.split())
        )
    for project in (one, two):
        found = soundscout(project, "search", "sound", "--match", "sound", "--json")
        paths = [r["path"] for r in json.loads(found.stdout)["results"]]
        assert paths and all(f"/{project.name}/sounds/" in p for p in paths), paths


def test_the_default_library_is_named_as_shared(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir()
    make_library(tmp_path / "work" / "sounds", n_per_kind=1)
    indexed = soundscout(tmp_path / "work", "index", "sounds", "--no-progress")
    text = " ".join(indexed.stdout.split())
    assert indexed.returncode == 0 and "the per-user default, shared by every project" in text
    assert str(tmp_path / "home" / "data" / "soundscout" / "library") in text


def test_init_twice_and_init_of_a_missing_folder(tmp_path: Path) -> None:
    assert soundscout(tmp_path, "init").returncode == 0
    again = soundscout(tmp_path, "init")
    assert again.returncode == 0 and "already exists" in again.stdout
    missing = soundscout(tmp_path, "init", "nope")
    assert missing.returncode != 0 and "not a folder" in missing.stderr + missing.stdout


def test_init_keeps_the_library_out_of_git_and_status_reads_it_at_once(tmp_path: Path) -> None:
    (tmp_path / "game").mkdir()
    assert soundscout(tmp_path / "game", "init").returncode == 0
    ignore = (tmp_path / "game" / ".soundscout" / ".gitignore").read_text()
    assert "*" in ignore.splitlines()
    status = soundscout(tmp_path / "game", "status")
    assert status.returncode == 0, status.stderr
    assert f"Library: {tmp_path / 'game' / '.soundscout'}" in status.stdout


def test_init_over_a_file_named_soundscout_says_so(tmp_path: Path) -> None:
    (tmp_path / ".soundscout").write_text("a file")
    done = soundscout(tmp_path, "init")
    assert done.returncode == 1 and "Cannot create" in done.stderr
    assert "Traceback" not in done.stderr


def test_init_inside_a_project_says_it_hides_the_outer_library(tmp_path: Path) -> None:
    (tmp_path / "game" / "sub").mkdir(parents=True)
    assert soundscout(tmp_path / "game", "init").returncode == 0
    inner = soundscout(tmp_path / "game" / "sub", "init")
    assert inner.returncode == 0
    assert f"inside the project library {tmp_path / 'game' / '.soundscout'}" in " ".join(
        inner.stdout.split()
    )


def test_serve_names_the_library_it_serves(tmp_path: Path) -> None:
    (tmp_path / "game").mkdir()
    assert soundscout(tmp_path / "game", "init").returncode == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "soundscout.cli.main", "serve", "--port", "0"],
        cwd=tmp_path / "game",
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home")},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(2)]
    finally:
        proc.terminate()
        proc.wait(30)
    assert lines[1].strip() == (
        f"Library: {tmp_path / 'game' / '.soundscout'} (the project's .soundscout folder)"
    )
