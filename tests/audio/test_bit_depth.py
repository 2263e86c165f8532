"""Bit depth read from real files by both decoders: PCM, float and lossless sizes; None for
lossy codecs."""

from __future__ import annotations

from pathlib import Path

import pytest

from soundscout.audio import decode
from soundscout.audio.decode import decode_file, probe
from tests.audiogen import tone, write_alac, write_audio

SR = 22050
#: (file name, soundfile subtype or None for the format's default) -> bit depth
FILES = {
    ("s.wav", "PCM_U8"): 8,
    ("s.wav", "PCM_16"): 16,
    ("s.wav", "PCM_24"): 24,
    ("s.wav", "PCM_32"): 32,
    ("s.wav", "FLOAT"): 32,
    ("s.wav", "DOUBLE"): 64,
    ("s.flac", "PCM_16"): 16,
    ("s.flac", "PCM_24"): 24,
    ("s.aiff", "PCM_24"): 24,
    ("s.mp3", None): None,
    ("s.ogg", None): None,
    ("s.opus", None): None,
    ("s.m4a", None): None,  # AAC
}


@pytest.mark.parametrize("backend", ["soundfile", "pyav"])
@pytest.mark.parametrize(("name", "subtype"), list(FILES))
def test_bit_depth_of_each_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str, name: str, subtype: str | None
) -> None:
    if backend == "pyav":  # the FFmpeg path, as for a file libsndfile refuses
        monkeypatch.setattr(decode, "_SF_KINDS", frozenset())
    path = write_audio(tmp_path / name, tone(440, 0.3, SR), SR, subtype=subtype)
    expected = FILES[(name, subtype)]
    assert probe(path).bit_depth == expected
    assert decode_file(path, 16000)[0].bit_depth == expected


@pytest.mark.parametrize("bits", [16, 24])
def test_apple_lossless_bit_depth_comes_from_its_header(tmp_path: Path, bits: int) -> None:
    """FFmpeg decodes 24-bit ALAC to 32-bit samples: the size is the file's, not the decoder's."""
    path = write_alac(tmp_path / "a.m4a", tone(440, 0.3, SR), SR, bits)
    info = probe(path)
    assert (info.format, info.subtype, info.bit_depth) == ("m4a", "alac", bits)
