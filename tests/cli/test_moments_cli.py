"""Moments on the command line: search --moments, status's Moments and Cut lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from soundscout.cli.main import main
from tests.moments import MomentsLibrary, make_moments_library, write_recording

COLUMNS = ["#", "id", "match", "score", "duration", "format", "path", "why"]


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOUNDSCOUT_CONFIG", raising=False)
    monkeypatch.setenv("SOUNDSCOUT_ENCODER__NAME", "tiny")


def _index(library: Path, sounds: Path) -> None:
    code = main(["-L", str(library), "index", str(sounds), "--workers", "0", "--no-progress"])
    assert code == 0


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, MomentsLibrary]:
    """(library, sounds): the moments library indexed through the CLI."""
    root = tmp_path_factory.mktemp("moments_cli")
    sounds = make_moments_library(root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOUNDSCOUT_ENCODER__NAME", "tiny")
        mp.delenv("SOUNDSCOUT_CONFIG", raising=False)
        _index(root / "library", sounds.sounds)
    return root / "library", sounds


def run(capsys: pytest.CaptureFixture[str], library: Path, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["-L", str(library), *args])
    return code, capsys.readouterr().out


def _table(out: str) -> tuple[list[str], dict[str, dict[str, str]]]:
    """Piped output: a title, the column names, one tab-separated row per result."""
    lines = out.splitlines()
    assert lines[0].startswith("# ")
    columns = lines[1].split("\t")
    rows = [dict(zip(columns, line.split("\t"), strict=True)) for line in lines[2:]]
    return columns, {Path(r["path"]).name: r for r in rows}


def test_search_moments_prints_where(capsys, lib) -> None:
    library, sounds = lib
    code, out = run(capsys, library, "search", "--audio", str(sounds.query), "--moments")
    assert code == 0
    columns, rows = _table(out)
    assert columns == [*COLUMNS[:5], "moments", *COLUMNS[5:]]
    first = out.splitlines()[2].split("\t")
    assert Path(first[columns.index("path")]).name in {"field_a.wav", "field_b.wav"}
    best_a = rows["field_a.wav"]["moments"].split(", ")[0]
    assert best_a.startswith("00:31") or best_a.startswith("00:30"), best_a
    assert "-00:32" in best_a
    assert best_a.endswith("=")  # the burst itself: found by its pattern
    assert rows["field_b.wav"]["moments"].split(", ")[0].startswith("00:12")
    for name in ("hum_0.wav", "noise_0.wav"):
        assert rows[name]["moments"] == "-"


def test_search_without_moments_has_no_column(capsys, lib) -> None:
    library, sounds = lib
    code, out = run(capsys, library, "search", "--audio", str(sounds.query))
    columns, rows = _table(out)
    assert code == 0 and columns == COLUMNS
    top = out.splitlines()[2].split("\t")[columns.index("path")]
    assert Path(top).parent.name == "hum"  # whole files only: the hums win


def test_search_moments_json(capsys, lib) -> None:
    library, sounds = lib
    args = ("search", "--audio", str(sounds.query), "--moments", "--json", "-k", "5")
    code, out = run(capsys, library, *args)
    results = json.loads(out)["results"]
    assert code == 0 and len(results) == 5
    by_name = {Path(r["path"]).name: r for r in results}
    best = by_name["field_a.wav"]["moments"][0]
    assert 30.5 <= best["start"] < best["end"] <= 33.0
    assert best["pattern"] is True
    assert all(r["moments"] == [] for r in results if Path(r["path"]).parent.name == "hum")


def test_status_prints_the_moments_line(capsys, lib) -> None:
    library, sounds = lib
    code, out = run(capsys, library, "status", "--json")
    moments = json.loads(out)["moments"]
    assert code == 0 and moments["sounds"] == len(sounds.long) and moments["segments"] > 0
    code, out = run(capsys, library, "status")
    line = next(x for x in out.splitlines() if x.startswith("Moments:"))
    assert f"{moments['segments']} segments in {len(sounds.long)} long sounds" in line
    assert not any(x.startswith("Cut:") for x in out.splitlines())


def test_status_lists_cut_sounds(capsys, tmp_path: Path, monkeypatch) -> None:
    sounds = tmp_path / "sounds"
    long = write_recording(sounds / "field.wav", 45.0, (40.0,), seed=3)
    write_recording(sounds / "short.wav", 12.0, seed=4)
    monkeypatch.setenv("SOUNDSCOUT_INGEST__MAX_FILE_SECONDS", "30")
    library = tmp_path / "library"
    _index(library, sounds)
    code, out = run(capsys, library, "status", "--json")
    cut = json.loads(out)["moments"]["cut"]
    assert code == 0 and cut["count"] == 1 and cut["max_file_seconds"] == 30
    assert [c["path"] for c in cut["sounds"]] == [str(long)]
    code, out = run(capsys, library, "status")
    cut_text = out[out.index("Cut:") :]
    assert cut_text.startswith("Cut:     1 sounds") and str(long) in cut_text
    assert "short.wav" not in out


def test_show_counts_a_long_sounds_segments(capsys, lib) -> None:
    library, sounds = lib
    code, out = run(capsys, library, "show", str(sounds.field_a), "--json")
    assert code == 0 and json.loads(out)["segments"] > 40  # 50 s: a window every 0.5 s
    code, out = run(capsys, library, "show", str(sounds.hums[0]), "--json")
    assert code == 0 and json.loads(out)["segments"] is None  # a short sound has none
