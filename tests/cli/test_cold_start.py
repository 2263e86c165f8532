"""A one-off CLI search imports only what it needs (its speed: bench_cold_start.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from soundscout.cli.main import main

HEAVY = ("torch", "sentence_transformers", "transformers", "av", "ray", "fastapi")
PROBE = """
import json, sys
from soundscout.cli.main import main
code = main(sys.argv[1:])
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
builtin = "soundscout.encoders.builtin" in sys.modules
print(json.dumps({{"code": code, "heavy": heavy, "model": builtin}}), file=sys.stderr)
"""


def probe(library: Path, *args: str) -> tuple[dict, str]:
    """Run the CLI in a fresh interpreter; which heavy modules it imported, and its output."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), "-L", str(library), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(library.parent)},
    )
    return json.loads(proc.stderr.strip().splitlines()[-1]), proc.stdout


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated sound folder indexed with the builtin model."""
    from tests.audiogen import make_library

    root = tmp_path_factory.mktemp("cold")
    make_library(root / "sounds", n_per_kind=2)
    code = main(
        ["-L", str(root / "lib"), "index", str(root / "sounds"), "--workers", "0", "--no-progress"]
    )
    assert code == 0
    return root / "lib"


def test_a_text_search_needs_neither_torch_nor_sentence_transformers(library: Path) -> None:
    info, out = probe(library, "search", "deep kick", "-k", "3", "--json")
    assert info["code"] == 0 and info["model"] and info["heavy"] == []
    results = json.loads(out)["results"]
    assert len(results) == 3 and results[0]["relevance"] is not None


def test_a_search_no_filter_passes_loads_no_model(library: Path) -> None:
    info, out = probe(library, "search", "deep kick", "--format", "exe", "--json")
    assert info == {"code": 0, "heavy": [], "model": False}
    body = json.loads(out)
    assert body["results"] == []
    assert body["notes"] and "format exe" in body["notes"][0] and "wav" in body["notes"][0]


def test_an_outside_sound_as_the_query_loads_the_audio_tower(library: Path, tmp_path: Path) -> None:
    kick = tmp_path / "kick.wav"  # not catalogued, so it is decoded and embedded
    kick.write_bytes(next((library.parent / "sounds").rglob("kick_*.wav")).read_bytes())
    info, out = probe(library, "search", "--audio", str(kick), "-k", "2", "--json")
    assert info["code"] == 0 and "torch" in info["heavy"] and "av" in info["heavy"]
    results = json.loads(out)["results"]  # its catalogued copy is left out
    assert [Path(r["path"]).name for r in results][:1] == ["kick_01.flac"]
