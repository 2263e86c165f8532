"""Decode audio files or uploaded bytes into mono float32 waveforms.

libsndfile (``soundfile``) is the fast path for WAV, FLAC, Ogg Vorbis/Opus, MP3 and
AIFF; PyAV (FFmpeg) is the fallback for everything else (M4A/AAC, WMA, ...). The
content decides, never the extension: libsndfile is tried only when the first bytes
carry a magic number it knows, and both libraries read a file object, never a name.
Both are read by block generators that :mod:`soundscout.audio.stream` shares.

Every failure raises :class:`~soundscout.errors.DecodeError` whose message starts
with a short human reason (``"empty file (0 bytes)"``, ``"truncated or corrupt WAV
header"``, ``"not an audio file: unrecognised format"``, ``"no audio stream"``,
``"no audio samples"``, ``"permission denied"``, ``"is a directory"``, ...) followed,
in brackets, by the exception classes of the libraries as detail. The reason alone
is on ``error.reason``.

Decisions:
    * Multichannel audio is mixed down to the mean of its channels.
    * Non-finite samples (NaN, inf; only possible in float files) are replaced by 0.
    * A stream that breaks part-way (a truncated MP3, say) keeps what decoded before
      the break, with a warning in the log; it fails only if nothing decoded.
    * Codec padding past the container's declared length (AAC, up to 2048 samples)
      is trimmed; lossy files may still differ from the original by a few ms.
    * ``bit_depth`` is the stored sample size of PCM, float and lossless files (16, 24,
      32...); None for lossy codecs (MP3, Vorbis, Opus, AAC), where it is no property of
      the file, and for codecs whose size is not known here.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import math
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

import av
import numpy as np
import soundfile as sf
import soxr

from soundscout.errors import DecodeError

log = logging.getLogger(__name__)

AUDIO_EXTENSIONS: frozenset[str] = frozenset(
    {".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".aifc"}
    | {".m4a", ".aac", ".mp4", ".wma", ".caf"}
)

RESAMPLE_QUALITY = "HQ"
_BLOCK_FRAMES = 1 << 16
_HEAD_BYTES = 64
#: Damaged packets skipped in one file before its decoding is given up.
_MAX_BAD_PACKETS = 1000
_CORRUPT_HINT = "Check that the file plays in an audio player; re-export it as WAV or FLAC."
#: No audio file is recorded slower than this (telephone audio is 8 kHz): a header saying
#: 1 Hz is broken, and resampling its samples up to the model's rate would cost seconds.
MIN_SAMPLE_RATE = 1000
_MAGIC = {b"fLaC": "FLAC", b"OggS": "Ogg", b"caff": "CAF", b"riff": "W64", b".snd": "AU"}
_SF_KINDS = frozenset({"WAV", "AIFF", "FLAC", "Ogg", "CAF", "W64", "AU", "MP3"})  # libsndfile's
_SF_FORMATS = {"WAV": "wav", "WAVEX": "wav", "AIFF": "aiff", "FLAC": "flac", "MP3": "mp3"}
_AV_FORMATS = {"mov": "m4a", "asf": "wma", "matroska": "mka"}
_INT_SCALE = {"s16": 2.0**15, "s32": 2.0**31, "s64": 2.0**63}
_MAX_PADDING = 2048  # codec padding past the declared length that is trimmed
_SF_BITS = {"FLOAT": 32, "DOUBLE": 64, "ULAW": 8, "ALAW": 8}  # other subtypes: by name
_SIZED_SUBTYPE = re.compile(r"(?:PCM|DPCM|ALAC|DWVW)_[SU]?(\d+)")  # PCM_24, PCM_S8, ALAC_20
_AV_PCM = re.compile(r"pcm_[suf](\d+)")  # pcm_s24le, pcm_f32be, pcm_u8

T = TypeVar("T")


@dataclass(frozen=True)
class AudioInfo:
    """What a file holds, read from its headers (``frames`` is None when unknown)."""

    duration: float
    sample_rate: int
    channels: int
    format: str
    frames: int | None
    subtype: str | None = None
    bit_depth: int | None = None  # bits per stored sample; None for lossy codecs


#: Mono float32 blocks at a file's own rate, read lazily from an open decoder.
_Blocks = Iterator[np.ndarray]
#: A decoder opened on a file: its info and blocks; leaving the context closes the file.
_Reader = contextlib.AbstractContextManager[tuple[AudioInfo, _Blocks]]


class _NoAudioStream(Exception):
    """PyAV opened the container but found no audio stream in it."""


def is_audio_path(path: str | os.PathLike[str]) -> bool:
    """Whether the file name ends in a known audio extension (any case)."""
    return Path(path).suffix.lower() in AUDIO_EXTENSIONS


def probe(path: str | os.PathLike[str]) -> AudioInfo:
    """Read the metadata of an audio file without decoding its samples."""
    p, head = _open_check(path)
    return _with_fallback(head, lambda: _sf_probe(p.open("rb")), lambda: _av_probe(p.open("rb")))


def decode_file(
    path: str | os.PathLike[str], sample_rate: int | None, max_seconds: float | None = None
) -> tuple[AudioInfo, np.ndarray]:
    """Decode a file to mono float32 at ``sample_rate`` (None: the file's own rate).

    Args:
        path: the audio file; its content decides the format, not its extension.
        sample_rate: output rate in Hz, or None to keep the native rate.
        max_seconds: stop after this much audio; ``info.duration`` stays the file's.

    Returns:
        The file's :class:`AudioInfo` and a 1-D float32 waveform.
    """
    p, head = _open_check(path)
    return _decode(lambda: p.open("rb"), head, sample_rate, max_seconds)


def load_audio(
    path: str | os.PathLike[str], sample_rate: int | None, max_seconds: float | None = None
) -> np.ndarray:
    """Just the waveform of :func:`decode_file`."""
    return decode_file(path, sample_rate, max_seconds)[1]


def decode_bytes(
    data: bytes,
    sample_rate: int | None,
    max_seconds: float | None = None,
    filename: str | None = None,
) -> tuple[AudioInfo, np.ndarray]:
    """Like :func:`decode_file` for in-memory bytes (uploads); ``filename`` is for logs."""
    if not data:
        raise DecodeError("empty file (0 bytes)")
    log.debug("decoding %d bytes from %s", len(data), filename or "<bytes>")
    source = functools.partial(io.BytesIO, data)
    return _decode(source, bytes(data[:_HEAD_BYTES]), sample_rate, max_seconds)


def resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Resample with soxr (high quality); float32 out, unchanged when rates are equal."""
    if sr_in <= 0 or sr_out <= 0:
        raise ValueError(f"sample rates must be positive, got {sr_in} and {sr_out}")
    x = np.asarray(x, dtype=np.float32)
    if sr_in == sr_out or x.shape[0] == 0:
        return x
    return np.asarray(soxr.resample(x, sr_in, sr_out, quality=RESAMPLE_QUALITY), dtype=np.float32)


# --- decoding ---------------------------------------------------------------------------


def check_sample_rate(rate: int) -> None:
    """Refuse a sample rate no audio file has (:data:`MIN_SAMPLE_RATE`)."""
    if rate < MIN_SAMPLE_RATE:
        raise DecodeError(
            f"a sample rate of {rate} Hz, too low for audio (a broken header?)",
            hint=_CORRUPT_HINT,
        )


def _decode(
    source: Callable[[], BinaryIO], head: bytes, sample_rate: int | None, max_seconds: float | None
) -> tuple[AudioInfo, np.ndarray]:
    """Decode the bytes ``source()`` opens; shared by :func:`decode_file` and
    :func:`decode_bytes`."""
    if sample_rate is not None and sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    if max_seconds is not None and max_seconds <= 0:
        raise ValueError(f"max_seconds must be positive, got {max_seconds}")
    info, mono = _with_fallback(
        head,
        lambda: _read_all(_sf_reader(source(), max_seconds)),
        lambda: _read_all(_av_reader(source(), max_seconds)),
    )
    if mono.size == 0:
        raise DecodeError("no audio samples", hint=_CORRUPT_HINT)
    check_sample_rate(info.sample_rate)
    if not np.isfinite(mono).all():
        log.debug("replacing non-finite samples with 0")
        mono = np.nan_to_num(mono, nan=0.0, posinf=0.0, neginf=0.0)
    if sample_rate is not None:
        mono = resample(mono, info.sample_rate, sample_rate)
    return info, mono


@contextlib.contextmanager
def _sf_reader(fh: BinaryIO, max_seconds: float | None) -> Iterator[tuple[AudioInfo, _Blocks]]:
    """libsndfile: the file's :class:`AudioInfo` and its mono blocks at the native rate."""
    with fh, sf.SoundFile(fh) as f:
        yield _sf_audio_info(f), _sf_blocks(f, _limit(max_seconds, f.samplerate))


def _sf_blocks(f: sf.SoundFile, limit: int | None) -> _Blocks:
    remaining = limit
    while remaining is None or remaining > 0:
        n = _BLOCK_FRAMES if remaining is None else min(_BLOCK_FRAMES, remaining)
        block = f.read(n, dtype="float32", always_2d=True)
        if len(block) == 0:
            break
        yield block.mean(axis=1, dtype=np.float32)
        remaining = None if remaining is None else remaining - len(block)


@contextlib.contextmanager
def _av_reader(fh: BinaryIO, max_seconds: float | None) -> Iterator[tuple[AudioInfo, _Blocks]]:
    """FFmpeg: the file's :class:`AudioInfo` and its mono blocks at the native rate."""
    with fh, _av_open(fh) as container:
        stream = _audio_stream(container)
        info = _av_audio_info(container, stream)
        frames = _av_blocks(container, stream, _limit(max_seconds, info.sample_rate))
        yield info, _trim_padding(frames, info.frames)


def _av_blocks(
    container: av.container.InputContainer, stream: av.AudioStream, limit: int | None
) -> _Blocks:
    count = skipped = 0
    try:
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.error.InvalidDataError:
                # A damaged stretch: skip its packets and go on, as ffmpeg does.
                skipped += 1
                if skipped > _MAX_BAD_PACKETS:
                    raise
                continue
            for frame in frames:
                mono = _frame_to_mono(frame)[: None if limit is None else limit - count]
                count += mono.size
                if mono.size:
                    yield mono
            if limit is not None and count >= limit:
                break
    except Exception as exc:  # a stream that breaks part-way keeps what decoded
        if count == 0:
            raise
        log.warning("audio stream broke after %d samples (%s); keeping them", count, exc)
    if skipped:
        log.warning("skipped %d damaged packets of audio; decoded around them", skipped)


def _trim_padding(blocks: _Blocks, frames: int | None) -> _Blocks:
    """Drop encoder padding (AAC): up to ``_MAX_PADDING`` samples past the declared
    ``frames`` at the end; more than that past it is audio and kept."""
    if not frames:
        yield from blocks
        return
    count, held = 0, []  # held: samples past `frames`, at most _MAX_PADDING + a block
    for block in blocks:
        cut = min(block.size, max(0, frames - count))
        count += block.size
        if cut:
            yield block[:cut]
        if cut < block.size:
            held.append(block[cut:])
            if count - frames > _MAX_PADDING:
                yield from held
                held.clear()


def _read_all(reader: _Reader) -> tuple[AudioInfo, np.ndarray]:
    with reader as (info, blocks):
        return info, _concat(list(blocks))


def _frame_to_mono(frame: av.AudioFrame) -> np.ndarray:
    """Mean of the channels of one PyAV frame, integers scaled to [-1, 1]."""
    a = frame.to_ndarray()
    if not frame.format.is_planar:
        a = a.reshape(-1, frame.layout.nb_channels).T
    base = frame.format.name.rstrip("p")
    if base == "u8":
        a = (a.astype(np.float32) - 128.0) / 128.0
    elif base in _INT_SCALE:
        a = (a / _INT_SCALE[base]).astype(np.float32)
    return a.mean(axis=0, dtype=np.float32)


def _limit(max_seconds: float | None, rate: int) -> int | None:
    return None if max_seconds is None else max(1, math.ceil(max_seconds * rate))


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, np.float32)


# --- metadata ---------------------------------------------------------------------------


def _sf_probe(fh: BinaryIO) -> AudioInfo:
    with fh, sf.SoundFile(fh) as f:
        return _sf_audio_info(f)


def _av_probe(fh: BinaryIO) -> AudioInfo:
    with fh, _av_open(fh) as container:
        return _av_audio_info(container, _audio_stream(container))


def _sf_audio_info(f: sf.SoundFile) -> AudioInfo:
    name = _SF_FORMATS.get(f.format, f.format.lower())
    if f.format == "OGG":
        name = "opus" if f.subtype == "OPUS" else "ogg"
    return AudioInfo(
        f.frames / f.samplerate,
        f.samplerate,
        f.channels,
        name,
        f.frames,
        f.subtype,
        _sf_bits(f.subtype),
    )


def _sf_bits(subtype: str) -> int | None:
    """Bits per sample of a libsndfile subtype (PCM_24, FLOAT, ALAC_20); None for lossy
    and ADPCM codecs."""
    if subtype in _SF_BITS:
        return _SF_BITS[subtype]
    match = _SIZED_SUBTYPE.fullmatch(subtype)
    return int(match.group(1)) if match else None


def _av_bits(codec: av.AudioCodecContext) -> int | None:
    """Bits per sample of a PCM or lossless stream FFmpeg decodes; None for lossy codecs.

    FFmpeg decodes 24-bit FLAC and ALAC to 32-bit samples, so their size is read from
    the stream's header (FLAC STREAMINFO, the ALAC magic cookie)."""
    name, extra = codec.name, bytes(codec.extradata or b"")
    if name in ("pcm_alaw", "pcm_mulaw"):
        return 8
    if match := _AV_PCM.match(name):
        return int(match.group(1))
    if name == "flac" and len(extra) >= 14:  # 5 bits of (bits - 1) at bit offset 103
        return ((extra[12] & 0x01) << 4 | extra[13] >> 4) + 1
    if name == "alac" and len(extra) >= 18 and extra[4:8] == b"alac":
        return extra[17] or None  # the cookie's bitDepth, after a 12-byte atom header
    return None


def _av_open(fh: BinaryIO) -> av.container.InputContainer:
    return av.open(fh, mode="r", metadata_errors="ignore")


def _audio_stream(container: av.container.InputContainer) -> av.AudioStream:
    if not container.streams.audio:
        raise _NoAudioStream(f"container {container.format.name!r} has no audio stream")
    return container.streams.audio[0]


def _av_audio_info(container: av.container.InputContainer, stream: av.AudioStream) -> AudioInfo:
    rate = stream.codec_context.sample_rate
    if not rate:
        raise _NoAudioStream("audio stream without a sample rate")
    if stream.duration and stream.time_base:
        duration = float(stream.duration * stream.time_base)
    elif container.duration:
        duration = container.duration / av.time_base
    else:
        duration = 0.0
    short = container.format.name.split(",")[0]
    codec = stream.codec_context.name
    name = "opus" if codec == "opus" else _AV_FORMATS.get(short, short)
    frames = round(duration * rate) if duration else None
    channels = stream.codec_context.channels
    return AudioInfo(duration, rate, channels, name, frames, codec, _av_bits(stream.codec_context))


# --- failures ---------------------------------------------------------------------------


def _open_check(path: str | os.PathLike[str]) -> tuple[Path, bytes]:
    """Check the path is a readable, non-empty regular file; return it and its first bytes."""
    p = Path(path)
    try:
        st = p.stat()
        if stat.S_ISDIR(st.st_mode):
            raise DecodeError("is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise DecodeError("not a regular file")
        if st.st_size == 0:
            raise DecodeError("empty file (0 bytes)")
        with p.open("rb") as fh:
            return p, fh.read(_HEAD_BYTES)
    except FileNotFoundError as exc:
        raise DecodeError("file not found", hint="Check the path.") from exc
    except PermissionError as exc:
        raise DecodeError("permission denied", hint="Check the file's permissions.") from exc
    except OSError as exc:
        raise DecodeError(f"cannot read file ({exc.strerror or type(exc).__name__})") from exc


def _with_fallback(head: bytes, with_soundfile: Callable[[], T], with_pyav: Callable[[], T]) -> T:
    """libsndfile for content it knows (by magic bytes), else or on failure FFmpeg."""
    sf_exc: Exception | None = None
    try:
        if _sniff(head) in _SF_KINDS:  # never by extension: libsndfile would guess by it
            try:
                return with_soundfile()
            except MemoryError:
                raise
            except Exception as exc:  # any other libsndfile failure: let FFmpeg try
                sf_exc = exc
        return with_pyav()
    except MemoryError as exc:
        raise DecodeError("too large to decode in memory", hint="Set max_seconds.") from exc
    except Exception as av_exc:
        raise _failure(head, sf_exc, av_exc) from av_exc


def _failure(head: bytes, sf_exc: Exception | None, av_exc: Exception) -> DecodeError:
    """The DecodeError for content both libsndfile and FFmpeg refused."""
    kind = _sniff(head)
    if isinstance(av_exc, _NoAudioStream) and kind is not None:
        reason = "no audio stream"
    elif kind is None:
        reason = "not an audio file: unrecognised format"
    elif kind in ("WAV", "AIFF", "FLAC"):
        reason = f"truncated or corrupt {kind} header"
    else:
        reason = f"truncated or corrupt {kind} data"
    details = [f"soundfile: {type(sf_exc).__name__}"] if sf_exc else []
    no_stream = isinstance(av_exc, _NoAudioStream)
    details.append(str(av_exc) if no_stream else f"PyAV: {type(av_exc).__name__}")
    err = DecodeError(f"{reason} ({'; '.join(details)})", hint=_CORRUPT_HINT)
    err.reason = reason  # type: ignore[attr-defined]
    return err


def _sniff(head: bytes) -> str | None:
    """A container or codec name guessed from a file's first bytes, None if unknown."""
    magic = head[:4]
    if magic in (b"RIFF", b"RIFX", b"RF64"):
        return "WAV" if head[8:12] == b"WAVE" else "RIFF"
    if magic == b"FORM":
        return "AIFF" if head[8:12] in (b"AIFF", b"AIFC") else "IFF"
    if magic in _MAGIC:
        return _MAGIC[magic]
    if magic == b"\x1aE\xdf\xa3":
        return "Matroska"
    if head[:3] == b"ID3":
        return "MP3"
    if head[4:8] == b"ftyp":
        return "MP4"
    if head[:8] == b"0&\xb2u\x8ef\xcf\x11":
        return "ASF"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "AAC"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "MP3"
    return None
