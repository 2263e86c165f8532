"""The "same recording" fingerprint on real files: copies print alike, other sounds not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from soundscout.audio.decode import decode_file
from soundscout.config import load_config
from soundscout.duplicates.fingerprint import Print, compute, distance
from soundscout.duplicates.rules import DURATION_TOLERANCE
from tests.audiogen import write_audio
from tests.duplicates.conftest import SR, recording, resampled, reverb

#: The shipped threshold (duplicates.recording_distance in default.yaml).
THRESHOLD = load_config(environ={}).settings.duplicates.recording_distance
RATE = 16000  # the builtin encoder's, at which ingest decodes


def _print(path: Path) -> tuple[Print, float]:
    info, waveform = decode_file(path, RATE)
    return compute(waveform, RATE), info.duration


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> tuple[Print, float]:
    path = write_audio(tmp_path_factory.mktemp("fp") / "original.wav", recording(), SR)
    return _print(path)


@pytest.mark.parametrize(
    "name, make",
    [
        ("copy.mp3", lambda x: (x, SR)),
        ("copy.ogg", lambda x: (x, SR)),
        ("quieter.flac", lambda x: (x * 0.5, SR)),  # -6 dB
        ("48k.wav", lambda x: (resampled(x, SR, 48000), 48000)),
        ("22k.wav", lambda x: (resampled(x, SR, 22050), 22050)),
        ("trimmed.wav", lambda x: (x[int(0.05 * SR) : -int(0.05 * SR)], SR)),
    ],
)
def test_copies_of_a_recording_print_alike(
    tmp_path: Path, original: tuple[Print, float], name: str, make
) -> None:
    samples, rate = make(recording())
    copy, duration = _print(write_audio(tmp_path / name, samples, rate))
    assert distance(original[0], copy) <= THRESHOLD
    assert abs(duration - original[1]) <= DURATION_TOLERANCE


@pytest.mark.parametrize(
    "name, make",
    [
        ("other_take.wav", lambda: recording(seed=1)),
        ("reverb.wav", lambda: reverb(recording(), SR)),
        ("octave_up.wav", lambda: resampled(recording(), SR, SR // 2)),  # pitch and speed x2
    ],
)
def test_other_sounds_do_not(tmp_path: Path, original: tuple[Print, float], name, make) -> None:
    other, _ = _print(write_audio(tmp_path / name, make(), SR))
    assert distance(original[0], other) > THRESHOLD


def test_silence_is_found_and_leading_silence_skipped() -> None:
    assert compute(np.zeros(RATE, np.float32), RATE).silent
    hiss = np.random.default_rng(0).uniform(-1e-4, 1e-4, RATE).astype(np.float32)  # -80 dBFS
    assert compute(hiss, RATE).silent
    sound = resampled(recording(), SR, RATE)
    late = compute(np.concatenate([np.zeros(10 * RATE, np.float32), sound]), RATE)
    assert not late.silent and distance(late, compute(sound, RATE)) == 0.0


def test_silent_prints_match_nothing() -> None:
    silent = compute(np.zeros(RATE, np.float32), RATE)
    assert distance(silent, silent) == float("inf")
