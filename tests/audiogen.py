"""Synthesise small, deterministic audio files for tests.

Import as ``from tests.audiogen import tone, write_audio, write_corrupt, make_library``
(``tests`` is a package, and pytest puts the repository root on ``sys.path``).
Everything here is generated on the fly: no audio fixture is committed.
"""

from __future__ import annotations

import fractions
import io
import os
from pathlib import Path

import av
import numpy as np
import soundfile as sf
import soxr

#: (soundfile format, subtype) for each extension written through libsndfile.
_SF_WRITERS = {
    "wav": ("WAV", "PCM_16"),
    "flac": ("FLAC", "PCM_16"),
    "ogg": ("OGG", "VORBIS"),
    "opus": ("OGG", "OPUS"),
    "mp3": ("MP3", "MPEG_LAYER_III"),
    "aiff": ("AIFF", "PCM_16"),
}
_ALIASES = {"wave": "wav", "oga": "ogg", "aif": "aiff", "aifc": "aiff", "mp4": "m4a"}
_OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
#: Formats :func:`write_audio` can write, as extensions without the dot.
FORMATS = ("wav", "flac", "ogg", "opus", "mp3", "aiff", "m4a")
CORRUPT_KINDS = ("empty", "truncated_wav", "text_as_mp3", "random_bytes", "video_only")


def tone(
    freq: float,
    seconds: float,
    sr: int = 22050,
    kind: str = "sine",
    amp: float = 0.5,
    seed: int = 0,
) -> np.ndarray:
    """A mono float32 test signal.

    Args:
        freq: fundamental in Hz (start frequency for ``chirp``, body for ``kick``).
        seconds: length.
        sr: sample rate.
        kind: ``sine``, ``square``, ``noise`` (white, seeded), ``kick`` (decaying
            pitch drop from 3x ``freq``) or ``chirp`` (linear sweep to 4x ``freq``).
        amp: peak amplitude.
        seed: random seed for ``noise``.
    """
    t = np.arange(int(round(seconds * sr))) / sr
    if kind == "sine":
        x = np.sin(2 * np.pi * freq * t)
    elif kind == "square":
        x = np.sign(np.sin(2 * np.pi * freq * t))
    elif kind == "noise":
        x = np.random.default_rng(seed).uniform(-1.0, 1.0, t.size)
    elif kind == "kick":
        inst = freq * (1.0 + 2.0 * np.exp(-t * 30.0))
        x = np.sin(2 * np.pi * np.cumsum(inst) / sr) * np.exp(-t * 6.0)
    elif kind == "chirp":
        x = np.sin(2 * np.pi * (freq * t + 1.5 * freq * t**2 / max(seconds, 1e-9)))
    else:
        raise ValueError(f"unknown tone kind {kind!r}")
    return (amp * x).astype(np.float32)


def write_audio(
    path: str | os.PathLike[str],
    waveform: np.ndarray,
    sr: int,
    fmt: str | None = None,
    channels: int = 1,
    subtype: str | None = None,
) -> Path:
    """Write ``waveform`` as ``fmt`` (default: from the extension) and return the path.

    A 1-D waveform is copied onto ``channels`` channels; a 2-D (frames, channels)
    one is written as is. WAV/FLAC/AIFF are PCM16 unless ``subtype`` says otherwise.
    Opus is resampled to 48 kHz when ``sr`` is not an Opus rate; M4A is AAC via PyAV
    (mono or stereo only).
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    fmt = _ALIASES.get(fmt, fmt)
    data = np.asarray(waveform, dtype=np.float32)
    if data.ndim == 1:
        data = np.repeat(data[:, None], channels, axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "m4a":
        _write_m4a(path, data, sr)
    elif fmt in _SF_WRITERS:
        container, default_subtype = _SF_WRITERS[fmt]
        if fmt == "opus" and sr not in _OPUS_RATES:
            data, sr = soxr.resample(data, sr, 48000).astype(np.float32), 48000
        sf.write(path, data, sr, format=container, subtype=subtype or default_subtype)
    else:
        raise ValueError(f"write_audio cannot write {fmt!r}")
    return path


def _write_m4a(path: Path, data: np.ndarray, sr: int) -> None:
    layout = {1: "mono", 2: "stereo"}[data.shape[1]]
    with av.open(str(path), "w", format="ipod") as container:
        stream = container.add_stream("aac", rate=sr, layout=layout)
        stream.bit_rate = 64000
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(data.T), format="fltp", layout=layout
        )
        frame.sample_rate, frame.pts, frame.time_base = sr, 0, fractions.Fraction(1, sr)
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)


def write_corrupt(path: str | os.PathLike[str], kind: str) -> Path:
    """Write a file that must not decode: ``empty``, ``truncated_wav`` (cut inside its
    header), ``text_as_mp3`` (plain text), ``random_bytes`` (seeded noise bytes) or
    ``video_only`` (an MP4 with a video stream and no audio)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "video_only":
        _write_video_only(path)
        return path
    if kind == "empty":
        data = b""
    elif kind == "truncated_wav":
        buffer = _wav_bytes(tone(440, 0.1, 8000), 8000)
        data = buffer[:40]
    elif kind == "text_as_mp3":
        data = b"This is a text file pretending to be an MP3.\n" * 40
    elif kind == "random_bytes":
        data = b"\x00" + np.random.default_rng(1234).integers(0, 256, 4096, np.uint8).tobytes()
    else:
        raise ValueError(f"unknown corrupt kind {kind!r}; choose from {CORRUPT_KINDS}")
    path.write_bytes(data)
    return path


def write_damaged_mp3(path: str | os.PathLike[str], how: str, seconds: float = 6.0) -> Path:
    """An MP3 that still decodes but makes libmpg123 print on stderr: ``truncated`` (cut in
    half: "Xing stream size off") or ``garbled`` (bytes overwritten mid-stream: "Illegal
    Audio-MPEG-Header", "Trying to resync")."""
    path = write_audio(path, tone(330, seconds, 22050), 22050, fmt="mp3")
    data = bytearray(path.read_bytes())
    if how == "truncated":
        data = data[: len(data) // 2]
    elif how == "garbled":
        middle = len(data) // 2
        data[middle : middle + 600] = b"\x55" * 600
    else:
        raise ValueError(f"unknown damage {how!r}; choose truncated or garbled")
    path.write_bytes(bytes(data))
    return path


def write_alac(path: str | os.PathLike[str], waveform: np.ndarray, sr: int, bits: int) -> Path:
    """Write mono ``waveform`` as Apple Lossless in an M4A of 16 or 24 ``bits`` (via PyAV;
    libsndfile cannot read it, so FFmpeg decodes it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt, dtype, scale = {16: ("s16p", np.int16, 2**15 - 1), 24: ("s32p", np.int32, 2**31 - 1)}[bits]
    samples = (np.clip(waveform, -1, 1) * scale).astype(dtype)[None]
    with av.open(str(path), "w", format="ipod") as container:
        stream = container.add_stream("alac", rate=sr, layout="mono")
        stream.codec_context.format = fmt
        if bits == 24:
            stream.codec_context.options = {"bits_per_raw_sample": "24"}
        frame = av.AudioFrame.from_ndarray(samples, format=fmt, layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = sr, 0, fractions.Fraction(1, sr)
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return path


def _write_video_only(path: Path) -> None:
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 16, 16, "yuv420p"
        black = np.zeros((16, 16, 3), np.uint8)
        frames = [av.VideoFrame.from_ndarray(black, format="rgb24") for _ in range(3)]
        for packet in [p for f in frames for p in stream.encode(f)] + list(stream.encode(None)):
            container.mux(packet)


def _wav_bytes(waveform: np.ndarray, sr: int) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, waveform, sr, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


#: category -> (sound kind, base frequency): a distinct spectrum per category.
_CATEGORIES = {
    "kicks": ("kick", 55.0),
    "hats": ("hat", 0.0),
    "pads": ("pad", 220.0),
    "tones": ("square", 440.0),
}


def _category_sound(category: str, i: int, seconds: float, sr: int) -> np.ndarray:
    kind, base = _CATEGORIES[category]
    if kind == "hat":  # bright, short: differentiated noise with a fast decay
        noise = tone(0, seconds, sr, kind="noise", seed=i)
        t = np.arange(noise.size) / sr
        return (0.8 * np.diff(noise, prepend=0.0) * np.exp(-t * (25.0 + 5 * i))).astype(np.float32)
    if kind == "pad":  # soft chord with a slow attack
        freqs = [base * (1 + 0.125 * i) * r for r in (1.0, 1.26, 1.5)]
        x = sum(tone(f, seconds, sr, amp=0.2) for f in freqs)
        return (x * np.minimum(1.0, np.arange(x.size) / (0.3 * sr))).astype(np.float32)
    return tone(base * (1 + 0.25 * i), seconds, sr, kind=kind, amp=0.6)


def make_library(
    root: str | os.PathLike[str],
    n_per_kind: int = 2,
    seconds: float = 1.0,
    sr: int = 22050,
    formats: tuple[str, ...] = FORMATS,
) -> list[Path]:
    """A small sound library under ``root``: ``kicks/``, ``hats/``, ``pads/``, ``tones/``.

    Each folder holds ``n_per_kind`` distinct sounds (e.g. ``kicks/kick_00.wav``);
    formats cycle through ``formats`` so every folder mixes them.

    Returns:
        The written paths, sorted.
    """
    root = Path(root)
    paths = []
    for c, category in enumerate(_CATEGORIES):
        for i in range(n_per_kind):
            ext = formats[(c * n_per_kind + i) % len(formats)]
            path = root / category / f"{category[:-1]}_{i:02d}.{ext}"
            paths.append(write_audio(path, _category_sound(category, i, seconds, sr), sr))
    return sorted(paths)
