"""`soundscout eval` end to end on generated sounds (tiny encoder): output shapes, reuse of
the library's vectors without writing to it, the throwaway library, and bad input."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import pytest

from soundscout.cli.main import main
from tests.audiogen import make_library, write_corrupt


def run(capsys: pytest.CaptureFixture[str], library: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-L", str(library), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No user configuration, sequential decoding, and a private temporary folder."""
    for name in ("SOUNDSCOUT_CONFIG", "SOUNDSCOUT_ENCODER__NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SOUNDSCOUT_INGEST__WORKERS", "0")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    return scratch


@pytest.fixture
def sounds(tmp_path: Path) -> Path:
    """kicks/, hats/, pads/, tones/ with 5 sounds each, plus 2 in a small folder."""
    root = tmp_path / "sounds"
    make_library(root, n_per_kind=5, seconds=0.5, formats=("wav", "flac", "ogg"))
    make_library(tmp_path / "few", n_per_kind=2, seconds=0.5)
    (tmp_path / "few" / "kicks").rename(root / "few")
    return root


def _eval_json(capsys, library: Path, sounds: Path, *extra: str) -> dict:
    code, out, err = run(
        capsys, library, "eval", str(sounds), "--encoder", "tiny", "--json", "--no-progress", *extra
    )
    assert code == 0, err
    return json.loads(out)


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha1(p.read_bytes()).hexdigest()
        + str(p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_eval_json_has_one_row_per_encoder_and_baseline(env, capsys, tmp_path, sounds) -> None:
    data = _eval_json(capsys, tmp_path / "nolib", sounds)
    assert [r["name"] for r in data["results"]] == ["tiny", "mfcc", "random"]
    assert set(data["labels"]) == {"kicks", "hats", "pads", "tones"}
    assert data["labels"]["kicks"] == {"files": 5, "queries": ["kicks"], "best_precision": 0.4}
    assert data["left_out"]["small_labels"] == {"few": 2}
    tiny, mfcc, rand = data["results"]
    assert tiny["vectors"] == "embedded" and mfcc["vectors"] == "computed"
    assert mfcc["text_to_audio"] is None and tiny["text_to_audio"] is not None
    assert set(tiny["per_label"]) == set(data["labels"])
    # 4 labels of 5 among 20 files: a random neighbour shares the label with p = 4/19.
    assert rand["audio_to_audio"]["precision_micro"] == pytest.approx(4 / 19, abs=1e-4)
    # The synthetic kinds differ plainly in spectrum: MFCC statistics beat random.
    assert (
        mfcc["audio_to_audio"]["precision_micro"] > 1.5 * rand["audio_to_audio"]["precision_micro"]
    )
    assert not list(env.iterdir()), "the throwaway library is removed"
    assert not (tmp_path / "nolib").exists(), "no library is created"


def test_eval_reads_the_librarys_vectors_and_never_writes(env, capsys, tmp_path, sounds) -> None:
    library = tmp_path / "lib"
    code, _, err = run(capsys, library, "index", str(sounds), "--encoder", "tiny", "--no-progress")
    assert code == 0, err
    before = _snapshot(library)
    data = _eval_json(capsys, library, sounds)
    assert data["results"][0]["vectors"] == "library"
    assert _snapshot(library) == before

    # A file changed since indexing: the stored vectors are not trusted, files are embedded.
    changed = next((sounds / "kicks").glob("kick_00.*"))
    changed.write_bytes(changed.read_bytes() + b"\0")
    os.utime(changed, ns=(1, 1))
    data = _eval_json(capsys, library, sounds)
    assert data["results"][0]["vectors"] == "embedded"
    assert _snapshot(library) == before


def test_queries_file_and_html_report(env, capsys, tmp_path, sounds) -> None:
    queries = tmp_path / "q.yaml"
    queries.write_text('kicks: ["deep kick drum", "bass drum hit"]\n')
    html = tmp_path / "out" / "report.html"
    data = _eval_json(
        capsys, tmp_path / "nolib", sounds, "--queries", str(queries), "--html", str(html)
    )
    assert data["labels"]["kicks"]["queries"] == ["deep kick drum", "bass drum hit"]
    assert data["labels"]["hats"]["queries"] == ["hats"]
    page = html.read_text()
    assert page.count("<svg") == 2  # sound→sound and text→sound charts
    for label in ("kicks", "hats", "pads", "tones"):
        assert f">{label} (5)</text>" in page
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
    assert "https://" not in page


def test_terminal_table(env, capsys, tmp_path, sounds) -> None:
    code, out, _ = run(capsys, tmp_path / "nolib", "eval", str(sounds), "--encoder", "tiny")
    out = " ".join(out.split())
    assert code == 0
    assert "20 files in 4 labels" in out
    for word in ("tiny", "mfcc", "random", "per label", "few (2)"):
        assert word in out
    # 5 files a label: a perfect encoder scores P@10 = 0.4, and the table says so
    assert "best P@10" in out and "0.40" in out and "cannot reach P@10 = 1" in out


@pytest.mark.parametrize(
    ("args", "message", "hint"),
    [
        (["--encoder", "nope"], "Unknown encoder 'nope'", "mfcc, tiny"),
        (["--labels", "ucs"], "ucs: only 0 labels", "--labels folders or a labels CSV"),
        (["--depth", "2", "--min-files", "6"], "only 0 labels", "--depth 1 or 2"),
        (["--labels", "missing.csv"], "Cannot read the labels CSV", "--labels folders"),
    ],
)
def test_bad_input_gets_a_message_and_a_next_step(
    env, capsys, tmp_path, sounds, args, message, hint
) -> None:
    code, _, err = run(capsys, tmp_path / "nolib", "eval", str(sounds), "--no-progress", *args)
    err = " ".join(err.split())
    assert code == 1
    assert message in err and "Hint:" in err and hint in err


def test_missing_weights_name_the_download_command(env, capsys, tmp_path, sounds, monkeypatch):
    pytest.importorskip("transformers")
    monkeypatch.setenv("SOUNDSCOUT_MODELS_DIR", str(tmp_path / "no-models"))
    code, _, err = run(capsys, tmp_path / "nolib", "eval", str(sounds), "--encoder", "clamp3")
    err = " ".join(err.split())
    assert code == 1
    assert "clamp3 weights are incomplete" in err
    assert "soundscout models download clamp3" in err


def test_csv_with_one_label_or_missing_files(env, capsys, tmp_path, sounds) -> None:
    labels = tmp_path / "labels.csv"
    kicks = sorted((sounds / "kicks").iterdir())
    labels.write_text("path,label\n" + "".join(f"{p},kick\n" for p in kicks))
    code, _, err = run(capsys, tmp_path / "nolib", "eval", str(sounds), "--labels", str(labels))
    err = " ".join(err.split())
    assert code == 1 and "only 1 label (kick)" in err and "two labels or more" in err

    labels.write_text("path,label\nsounds/kicks/gone.wav,kick\n")
    code, _, err = run(capsys, tmp_path / "nolib", "eval", str(sounds), "--labels", str(labels))
    err = " ".join(err.split())
    assert code == 1 and "do not exist: sounds/kicks/gone.wav" in err


def test_unreadable_files_are_left_out_with_their_reason(env, capsys, tmp_path, sounds) -> None:
    bad = write_corrupt(sounds / "kicks" / "kick_bad.wav", "truncated_wav")
    data = _eval_json(capsys, tmp_path / "nolib", sounds)
    assert data["labels"]["kicks"]["files"] == 5
    assert set(data["left_out"]["failed"]) == {str(bad)}
    assert data["left_out"]["failed"][str(bad)]
