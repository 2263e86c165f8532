"""Full-size parity with outputs of the reference CLaMP 3 code (slow; opt-in).

Set ``SOUNDSCOUT_CLAMP3_PARITY_DIR`` to a folder prepared as ``docs/models.md``
describes: ``ours_weights/`` (the same full-size weights the reference used, in the
clamp3 layout), ``audio/*.wav`` (24 kHz), ``ref_in/*.txt`` (texts) and ``ref_out/*.npy``
(the reference's ``extract_clamp3.py --get_global`` outputs). Nothing fetched is read:
only the reference's saved vectors.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

PARITY = os.environ.get("SOUNDSCOUT_CLAMP3_PARITY_DIR")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(3600),
    pytest.mark.skipif(not PARITY, reason="SOUNDSCOUT_CLAMP3_PARITY_DIR is not set"),
]


def test_full_size_parity_with_the_reference() -> None:
    from soundscout.audio.decode import load_audio
    from soundscout.encoders.registry import create_encoder

    root = Path(str(PARITY))
    enc = create_encoder("clamp3", weights=root / "ours_weights", device="cpu")
    checked = 0
    for ref_file in sorted((root / "ref_out").glob("*.npy")):
        wav, txt = root / "audio" / f"{ref_file.stem}.wav", root / "ref_in" / f"{ref_file.stem}.txt"
        if txt.is_file():
            ours = enc.encode_text(txt.read_text(encoding="utf-8"), normalize_embeddings=False)
        elif wav.is_file() and _is_24k(wav):
            ours = enc.encode_audio(load_audio(wav, 24000), normalize_embeddings=False)
        else:
            continue
        ref = np.load(ref_file).reshape(-1)
        assert np.abs(ours - ref).max() <= 1e-4, ref_file.stem
        assert ours @ ref / np.linalg.norm(ours) / np.linalg.norm(ref) >= 0.99999, ref_file.stem
        checked += 1
    assert checked > 0


def _is_24k(path: Path) -> bool:
    import soundfile as sf

    return sf.info(str(path)).samplerate == 24000
