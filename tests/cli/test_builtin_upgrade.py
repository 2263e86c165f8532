"""A library embedded with builtin-1 after the upgrade to builtin-2: refused with a way
out, searchable as it is with ``builtin-1``, re-embedded by the next ``index``."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from soundscout.cli.main import main
from soundscout.encoders.builtin import WEIGHTS_DIR_1


def run(capsys: pytest.CaptureFixture[str], library: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-L", str(library), *args])
    out, err = capsys.readouterr()
    return code, out, err


def versions(library: Path) -> set[str]:
    with sqlite3.connect(library / "catalog.sqlite") as db:
        return {v for (v,) in db.execute("SELECT DISTINCT encoder_version FROM sounds")}


def test_a_builtin_1_library_after_the_upgrade(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    sound_folder: Path,
) -> None:
    monkeypatch.delenv("SOUNDSCOUT_CONFIG", raising=False)
    monkeypatch.delenv("SOUNDSCOUT_ENCODER__NAME", raising=False)
    library = tmp_path / "lib"
    # Before the upgrade: the `builtin` encoder ran builtin-1.2.0's weights.
    monkeypatch.setenv("SOUNDSCOUT_ENCODER__WEIGHTS", str(WEIGHTS_DIR_1))
    code, out, _ = run(
        capsys, library, "index", str(sound_folder), "--workers", "0", "--no-progress"
    )
    assert code == 0 and "12 indexed" in out
    (old,) = versions(library)
    assert old.startswith("builtin-1.2.0+")
    monkeypatch.delenv("SOUNDSCOUT_ENCODER__WEIGHTS")

    # After: builtin is builtin-2; a search says what happened and both ways out.
    code, out, err = run(capsys, library, "search", "deep kick", "-k", "3")
    assert code != 0
    assert "builtin-1.2.0" in err and "builtin-2" in err
    assert "soundscout index" in err and "SOUNDSCOUT_ENCODER__NAME=builtin-1" in err

    # builtin-1 searches the library as it is: nothing re-embedded.
    monkeypatch.setenv("SOUNDSCOUT_ENCODER__NAME", "builtin-1")
    code, out, _ = run(capsys, library, "search", "deep kick", "-k", "3", "--json")
    assert code == 0 and len(json.loads(out)["results"]) == 3
    assert versions(library) == {old}
    monkeypatch.delenv("SOUNDSCOUT_ENCODER__NAME")

    # The next index re-embeds every sound with builtin-2.
    code, out, _ = run(
        capsys, library, "index", str(sound_folder), "--workers", "0", "--no-progress"
    )
    assert code == 0
    (new,) = versions(library)
    assert new.startswith("builtin-2.") and new != old
    code, out, _ = run(capsys, library, "search", "grosse caisse", "-k", "3", "--json")
    assert code == 0 and len(json.loads(out)["results"]) == 3
