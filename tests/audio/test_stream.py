"""Streaming decode on real, synthesised files: the chunks add up to decode_file's waveform."""

from __future__ import annotations

import contextlib
import gc
import inspect
import logging
import os
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from soundscout.audio import decode
from soundscout.audio.decode import decode_file, probe
from soundscout.audio.stream import StreamedAudio, stream_file
from soundscout.errors import DecodeError
from tests.audio.test_decode import CORRUPT
from tests.audiogen import tone, write_audio, write_corrupt

SR = 44100
OUT = 16000
CHUNK = 0.37  # seconds: lines up with no decoder block


def open_fds(path: Path) -> int:
    """How many of this process's file descriptors point at ``path``."""
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        pytest.skip("needs /proc/self/fd")
    count = 0
    for fd in fds.iterdir():
        with contextlib.suppress(OSError):
            count += os.readlink(fd) == str(path)
    return count


def collect(streamed: StreamedAudio, sample_rate: int, chunk_seconds: float) -> np.ndarray:
    """All the chunks joined, after checking each is mono float32 of the promised size."""
    size = int(chunk_seconds * sample_rate + 1e-6)
    chunks = list(streamed.chunks)
    assert chunks
    assert all(c.dtype == np.float32 and c.ndim == 1 for c in chunks)
    assert all(c.size == size for c in chunks[:-1])
    assert 0 < chunks[-1].size <= size
    return np.concatenate(chunks)


def assert_same_audio(y: np.ndarray, reference: np.ndarray) -> None:
    assert abs(y.size - reference.size) <= 2
    n = min(y.size, reference.size)
    np.testing.assert_allclose(y[:n], reference[:n], atol=1e-4)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three seconds of stereo (a tone left, noise right) at 44.1 kHz in several formats."""
    folder = tmp_path_factory.mktemp("stream")
    x = np.stack([tone(440, 3.0, SR), tone(0, 3.0, SR, kind="noise", amp=0.3)], axis=1)
    return {
        fmt: write_audio(folder / f"take.{fmt}", x, SR) for fmt in ("wav", "flac", "ogg", "m4a")
    }


@pytest.fixture(params=["wav", "flac", "ogg", "m4a", "wav-via-pyav"])
def path(request: pytest.FixtureRequest, files: dict[str, Path], monkeypatch: pytest.MonkeyPatch):
    """Each file; ``m4a`` (AAC, with encoder padding) and ``wav-via-pyav`` go through FFmpeg."""
    if request.param == "wav-via-pyav":
        monkeypatch.setattr(decode, "_SF_KINDS", frozenset())
    return files[request.param.split("-")[0]]


# --- the same audio as decode_file ----------------------------------------------------------


def test_chunks_concatenate_to_decode_file(path: Path) -> None:
    info, reference = decode_file(path, OUT)
    streamed = stream_file(path, OUT, chunk_seconds=CHUNK)
    assert streamed.info == info
    assert_same_audio(collect(streamed, OUT, CHUNK), reference)


def test_native_rate_matches_decode_file_and_the_declared_frames(path: Path) -> None:
    info, reference = decode_file(path, None)
    y = collect(stream_file(path, info.sample_rate, chunk_seconds=CHUNK), SR, CHUNK)
    np.testing.assert_array_equal(y, reference)
    assert y.size == info.frames  # AAC padding trimmed as decode_file trims it


@pytest.mark.parametrize("fmt", ["wav", "m4a"])
def test_max_seconds_stops_early_but_reports_the_real_duration(
    files: dict[str, Path], fmt: str
) -> None:
    streamed = stream_file(files[fmt], OUT, chunk_seconds=0.5, max_seconds=1.2)
    assert streamed.info.duration == pytest.approx(3.0, abs=0.03)
    y = collect(streamed, OUT, 0.5)
    assert y.size == pytest.approx(1.2 * OUT, abs=2)
    assert_same_audio(y, decode_file(files[fmt], OUT, max_seconds=1.2)[1])


def test_non_finite_samples_become_zero(tmp_path: Path) -> None:
    x = tone(440, 0.5, SR)
    x[[10, 2000, 20000]] = [np.nan, np.inf, -np.inf]
    path = write_audio(tmp_path / "f.wav", x, SR, subtype="FLOAT")
    y = collect(stream_file(path, SR, chunk_seconds=0.1), SR, 0.1)
    np.testing.assert_array_equal(y[[10, 2000, 20000]], 0.0)
    assert_same_audio(
        collect(stream_file(path, OUT, chunk_seconds=0.1), OUT, 0.1), decode_file(path, OUT)[1]
    )


# --- broken and refused files ----------------------------------------------------------------


def test_truncated_wav_keeps_what_is_there(tmp_path: Path, files: dict[str, Path]) -> None:
    path = tmp_path / "cut.wav"
    half_a_second = SR // 2 * 4  # bytes: 4 a frame in stereo PCM16
    path.write_bytes(files["wav"].read_bytes()[: 44 + half_a_second])
    y = collect(stream_file(path, OUT, chunk_seconds=CHUNK), OUT, CHUNK)
    assert y.size == pytest.approx(OUT / 2, abs=2)
    assert_same_audio(y, decode_file(path, OUT)[1])


@pytest.mark.parametrize("where", [0.2, 0.5])
def test_damaged_mp3_is_decoded_around_the_damage(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, where: float
) -> None:
    """libsndfile gives up at the damage: in its first block (at 0.2), FFmpeg decodes the
    whole file as for decode_file; later (0.5), FFmpeg goes on from where it stopped."""
    path = write_audio(tmp_path / "wind.mp3", tone(330, 12.0, 22050, kind="noise"), 22050)
    data = bytearray(path.read_bytes())
    start = int(len(data) * where)
    data[start : start + 6000] = np.random.default_rng(7).bytes(6000)
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING):
        streamed = stream_file(path, OUT, chunk_seconds=2.0)
        y = collect(streamed, OUT, 2.0)
    assert ("libsndfile failed" in caplog.text) == (where == 0.5)
    assert y.size > 10.5 * OUT  # the whole recording but the damaged stretch
    info, reference = decode_file(path, OUT)
    assert_same_audio(y, reference)
    assert streamed.info == (info if where == 0.2 else probe(path))  # libsndfile's header
    assert open_fds(path) == 0


@pytest.mark.parametrize("kind", CORRUPT)
def test_undecodable_files_raise_at_stream_file(tmp_path: Path, kind: str) -> None:
    name, reason = CORRUPT[kind]
    path = write_corrupt(tmp_path / name, kind)
    with pytest.raises(DecodeError) as caught:
        stream_file(path, OUT)
    assert caught.value.message.startswith(reason)
    with pytest.raises(DecodeError) as by_decode_file:
        decode_file(path, OUT)
    assert caught.value.message == by_decode_file.value.message
    assert open_fds(path) == 0


def test_missing_file_and_directory_raise_at_stream_file(tmp_path: Path) -> None:
    with pytest.raises(DecodeError, match="file not found"):
        stream_file(tmp_path / "nope.wav", OUT)
    (tmp_path / "folder.wav").mkdir()
    with pytest.raises(DecodeError, match="is a directory"):
        stream_file(tmp_path / "folder.wav", OUT)


def test_a_file_without_samples_raises_when_iterated(tmp_path: Path) -> None:
    path = tmp_path / "silent.wav"
    sf.write(path, np.zeros(0, np.float32), SR)
    streamed = stream_file(path, OUT)
    assert streamed.info.frames == 0
    with pytest.raises(DecodeError, match="no audio samples"):
        next(streamed.chunks)
    assert open_fds(path) == 0


def test_invalid_arguments_raise_value_error(files: dict[str, Path]) -> None:
    for kwargs in ({"chunk_seconds": 0}, {"chunk_seconds": 1e-6}, {"max_seconds": 0}):
        with pytest.raises(ValueError):
            stream_file(files["wav"], OUT, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        stream_file(files["wav"], 0)


# --- the file handle ---------------------------------------------------------------------------


def test_the_file_is_closed_however_the_stream_ends(path: Path) -> None:
    assert open_fds(path) == 0
    streamed = stream_file(path, OUT, chunk_seconds=CHUNK)
    assert open_fds(path) == 1
    list(streamed.chunks)
    assert open_fds(path) == 0  # exhausted

    streamed = stream_file(path, OUT, chunk_seconds=CHUNK)
    # Started, so close() runs its cleanup: Python >= 3.12 skips that for a fresh generator.
    assert inspect.getgeneratorstate(streamed.chunks) == inspect.GEN_SUSPENDED
    streamed.chunks.close()
    assert open_fds(path) == 0  # closed before the first chunk

    with contextlib.closing(stream_file(path, OUT, chunk_seconds=CHUNK).chunks) as chunks:
        next(chunks)
        assert open_fds(path) == 1
    assert open_fds(path) == 0  # closed after one chunk

    chunks = stream_file(path, OUT, chunk_seconds=CHUNK).chunks
    next(chunks)
    del chunks
    gc.collect()
    assert open_fds(path) == 0  # garbage-collected


# --- long files -------------------------------------------------------------------------------


def test_twenty_minutes_stream_in_bounded_memory(tmp_path: Path) -> None:
    """20 min at 8 kHz, 16 kHz out: 77 MB as one array; the stream holds about a chunk."""
    path, rate, minutes, chunk_seconds = tmp_path / "long.wav", 8000, 20, 30.0
    minute = tone(440, 60.0, rate)  # whole periods: the minutes join seamlessly
    with sf.SoundFile(path, "w", rate, 1, subtype="PCM_16") as f:
        for _ in range(minutes):
            f.write(minute)
    streamed = stream_file(path, OUT, chunk_seconds=chunk_seconds)
    size, total = int(chunk_seconds * OUT), 0
    tracemalloc.start()
    try:
        for chunk in streamed.chunks:
            assert chunk.size == size or total + chunk.size == minutes * 60 * OUT
            rms = np.sqrt(chunk @ chunk / chunk.size)  # @: no temporary array in the peak
            assert rms == pytest.approx(0.5 / np.sqrt(2), rel=0.01)
            total += chunk.size
            del chunk
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total == minutes * 60 * OUT
    assert peak < 3 * size * 4  # bytes: the caller's chunk, the next one, a decoder block
