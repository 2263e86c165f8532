"""Write small audio files that carry real embedded metadata, for the words tests.

WAV chunks (bext, iXML, LIST/INFO) are written byte by byte, like a recorder or a library
tool writes them; ID3, Vorbis comments, MP4 and AIFF tags are written by ffmpeg. Every file
gets its own audio (``seed``), so no two files share a content hash or a vector.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pytest

from soundscout.search.service import SearchService
from tests.audiogen import tone, write_audio

FFMPEG = shutil.which("ffmpeg")
# ffmpeg comes with scripts/install.sh: without it these tests fail rather than skip.
needs_ffmpeg = pytest.mark.ffmpeg
SR = 22050
_KINDS = ("sine", "square", "chirp", "kick", "noise")
#: ffmpeg arguments per output extension (tags as -metadata).
FFMPEG_ARGS = {
    "mp3": ("-id3v2_version", "3"),
    "ogg": ("-c:a", "libvorbis"),
    "flac": (),
    "m4a": ("-c:a", "aac"),
    "aiff": (),
}


def sound(seed: int, seconds: float = 0.4) -> np.ndarray:
    """A short signal of its own for each seed (kind and pitch vary)."""
    kind = _KINDS[seed % len(_KINDS)]
    return tone(110.0 + 47.0 * seed, seconds, SR, kind=kind, seed=seed)


def plain(path: Path, seed: int, seconds: float = 0.4) -> Path:
    """An audio file without metadata (format from the extension)."""
    return write_audio(path, sound(seed, seconds), SR)


def riff_chunk(ident: bytes, payload: bytes) -> bytes:
    """One RIFF chunk: id, little-endian size, payload, pad byte to an even length."""
    return ident + struct.pack("<I", len(payload)) + payload + b"\0" * (len(payload) % 2)


def info_list(fields: Mapping[bytes, bytes]) -> bytes:
    """A LIST/INFO chunk with NUL-terminated sub-chunks."""
    return riff_chunk(
        b"LIST", b"INFO" + b"".join(riff_chunk(k, v + b"\0") for k, v in fields.items())
    )


def bext_chunk(
    description: bytes, originator: bytes = b"Recordomatic", history: bytes = b""
) -> bytes:
    """A version 1 Broadcast Wave ``bext`` chunk."""
    fixed = struct.pack(
        "<256s32s32s10s8sQH64s5h180s",
        description, originator, b"USREF123", b"2024-05-01", b"12:30:00",
        48000, 1, b"\x06\x0a", 0, 0, 0, 0, 0, b"",
    )  # fmt: skip
    return riff_chunk(b"bext", fixed + history)


def ixml_chunk(user: Mapping[str, str] | None = None, raw: bytes | None = None) -> bytes:
    """An ``iXML`` chunk: a Soundminer/BaseHead ``USER`` block of ``user``, or ``raw`` XML."""
    if raw is None:
        body = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in (user or {}).items())
        raw = f'<?xml version="1.0" encoding="UTF-8"?><BWFXML><USER>{body}</USER></BWFXML>'
        raw = raw.encode()
    return riff_chunk(b"iXML", raw)


def wav(
    path: Path,
    seed: int,
    front: Sequence[bytes] = (),
    back: Sequence[bytes] = (),
    seconds: float = 0.4,
) -> Path:
    """A PCM WAV with extra chunks before ``fmt `` and after ``data``."""
    plain(path, seed, seconds)
    raw = path.read_bytes()
    assert raw[:4] == b"RIFF" and raw[8:12] == b"WAVE"
    raw = raw[:12] + b"".join(front) + raw[12:] + b"".join(back)
    path.write_bytes(raw[:4] + struct.pack("<I", len(raw) - 8) + raw[8:])
    return path


def tagged(path: Path, seed: int, seconds: float = 0.4, **tags: str) -> Path:
    """An MP3/OGG/FLAC/M4A/AIFF file written by ffmpeg with ``tags`` as its metadata."""
    assert FFMPEG is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        src = plain(Path(tmp) / "src.wav", seed, seconds)
        meta = [a for k, v in tags.items() for a in ("-metadata", f"{k}={v}")]
        args = FFMPEG_ARGS[path.suffix.lstrip(".")]
        cmd = [FFMPEG, "-v", "error", "-y", "-i", str(src), *meta, *args, str(path)]
        subprocess.run(cmd, check=True, timeout=60)
    return path


BOMB_IXML = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">]>
<BWFXML><NOTE>&lol5;</NOTE></BWFXML>"""

#: name -> (what its metadata does wrong, a warning it must leave, or None, a word it keeps)
BAD_METADATA = {
    "bomb.wav": ("billion laughs iXML", "iXML skipped: XML entity declarations", "quillsnap"),
    "huge_bext.wav": ("a 10 MB bext chunk", "bext skipped: chunk of", "marrowgleam"),
    "latin1.wav": ("latin-1 bytes in INFO", None, "creme"),
    "controls.wav": ("control characters in INFO", None, "bellring"),
    "broken_xml.wav": ("an iXML that is not XML", "iXML skipped:", "pondfleck"),
}


def write_bad_metadata(folder: Path, first_seed: int = 100) -> dict[str, Path]:
    """WAV files whose metadata is hostile or broken, each with a word kept elsewhere in its
    metadata (see :data:`BAD_METADATA`); their audio is fine."""
    info = {b"INAM": b"quillsnap"}
    chunks: dict[str, tuple[list[bytes], list[bytes]]] = {
        "bomb.wav": ([ixml_chunk(raw=BOMB_IXML)], [info_list(info)]),
        "huge_bext.wav": (
            [bext_chunk(b"Hugebext words", history=b"A=PCM " * (10 * 1024 * 1024 // 6))],
            [info_list({b"IKEY": b"marrowgleam"})],
        ),
        "latin1.wav": ([], [info_list({b"INAM": b"Cr\xe8me br\xfbl\xe9e", b"ICMT": b"caf\xe9"})]),
        "controls.wav": ([], [info_list({b"ICMT": b"bell\x07ring\r\nnext\tline\x1b \x00tail"})]),
        "broken_xml.wav": (
            [ixml_chunk(raw=b"<BWFXML><NOTE>open"), bext_chunk(b"pondfleck")],
            [],
        ),
    }
    out = {}
    for seed, name in enumerate(BAD_METADATA, first_seed):
        front, back = chunks[name]
        out[name] = wav(folder / name, seed, front=front, back=back)
    return out


#: Queries full of syntax: every one must answer (results, or a 4xx / InvalidQueryError).
ODD_QUERIES = [
    '"unbalanced quote',
    '"',
    '""',
    "-",
    "--",
    "*",
    "**",
    "-*",
    ":",
    "name:door",
    "NEAR(",
    "NEAR(door slam, 2)",
    "door AND slam",
    "door OR",
    "NOT door",
    "AND",
    "OR NOT",
    "(door",
    "door)",
    "^door",
    "{door}",
    "door\\",
    "'",
    "don't",
    "%_%",
    "door; DROP TABLE sounds; --",
    "\x00door",
    "\u200b",
    "🚪 door",
    "扉 ドア 開く",
    "Ünïcödé àccents",
    "a" * 1000,
    " ".join(f"word{i}" for i in range(300)),
    "x*" * 200,
    '"' * 51,
    "-" + "-door " * 50,
]


def named_library(tmp: Path, names: Sequence[str]) -> SearchService:
    """A library of one plain sound per file name under ``tmp/sounds``, indexed (close it)."""
    from tests.conftest import make_settings

    for seed, name in enumerate(names):
        plain(tmp / "sounds" / name, seed)
    service = SearchService(make_settings(tmp / "library"))
    assert service.index_folder(tmp / "sounds", progress=False).ok == len(names)
    return service
