"""`soundscout eval` on the demo library (rendered with fluidsynth): the builtin model next
to the MFCC baseline and random, as the README's command runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from soundscout.cli.main import main

REPO = Path(__file__).resolve().parents[2]
SOUNDFONTS = (
    Path("/usr/share/sounds/sf2/TimGM6mb.sf2"),
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
)


@pytest.fixture(scope="module")
def demo_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("fluidsynth") is None or not any(p.exists() for p in SOUNDFONTS):
        missing = "needs fluidsynth and a GM soundfont (scripts/install.sh installs them)"
        if os.environ.get("CI"):  # CI installs them: the README's eval must run there
            pytest.fail(missing)
        pytest.skip(missing)
    out = tmp_path_factory.mktemp("demo") / "library"
    script = REPO / "scripts" / "make_demo_library.py"
    subprocess.run([sys.executable, str(script), str(out)], check=True, capture_output=True)
    return out


@pytest.mark.slow
def test_builtin_beats_mfcc_and_random_on_the_demo_library(
    demo_library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.delenv("SOUNDSCOUT_CONFIG", raising=False)
    args = ["-L", str(tmp_path / "nolib"), "eval", str(demo_library), "--labels", "folders"]
    args += ["--encoder", "builtin", "--encoder", "mfcc", "--json", "--no-progress"]
    code = main(args)
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)

    per_folder = Counter(str(p.parent.relative_to(demo_library)) for p in demo_library.rglob("*.*"))
    assert data["labels"].keys() == {f for f, n in per_folder.items() if n >= 5}
    assert data["left_out"]["small_labels"] == {f: n for f, n in per_folder.items() if n < 5}
    assert data["files"] == sum(n for n in per_folder.values() if n >= 5)

    builtin, mfcc, rand = data["results"]
    assert [builtin["name"], mfcc["name"], rand["name"]] == ["builtin", "mfcc", "random"]
    for row in data["results"]:
        assert row["per_label"].keys() == data["labels"].keys()
    assert builtin["vectors"] == "embedded" and mfcc["text_to_audio"] is None

    sound = {r["name"]: r["audio_to_audio"]["precision_micro"] for r in data["results"]}
    assert sound["builtin"] > sound["mfcc"] > sound["random"]
    assert builtin["audio_to_audio"]["precision_macro"] > rand["audio_to_audio"]["precision_macro"]
    assert builtin["text_to_audio"]["ndcg"] > 3 * rand["text_to_audio"]["ndcg"]
    assert builtin["text_to_audio"]["recall"] > 3 * rand["text_to_audio"]["recall"]
