"""The words on the command line: search --match/--category, show, categories."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from soundscout.cli.main import main
from tests.taggen import BAD_METADATA, bext_chunk, ixml_chunk, plain, wav, write_bad_metadata

MANY_WORDS = " ".join(f"word{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(40))
COLUMNS = ["#", "id", "match", "score", "duration", "format", "path", "why"]
WOOD = "DOORWood_Slam Heavy Wooden Door_JD_LIB.wav"
METAL = "DOORMetl_Vault Clang_JD_LIB.wav"


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOUNDSCOUT_CONFIG", raising=False)
    monkeypatch.setenv("SOUNDSCOUT_ENCODER__NAME", "tiny")


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(library, sounds), indexed through the CLI itself."""
    tmp = tmp_path_factory.mktemp("cli_words")
    root = tmp / "sounds"
    wav(root / "clip_bext.wav", 1, front=[bext_chunk(b"zorblax rumble")])
    wav(root / "clip_keys.wav", 2, front=[ixml_chunk({"KEYWORDS": "quenthor, hinge"})])
    plain(root / "doors" / WOOD, 3)
    plain(root / "doors" / METAL, 4)
    plain(root / "ZZZQFoo_Odd Thing_JD_LIB.wav", 5)
    write_bad_metadata(root / "bad")
    library = tmp / "library"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOUNDSCOUT_ENCODER__NAME", "tiny")
        mp.delenv("SOUNDSCOUT_CONFIG", raising=False)
        code = main(["-L", str(library), "index", str(root), "--workers", "0", "--no-progress"])
    assert code == 0
    return library, root


def run(capsys: pytest.CaptureFixture[str], library: Path, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["-L", str(library), *args])
    out, err = capsys.readouterr()
    return code, out, err


def _rows(out: str) -> list[dict[str, str]]:
    """The piped output: '# title', the column names, one tab-separated line per result."""
    lines = out.splitlines()
    assert lines[0].startswith("# ") and lines[1].split("\t") == COLUMNS
    rows = [dict(zip(COLUMNS, line.split("\t"), strict=True)) for line in lines[2:]]
    return rows


def test_search_words_shows_the_matched_words(capsys, lib) -> None:
    library, root = lib
    code, out, _ = run(capsys, library, "search", "zorblax", "--match", "words")
    assert code == 0
    assert out.splitlines()[0].startswith("# text search (words) — 1 result in")
    [row] = _rows(out)
    assert row["path"] == str(root / "clip_bext.wav") and row["format"] == "wav"
    assert row["why"] == "description: zorblax; words #1"
    assert re.fullmatch(r"(strong|fair|weak) [01]\.\d\d", row["match"])


def test_search_words_shows_the_category(capsys, lib) -> None:
    library, root = lib
    code, out, _ = run(capsys, library, "search", "closet", "--match", "words")
    assert code == 0
    [row] = _rows(out)
    assert row["path"] == str(root / "doors" / WOOD)
    assert row["why"] == "category: closet; [DOORS/WOOD]; words #1"


def test_search_both_ranks_in_each_list(capsys, lib) -> None:
    library, root = lib
    code, out, _ = run(capsys, library, "search", "quenthor", "-k", "3")
    assert code == 0 and "text search (both)" in out.splitlines()[0]
    rows = _rows(out)
    assert len(rows) == 3 and rows[0]["path"] == str(root / "clip_keys.wav")
    assert rows[0]["why"].startswith("keywords: quenthor; sound #")
    assert rows[0]["why"].endswith(", words #1")
    assert all("words #" not in r["why"] and r["why"].startswith("sound #") for r in rows[1:])


def test_search_sound_has_no_words_rank(capsys, lib) -> None:
    library, _ = lib
    code, out, _ = run(capsys, library, "search", "quenthor", "--match", "sound", "-k", "50")
    assert code == 0 and "text search (sound)" in out
    assert all("words #" not in r["why"] for r in _rows(out))


def test_search_category_filter(capsys, lib) -> None:
    library, root = lib
    for category in ("DOORS-WOOD", "doorwood", "Doors/Wood"):
        code, out, _ = run(capsys, library, "search", "door", "--category", category)
        assert code == 0
        assert [r["path"] for r in _rows(out)] == [str(root / "doors" / WOOD)]
    code, out, _ = run(capsys, library, "search", "door", "--category", "DOORS", "--json")
    body = json.loads(out)
    assert {Path(h["path"]).name for h in body["results"]} == {WOOD, METAL}
    assert {h["category"] for h in body["results"]} == {"DOORS"}


def test_search_json_has_match_notes_and_explanations(capsys, lib) -> None:
    library, _ = lib
    code, out, _ = run(capsys, library, "search", "zorblax", "--match", "words", "--json")
    body = json.loads(out)
    assert code == 0 and body["match"] == "words" and body["mode"] == "text"
    assert isinstance(body["notes"], list) and "loading_ms" in body
    [hit] = body["results"]
    assert hit["name"] == "clip_bext.wav"
    assert hit["explain"]["matches"] == [{"field": "description", "words": ["zorblax"]}]
    assert hit["explain"]["words_rank"] == 1 and hit["explain"]["sound_rank"] is None
    code, out, _ = run(capsys, library, "search", MANY_WORDS, "--match", "words", "--json")
    body = json.loads(out)
    assert code == 0 and body["results"] == []
    assert any("first 16 words" in note for note in body["notes"])


def test_notes_are_printed_as_warnings(capsys, lib) -> None:
    library, _ = lib
    code, out, err = run(capsys, library, "search", MANY_WORDS, "--match", "words")
    assert code == 0 and "0 results" in out
    assert "first 16 words" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--match", "bogus"), "match must be one of both, words, sound (got 'bogus')"),
        (("--category", "NOPE"), "Unknown UCS category 'NOPE'"),
        (("--category", "NOPE", "--match", "words"), "Unknown UCS category 'NOPE'"),
    ],
)
def test_bad_match_or_category_is_a_message(capsys, lib, args, message) -> None:
    library, _ = lib
    code, out, err = run(capsys, library, "search", "door", *args)
    assert code == 1 and out == ""
    assert message in err and "Traceback" not in err
    assert "Hint:" in err


def test_bad_options_in_a_real_process_print_no_traceback(lib) -> None:
    library, _ = lib
    for args in (["--match", "bogus"], ["--category", "NOPE"]):
        proc = subprocess.run(
            [sys.executable, "-m", "soundscout.cli.main", "-L", str(library), "search", "x", *args],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "SOUNDSCOUT_ENCODER__NAME": "tiny"},
        )
        assert proc.returncode == 1, proc.stderr
        assert "Error:" in proc.stderr and "Traceback" not in proc.stderr


def _id_of(library: Path, path: Path) -> int:
    conn = sqlite3.connect(library / "catalog.sqlite")
    try:
        return conn.execute("SELECT id FROM sounds WHERE path = ?", (str(path),)).fetchone()[0]
    finally:
        conn.close()


def test_show_by_id_and_by_path(capsys, lib) -> None:
    library, root = lib
    path = root / "doors" / WOOD
    sound_id = _id_of(library, path)
    code, out, _ = run(capsys, library, "show", str(sound_id), "--json")
    assert code == 0
    body = json.loads(out)
    assert body["id"] == sound_id and body["path"] == str(path) and body["status"] == "done"
    assert (body["category"], body["subcategory"], body["catid"]) == ("DOORS", "WOOD", "DOORWood")
    assert body["words"]["name"] == "slam heavy wooden door doorwood"
    assert "closet" in body["words"]["category"] and body["words"]["folders"] == "doors"
    assert body["tags"] == {} and body["tag_warnings"] == []

    code, by_path, _ = run(capsys, library, "show", str(path), "--json")
    assert code == 0 and json.loads(by_path) == body

    code, text, _ = run(capsys, library, "show", str(sound_id))
    assert code == 0
    for expected in ("DOORWood", "DOORS", "WOOD", "words name", "slam heavy wooden door"):
        assert expected in text
    code, text_by_path, _ = run(capsys, library, "show", str(path))
    assert code == 0 and text_by_path == text


def test_show_tags(capsys, lib) -> None:
    library, root = lib
    code, out, _ = run(capsys, library, "show", str(root / "clip_keys.wav"), "--json")
    body = json.loads(out)
    assert code == 0 and body["tags"] == {"ixml.USER.KEYWORDS": "quenthor, hinge"}
    assert body["words"]["keywords"] == "quenthor, hinge"
    code, out, _ = run(capsys, library, "show", str(root / "clip_keys.wav"))
    assert "tag ixml.USER.KEYWORDS" in out and "quenthor, hinge" in out


@pytest.mark.parametrize("name", list(BAD_METADATA))
def test_show_bad_metadata_warnings(capsys, lib, name: str) -> None:
    library, root = lib
    _, warning, word = BAD_METADATA[name]
    code, out, _ = run(capsys, library, "show", str(root / "bad" / name), "--json")
    body = json.loads(out)
    assert code == 0 and body["status"] == "done"
    if warning is None:
        assert body["tag_warnings"] == []
    else:
        assert len(body["tag_warnings"]) == 1 and body["tag_warnings"][0].startswith(warning)
        code, text, _ = run(capsys, library, "show", str(root / "bad" / name))
        assert "skipped" in text and warning.split(":")[0] in text
    assert word in json.dumps(body, ensure_ascii=False).lower().replace("è", "e")


def test_show_ucs_warning(capsys, lib) -> None:
    library, root = lib
    code, out, _ = run(
        capsys, library, "show", str(root / "ZZZQFoo_Odd Thing_JD_LIB.wav"), "--json"
    )
    body = json.loads(out)
    assert code == 0 and body["category"] is None
    assert len(body["tag_warnings"]) == 1 and "ZZZQFoo" in body["tag_warnings"][0]


@pytest.mark.parametrize(
    ("sound", "message"),
    [("999999", "No sound with id 999999"), ("/no/such/file.wav", "No catalogued sound at")],
)
def test_show_unknown_sound(capsys, lib, sound: str, message: str) -> None:
    library, _ = lib
    code, out, err = run(capsys, library, "show", sound)
    assert code == 1 and out == "" and message in err and "Traceback" not in err


def test_categories(capsys, lib) -> None:
    library, _ = lib
    code, out, _ = run(capsys, library, "categories", "--json")
    assert code == 0
    assert json.loads(out) == {
        "categories": [
            {"category": "DOORS", "subcategory": "METAL", "count": 1},
            {"category": "DOORS", "subcategory": "WOOD", "count": 1},
        ]
    }
    code, out, _ = run(capsys, library, "categories")  # piped: tab-separated lines
    assert code == 0
    assert out.splitlines() == [
        "category\tsubcategory\tsounds",
        "DOORS\tMETAL\t1",
        "DOORS\tWOOD\t1",
    ]


def test_show_by_path_under_an_indexed_folder(capsys, lib) -> None:
    """Results print paths under the indexed folder; show takes them as they are."""
    library, root = lib
    code, out, _ = run(capsys, library, "show", f"doors/{WOOD}", "--json")
    assert code == 0 and json.loads(out)["path"] == str(root / "doors" / WOOD)


def test_categories_of_a_library_without_ucs(capsys, tmp_path: Path) -> None:
    root = tmp_path / "sounds"
    plain(root / "kick.wav", 1)
    library = tmp_path / "library"
    code, _, _ = run(capsys, library, "index", str(root), "--workers", "0", "--no-progress")
    assert code == 0
    code, out, _ = run(capsys, library, "categories")
    assert code == 0 and "No sound has a UCS category" in out
    code, out, _ = run(capsys, library, "categories", "--json")
    assert json.loads(out) == {"categories": []}


def test_index_reports_words_read_for_an_old_library(capsys, tmp_path: Path) -> None:
    root = tmp_path / "sounds"
    wav(root / "clip.wav", 1, front=[bext_chunk(b"backfillword")])
    plain(root / "other.wav", 2)
    library = tmp_path / "library"
    assert run(capsys, library, "index", str(root), "--workers", "0", "--no-progress")[0] == 0
    conn = sqlite3.connect(library / "catalog.sqlite")
    with conn:
        conn.execute("DELETE FROM sound_words")
        conn.execute("INSERT INTO sound_word_forms (sound_word_forms) VALUES ('delete-all')")
        conn.execute("DELETE FROM sound_tags")
        conn.execute("UPDATE sounds SET words_version = NULL")
    conn.close()
    code, out, _ = run(capsys, library, "index", str(root), "--workers", "0", "--no-progress")
    assert code == 0 and "0 indexed" in out
    assert "read the names and tags of 2 sounds indexed before" in out
    code, out, _ = run(capsys, library, "search", "backfillword", "--match", "words")
    assert [r["path"] for r in _rows(out)] == [str(root / "clip.wav")]


def test_status_counts_the_words_read(capsys, lib) -> None:
    library, root = lib
    code, out, _ = run(capsys, library, "status", "--json")
    assert code == 0
    data = json.loads(out)
    done = data["sounds"]["done"]
    warned = (
        sqlite3.connect(library / "catalog.sqlite")
        .execute("SELECT COUNT(*) FROM sound_tags WHERE warnings != '[]'")
        .fetchone()[0]
    )
    assert data["words"] == {"read": done, "ucs": 2, "with_warnings": warned} and warned >= 3
    code, out, _ = run(capsys, library, "status")
    assert f"names and tags read for {done} sounds, 2 with a UCS" in " ".join(out.split())


@pytest.mark.parametrize(("files", "rate_shown"), [(3, False), (20, True)])
def test_index_rate_only_over_enough_files(
    capsys, tmp_path: Path, files: int, rate_shown: bool
) -> None:
    """A run that embedded a handful of files prints no files/s (the scan and the index
    update would make it read as slow)."""
    root = tmp_path / "sounds"
    for seed in range(files):
        plain(root / f"clip_{seed:03d}_x.wav", seed + 1, seconds=0.1)
    code, out, _ = run(
        capsys, tmp_path / "library", "index", str(root), "--workers", "0", "--no-progress"
    )
    assert code == 0 and f"{files} indexed" in out
    assert ("files/s" in out) == rate_shown
