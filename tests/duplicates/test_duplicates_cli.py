"""`soundscout duplicates`: the table, --json, --csv, --kind, and groups brought up to date."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from rich.console import Console

from soundscout.cli import duplicates_cmds
from soundscout.cli.main import main
from soundscout.duplicates import report
from tests.audiogen import write_audio
from tests.duplicates.conftest import SR, recording


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOUNDSCOUT_CONFIG", raising=False)
    monkeypatch.setenv("SOUNDSCOUT_ENCODER__NAME", "tiny")
    monkeypatch.setenv("SOUNDSCOUT_DUPLICATES__VARIANT_THRESHOLD", "0.96")


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(library, sounds): a recording, two copies, another take and a silent file."""
    tmp = tmp_path_factory.mktemp("cli_duplicates")
    root = tmp / "sounds"
    x = recording()
    write_audio(root / "a" / "hit.wav", x, SR)
    write_audio(root / "b" / "hit.mp3", x, SR)
    write_audio(root / "b" / "hit_quiet.ogg", 0.5 * x, SR)
    write_audio(root / "a" / "hit_take2.wav", recording(seed=2), SR)
    write_audio(root / "quiet" / "nothing.wav", np.zeros(SR, np.float32), SR)
    library = tmp / "library"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOUNDSCOUT_ENCODER__NAME", "tiny")
        mp.setenv("SOUNDSCOUT_DUPLICATES__VARIANT_THRESHOLD", "0.96")
        code = main(["-L", str(library), "index", str(root), "--workers", "0", "--no-progress"])
    assert code == 0
    return library, root


def run(capsys: pytest.CaptureFixture[str], library: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-L", str(library), "duplicates", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_table_shows_the_group_its_kept_copy_and_the_silent_file(
    capsys, lib, monkeypatch: pytest.MonkeyPatch
) -> None:
    library, root = lib
    monkeypatch.setattr(duplicates_cmds, "console", Console(force_terminal=True, width=160))
    code, out, _ = run(capsys, library)
    assert code == 0
    assert "variants, 4 files" in out
    lines = {line.split()[1]: line for line in out.splitlines() if line[:1] in "│|"}
    assert "1 silent files (never grouped)" in out and "nothing.wav" in out
    assert any("keep" in line and "wav" in line for line in lines.values())


def test_piped_output_is_one_line_per_file(capsys, lib) -> None:
    """Piped (not a terminal): whole paths, one tab-separated line per file, for grep and cut."""
    library, root = lib
    code, out, _ = run(capsys, library)
    lines = out.splitlines()
    assert code == 0 and lines[0] == "# 1 of 1 groups, 1 silent files"
    header, *rows = (line.split("\t") for line in lines[1:])
    assert header[:3] == ["group", "kind", "keep"] and header[-1] == "path"
    assert all(len(row) == len(header) for row in rows)
    by_path = {row[-1]: dict(zip(header, row, strict=True)) for row in rows}
    files = ("a/hit.wav", "b/hit.mp3", "b/hit_quiet.ogg", "a/hit_take2.wav", "quiet/nothing.wav")
    assert set(by_path) == {str(root / f) for f in files}
    assert by_path[str(root / "a/hit.wav")]["keep"] == "keep"
    assert by_path[str(root / "b/hit.mp3")]["keep"] == "copy"  # the same recording
    assert by_path[str(root / "quiet/nothing.wav")]["kind"] == "silent"


def test_json_is_the_api_shape(capsys, lib) -> None:
    library, root = lib
    code, out, _ = run(capsys, library, "--json")
    body = json.loads(out)
    assert code == 0 and body["total"] == 1 and body["current"] is True
    (group,) = body["groups"]
    names = {m["name"]: m for m in group["members"]}
    assert group["kind"] == "variant" and set(names) == {
        "hit.wav", "hit.mp3", "hit_quiet.ogg", "hit_take2.wav",
    }  # fmt: skip
    assert names["hit_take2.wav"]["recording_group"] is None
    assert names["hit.wav"]["keep"] and not names["hit.mp3"]["keep"]
    assert [s["name"] for s in body["silent"]] == ["nothing.wav"]


def test_csv_export_lists_every_grouped_and_silent_file(capsys, lib, tmp_path: Path) -> None:
    library, root = lib
    target = tmp_path / "groups.csv"
    code, out, _ = run(capsys, library, "--csv", str(target))
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert code == 0 and "wrote 5 rows" in out
    assert sorted(r["kind"] for r in rows) == ["silent", *["variant"] * 4]
    assert {r["keep"] for r in rows if r["path"].endswith("hit.wav")} == {"1"}
    assert {r["relation"] for r in rows if r["kind"] == "silent"} == {""}
    assert {r["relation"] for r in rows if r["path"].endswith("hit.wav")} == {"keep"}
    _, piped, _ = run(capsys, library, "--csv", "-")
    assert list(csv.DictReader(io.StringIO(piped))) == rows


def test_kind_filters_and_a_bad_kind_is_named(capsys, lib) -> None:
    library, _ = lib
    _, out, _ = run(capsys, library, "--kind", "exact", "--json")
    assert json.loads(out)["groups"] == []
    code, _, err = run(capsys, library, "--kind", "copies")
    assert code == 1 and "Unknown kind 'copies'" in err and "exact, recording, variant" in err


def test_stale_groups_are_brought_up_to_date(capsys, lib) -> None:
    library, _ = lib
    with sqlite3.connect(library / "catalog.sqlite") as conn:
        conn.execute("DELETE FROM duplicate_groups")
        conn.execute("UPDATE meta SET value = '-1' WHERE key = 'duplicates_revision'")
    code, out, _ = run(capsys, library, "--json")
    assert code == 0 and json.loads(out)["total"] == 1


def test_exact_copy_means_a_copy_of_the_kept_file(capsys, tmp_path: Path) -> None:
    """Two lossy files that are exact copies of each other, beside a lossless copy that is
    kept: they are copies of the kept recording, not exact copies of the kept file."""
    root, x = tmp_path / "sounds", recording(seed=5)
    write_audio(root / "master.wav", x, SR)
    shutil.copy(root / "master.wav", root / "master_backup.wav")
    write_audio(root / "web.ogg", x, SR)
    shutil.copy(root / "web.ogg", root / "web_again.ogg")
    library = tmp_path / "library"
    assert main(["-L", str(library), "index", str(root), "--workers", "0", "--no-progress"]) == 0
    capsys.readouterr()
    code, out, _ = run(capsys, library)
    header, *rows = (line.split("\t") for line in out.splitlines()[1:])
    role = {Path(row[-1]).name: dict(zip(header, row, strict=True))["keep"] for row in rows}
    assert code == 0 and role["web.ogg"] == role["web_again.ogg"] == "copy"
    assert sorted((role["master.wav"], role["master_backup.wav"])) == ["exact copy", "keep"]


def test_exact_copy_is_judged_against_its_own_recordings_kept_file() -> None:
    """A variant group holds several recordings, each with its kept copy, and a lone take,
    which is a variant (nothing of it to keep or drop), not "keep"."""

    def row(sound_id: int, bit_depth: int | None) -> SimpleNamespace:
        return SimpleNamespace(id=sound_id, bit_depth=bit_depth, sample_rate=44100, duration=1.0)

    members = [
        (row(1, 16), None, None),  # a lone take
        (row(2, 24), 5, 7), (row(3, 24), 5, 7),  # recording 7: kept (first) and its exact copy
        (row(4, None), None, 7),  # recording 7 as a lossy file
        (row(5, 16), 9, 8), (row(6, 16), 9, 8),  # recording 8: kept and its exact copy
        (row(7, None), 11, 8), (row(10, None), 11, 8),  # two lossy exact copies of each other
    ]  # fmt: skip
    group = report._group(1, members)
    relation = {m.row.id: m.relation for m in group.members}
    assert relation == {
        1: "variant", 2: "keep", 3: "exact copy", 4: "copy", 5: "keep", 6: "exact copy",
        7: "copy", 10: "copy",
    }  # fmt: skip
    assert [m.row.id for m in group.members if m.best] == [1, 2, 5]  # what collapse shows
