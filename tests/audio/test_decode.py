"""Decoding real, synthesised files of every format, and every way a file can be bad."""

from __future__ import annotations

import os
import pathlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from soundscout.audio import decode
from soundscout.audio.decode import (
    AUDIO_EXTENSIONS,
    AudioInfo,
    decode_bytes,
    decode_file,
    is_audio_path,
    load_audio,
    probe,
    resample,
)
from soundscout.errors import DecodeError
from tests.audiogen import FORMATS, make_library, tone, write_audio, write_corrupt

SR = 22050
OUT = 16000
NATIVE_RATE = {"opus": 48000}  # write_audio resamples Opus to 48 kHz


def dominant_hz(x: np.ndarray, sr: int) -> float:
    """Frequency of the strongest FFT bin."""
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return float(np.argmax(spectrum)) * sr / x.size


@pytest.fixture(scope="module")
def encoded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One second of a 440 Hz sine (amplitude 0.5) in every writable format."""
    folder = tmp_path_factory.mktemp("formats")
    x = tone(440, 1.0, SR)
    return {fmt: write_audio(folder / f"tone.{fmt}", x, SR) for fmt in FORMATS}


# --- round trips ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_probe_reads_metadata(encoded: dict[str, Path], fmt: str) -> None:
    info = probe(encoded[fmt])
    assert isinstance(info, AudioInfo)
    assert info.format == fmt
    assert info.sample_rate == NATIVE_RATE.get(fmt, SR)
    assert info.channels == 1
    assert info.duration == pytest.approx(1.0, abs=0.03)
    assert info.frames is not None
    assert info.frames == pytest.approx(info.duration * info.sample_rate, abs=1)


@pytest.mark.parametrize("fmt", FORMATS)
def test_decode_gives_the_tone_at_the_requested_rate(encoded: dict[str, Path], fmt: str) -> None:
    info, y = decode_file(encoded[fmt], OUT)
    assert info == probe(encoded[fmt])
    assert y.dtype == np.float32 and y.ndim == 1
    assert abs(y.size - OUT) <= 0.03 * OUT  # lossy codecs may pad a little
    assert dominant_hz(y, OUT) == pytest.approx(440, abs=3)
    assert 0.4 < np.abs(y).max() < 0.65
    assert np.isfinite(y).all()


@pytest.mark.parametrize("fmt", FORMATS)
def test_native_rate_length_matches_the_declared_frames(encoded: dict[str, Path], fmt: str) -> None:
    info, y = decode_file(encoded[fmt], None)
    assert y.size == info.frames  # codec padding (AAC) trimmed to the container's length


@pytest.mark.parametrize("fmt", ["wav", "flac", "aiff"])
def test_lossless_formats_are_sample_exact(encoded: dict[str, Path], fmt: str) -> None:
    y = load_audio(encoded[fmt], None)
    np.testing.assert_allclose(y, tone(440, 1.0, SR), atol=1.5 / 32768)


@pytest.mark.parametrize("fmt", FORMATS)
def test_decode_bytes_matches_decode_file(encoded: dict[str, Path], fmt: str) -> None:
    path = encoded[fmt]
    info, y = decode_bytes(path.read_bytes(), OUT, filename=path.name)
    file_info, file_y = decode_file(path, OUT)
    assert info == file_info
    np.testing.assert_allclose(y, file_y, atol=1e-6)


def test_load_audio_is_the_waveform_of_decode_file(encoded: dict[str, Path]) -> None:
    np.testing.assert_array_equal(
        load_audio(encoded["ogg"], OUT), decode_file(encoded["ogg"], OUT)[1]
    )


# --- extensions and content ---------------------------------------------------------------


def test_audio_extensions_are_lower_case_with_a_dot() -> None:
    assert {f".{fmt}" for fmt in FORMATS} <= AUDIO_EXTENSIONS
    assert {".wave", ".oga", ".aif", ".aifc", ".aac", ".mp4"} <= AUDIO_EXTENSIONS
    assert all(ext.startswith(".") and ext == ext.lower() for ext in AUDIO_EXTENSIONS)


@pytest.mark.parametrize("name", ["A.WAV", "b.Flac", "c.M4A", "d/e.Opus", "f.mp3", "g.aif"])
def test_is_audio_path_ignores_case(name: str) -> None:
    assert is_audio_path(name)
    assert is_audio_path(Path(name))


@pytest.mark.parametrize("name", ["notes.txt", "wav", "take.wav.bak", "cover.jpg", "folder/"])
def test_is_audio_path_rejects_other_files(name: str) -> None:
    assert not is_audio_path(name)


@pytest.mark.parametrize("name", ["LOUD.WAV", "Mixed.Flac", "SONG.M4A", "VOICE.OPUS"])
def test_upper_case_extensions_decode(tmp_path: Path, name: str) -> None:
    path = write_audio(tmp_path / name, tone(440, 0.5, SR), SR)
    assert dominant_hz(load_audio(path, OUT), OUT) == pytest.approx(440, abs=4)


@pytest.mark.parametrize(("content", "name"), [("wav", "x.mp3"), ("m4a", "x.flac"), ("ogg", "x")])
def test_content_decides_not_the_extension(tmp_path: Path, content: str, name: str) -> None:
    path = write_audio(tmp_path / name, tone(440, 0.5, SR), SR, fmt=content)
    info, y = decode_file(path, OUT)
    assert info.format == content
    assert dominant_hz(y, OUT) == pytest.approx(440, abs=4)


# --- channels, sample formats, rates --------------------------------------------------------


@pytest.mark.parametrize("fmt", ["wav", "flac", "m4a"])
def test_stereo_is_mixed_down_to_the_channel_mean(tmp_path: Path, fmt: str) -> None:
    x = tone(440, 1.0, SR)
    cancel = write_audio(tmp_path / f"cancel.{fmt}", np.stack([x, -x], axis=1), SR)
    half = write_audio(tmp_path / f"half.{fmt}", np.stack([x, np.zeros_like(x)], axis=1), SR)
    assert probe(cancel).channels == 2
    assert np.abs(load_audio(cancel, None)).max() < 0.01
    middle = load_audio(half, None)[2000:-2000]  # AAC rings at the abrupt start
    assert np.abs(middle).max() == pytest.approx(0.25, abs=0.02)


def test_four_channels_are_averaged(tmp_path: Path) -> None:
    x = tone(440, 0.5, SR)
    data = np.stack([x, x, x, -x], axis=1)  # mean is x / 2
    path = write_audio(tmp_path / "quad.wav", data, SR, subtype="FLOAT")
    assert probe(path).channels == 4
    np.testing.assert_allclose(load_audio(path, None), x / 2, atol=1e-6)


SUBTYPES = {"PCM_U8": 1 / 64, "PCM_16": 1 / 16384, "PCM_24": 1e-6, "PCM_32": 1e-6, "FLOAT": 1e-7}


@pytest.mark.parametrize("backend", ["soundfile", "pyav"])
@pytest.mark.parametrize("subtype", [*SUBTYPES, "DOUBLE"])
def test_sample_formats_are_scaled_to_unit_range(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, subtype: str, backend: str
) -> None:
    if backend == "pyav":  # libsndfile refuses nothing: force the FFmpeg path
        monkeypatch.setattr(decode, "_SF_KINDS", frozenset())
    x = np.stack([tone(440, 0.25, SR, amp=0.9), tone(440, 0.25, SR, amp=0.3)], axis=1)
    path = write_audio(tmp_path / "s.wav", x, SR, subtype=subtype)
    info, y = decode_file(path, None)
    assert info.sample_rate == SR and info.channels == 2
    np.testing.assert_allclose(y, x.mean(axis=1), atol=SUBTYPES.get(subtype, 1e-7))


def test_float_files_keep_overs_and_zero_non_finite_samples(tmp_path: Path) -> None:
    x = tone(440, 0.25, SR, amp=1.5)
    x[[10, 20, 30]] = [np.nan, np.inf, -np.inf]
    y = load_audio(write_audio(tmp_path / "f.wav", x, SR, subtype="FLOAT"), None)
    assert np.isfinite(y).all()
    np.testing.assert_array_equal(y[[10, 20, 30]], 0.0)
    assert np.abs(y).max() == pytest.approx(1.5, abs=0.01)  # no clipping


def test_96k_is_resampled_without_aliasing(tmp_path: Path) -> None:
    wanted = write_audio(tmp_path / "5k.wav", tone(5000, 1.0, 96000), 96000)
    above = write_audio(tmp_path / "30k.wav", tone(30000, 1.0, 96000), 96000)
    assert probe(wanted).sample_rate == 96000
    y = load_audio(wanted, OUT)
    assert y.size == OUT
    assert dominant_hz(y, OUT) == pytest.approx(5000, abs=3)
    assert np.sqrt(np.mean(load_audio(above, OUT) ** 2)) < 1e-3  # 30 kHz must not fold down


@pytest.mark.parametrize("fmt", ["wav", "m4a"])
def test_max_seconds_stops_early_but_reports_the_real_duration(tmp_path: Path, fmt: str) -> None:
    path = write_audio(tmp_path / f"long.{fmt}", tone(440, 3.0, SR), SR)
    info, y = decode_file(path, OUT, max_seconds=1.0)
    assert y.size == OUT
    assert info.duration == pytest.approx(3.0, abs=0.03)
    assert load_audio(path, None, max_seconds=10).size == info.frames == 3 * SR


def test_invalid_arguments_raise_value_error(encoded: dict[str, Path]) -> None:
    with pytest.raises(ValueError):
        decode_file(encoded["wav"], OUT, max_seconds=0)
    with pytest.raises(ValueError):
        decode_file(encoded["wav"], 0)


def test_resample() -> None:
    x = tone(440, 1.0, SR)
    y = resample(x, SR, OUT)
    assert y.dtype == np.float32 and y.size == OUT
    assert dominant_hz(y, OUT) == pytest.approx(440, abs=2)
    np.testing.assert_array_equal(resample(x, SR, SR), x)
    assert resample(x.astype(np.float64), SR, SR).dtype == np.float32
    with pytest.raises(ValueError):
        resample(x, 0, OUT)


# --- bad files ------------------------------------------------------------------------


CORRUPT = {
    "empty": ("bad.flac", "empty file (0 bytes)"),
    "truncated_wav": ("bad.wav", "truncated or corrupt WAV header"),
    "text_as_mp3": ("bad.mp3", "not an audio file: unrecognised format"),
    "random_bytes": ("bad.wav", "not an audio file: unrecognised format"),
    "video_only": ("bad.mp4", "no audio stream"),
}


@pytest.mark.parametrize("kind", CORRUPT)
def test_corrupt_files_raise_a_specific_decode_error(tmp_path: Path, kind: str) -> None:
    name, reason = CORRUPT[kind]
    path = write_corrupt(tmp_path / name, kind)
    for attempt in (lambda: probe(path), lambda: decode_file(path, OUT)):
        with pytest.raises(DecodeError) as caught:
            attempt()
        assert caught.value.message.startswith(reason)
        assert caught.value.status_code == 422
    with pytest.raises(DecodeError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        decode_bytes(path.read_bytes(), OUT, filename=name)


def test_zero_frames_is_no_audio_samples(tmp_path: Path) -> None:
    path = tmp_path / "silent.wav"
    sf.write(path, np.zeros(0, np.float32), SR)
    assert probe(path).frames == 0
    with pytest.raises(DecodeError, match="no audio samples"):
        decode_file(path, OUT)


@pytest.mark.parametrize("fmt", FORMATS)
def test_truncated_streams_never_crash(encoded: dict[str, Path], fmt: str) -> None:
    data = encoded[fmt].read_bytes()
    for cut in (3, 12, 100, len(data) // 2, len(data) - 7):
        try:
            info, y = decode_bytes(data[:cut], OUT)
        except DecodeError as exc:
            assert exc.message
        else:
            assert y.dtype == np.float32 and y.size > 0 and np.isfinite(y).all()


def test_truncated_wav_data_keeps_what_is_there(encoded: dict[str, Path]) -> None:
    data = encoded["wav"].read_bytes()
    info, y = decode_bytes(data[: 44 + SR], OUT)  # header + half a second of PCM16
    assert info.sample_rate == SR
    assert y.size == pytest.approx(OUT / 2, abs=OUT * 0.02)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DecodeError, match="file not found"):
        decode_file(tmp_path / "nope.wav", OUT)


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "sounds.wav"
    folder.mkdir()
    for attempt in (probe, lambda p: decode_file(p, OUT)):
        with pytest.raises(DecodeError, match="is a directory"):
            attempt(folder)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    with pytest.raises(DecodeError, match="not a regular file"):
        decode_file(fifo, OUT)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads anything")
def test_unreadable_file(tmp_path: Path, encoded: dict[str, Path]) -> None:
    path = tmp_path / "locked.wav"
    path.write_bytes(encoded["wav"].read_bytes())
    path.chmod(0)
    try:
        with pytest.raises(DecodeError, match="permission denied"):
            decode_file(path, OUT)
    finally:
        path.chmod(0o644)


def test_permission_error_is_a_decode_error(
    tmp_path: Path, encoded: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same as test_unreadable_file, but also when the tests run as root."""
    target = encoded["wav"]
    real_open = pathlib.Path.open

    def refusing_open(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if self == target:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", refusing_open)
    with pytest.raises(DecodeError, match="permission denied") as caught:
        probe(target)
    assert caught.value.hint


# --- the shared fixture helper -------------------------------------------------------------


def test_make_library_writes_distinct_decodable_sounds(tmp_path: Path) -> None:
    """Other suites rely on this: every file decodes and each folder has its own spectrum."""
    paths = make_library(tmp_path, n_per_kind=2)
    assert len(paths) == 8 and len({p.suffix for p in paths}) >= 6
    centroid_bands = {"kicks": (50, 300), "pads": (300, 1000), "tones": (2000, 4000)}
    centroid_bands["hats"] = (4000, 8000)
    for path in paths:
        y = load_audio(path, OUT)
        spectrum = np.abs(np.fft.rfft(y))
        centroid = (spectrum * np.fft.rfftfreq(y.size, 1 / OUT)).sum() / spectrum.sum()
        low, high = centroid_bands[path.parent.name]
        assert low < centroid < high, path


def test_an_mp3_damaged_in_the_middle_is_decoded_around_the_damage(tmp_path: Path) -> None:
    """Like ffmpeg, the decoder skips a damaged stretch and goes on; it used to stop there
    and keep only the audio before it (a 100 s recording stored as 20 s)."""
    path = write_audio(
        tmp_path / "wind.mp3", tone(330, 30.0, 22050, kind="noise"), 22050, fmt="mp3"
    )
    data = bytearray(path.read_bytes())
    start = len(data) // 5
    data[start : start + 12_000] = np.random.default_rng(7).bytes(12_000)
    path.write_bytes(bytes(data))
    seconds = len(decode.load_audio(path, 16000)) / 16000
    assert 27.0 <= seconds <= 30.1  # the whole recording but the damaged stretch


@pytest.mark.parametrize("rate", [1, 3, 100])
def test_a_sample_rate_no_audio_has_is_refused_before_resampling(tmp_path: Path, rate: int) -> None:
    """A 1 kB file saying 1 Hz would be resampled to minutes of audio (seconds of CPU)."""
    path = tmp_path / "slow.wav"
    sf.write(path, np.full(500, 0.1, np.float32), rate, subtype="PCM_16")
    with pytest.raises(DecodeError, match="too low for audio"):
        decode.load_audio(path, 16000)
    with pytest.raises(DecodeError, match="too low for audio"):
        decode.decode_bytes(path.read_bytes(), 16000)
    from soundscout.audio.stream import stream_file

    with pytest.raises(DecodeError, match="too low for audio"):
        stream_file(path, 16000)
