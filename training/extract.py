"""Stage `extract`: every audio entry of a package, loose or inside a container.

Containers: .pk3/.zip (Quake-style packs), Qt .rcc resources (gcompris), the
OpenTTD .cat sound set (entries carry full-sentence descriptions) and files
without extensions recognised by their magic bytes (blobwars).
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from training.packages import package_root

AUDIO_EXT = (".wav", ".ogg", ".flac", ".mp3", ".opus", ".oga", ".aif", ".aiff")
_MAGIC = (b"RIFF", b"OggS", b"fLaC", b"ID3", b"FORM")
_SKIP_DIRS = ("/usr/share/doc/", "/usr/share/locale/", "/usr/share/icons/")


def looks_like_audio(name: str, head: bytes) -> bool:
    """Audio by extension, or an extensionless file whose magic says audio."""
    lower = name.lower()
    if lower.endswith(AUDIO_EXT):
        return True
    base = lower.rsplit("/", 1)[-1]
    return "." not in base and head[:4].startswith(_MAGIC)


def iter_entries(package: str) -> Iterator[tuple[str, bytes]]:
    """(path inside the package, file bytes) for each audio entry of an unpacked package."""
    root = package_root(package)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = "/" + str(path.relative_to(root))
        if any(rel.startswith(d) for d in _SKIP_DIRS) and "examples" not in rel:
            continue
        lower = rel.lower()
        if lower.endswith((".pk3", ".zip")):
            yield from _zip_entries(path, rel)
        elif lower.endswith(".rcc"):
            yield from _rcc_entries(path, rel)
        elif lower.endswith(".cat"):
            yield from _cat_entries(path, rel)
        else:
            with path.open("rb") as fh:
                head = fh.read(4)
            if looks_like_audio(rel, head):
                yield rel, path.read_bytes()


def _zip_entries(path: Path, rel: str) -> Iterator[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if not info.is_dir() and info.filename.lower().endswith(AUDIO_EXT):
                yield f"{rel}:{info.filename}", zf.read(info)


def _cat_entries(path: Path, rel: str) -> Iterator[tuple[str, bytes]]:
    for name, data in parse_cat(path.read_bytes()):
        yield f"{rel}:{name}", data


def parse_cat(blob: bytes) -> list[tuple[str, bytes]]:
    """Entries of an OpenTTD sound .cat: (description, RIFF bytes)."""
    first = struct.unpack_from("<I", blob, 0)[0] & 0x7FFFFFFF
    out = []
    for i in range(first // 8):
        offset, size = struct.unpack_from("<II", blob, i * 8)
        offset &= 0x7FFFFFFF
        n = blob[offset]
        name = blob[offset + 1 : offset + 1 + n].rstrip(b"\0").decode("latin-1")
        data = blob[offset + 1 + n : offset + size]
        out.append((name, data))
    return out


def _rcc_entries(path: Path, rel: str) -> Iterator[tuple[str, bytes]]:
    for name, data in parse_rcc(path.read_bytes()):
        if looks_like_audio(name, data[:4]):
            yield f"{rel}:{name}", data


def parse_rcc(blob: bytes) -> list[tuple[str, bytes]]:
    """Files of a Qt binary resource (.rcc, format versions 1-3): (path, bytes)."""
    if blob[:4] != b"qres":
        return []
    version, tree, data_off, names = struct.unpack_from(">IIII", blob, 4)
    node_size = 14 if version == 1 else 22
    out: list[tuple[str, bytes]] = []

    def name_at(offset: int) -> str:
        length = struct.unpack_from(">H", blob, names + offset)[0]
        raw = blob[names + offset + 6 : names + offset + 6 + 2 * length]
        return raw.decode("utf-16-be", errors="replace")

    def walk(node: int, prefix: str) -> None:
        base = tree + node * node_size
        name_off, flags = struct.unpack_from(">IH", blob, base)
        name = name_at(name_off) if node else ""
        full = f"{prefix}/{name}" if name else prefix
        if flags & 0x02:  # directory
            count, first = struct.unpack_from(">II", blob, base + 6)
            for child in range(first, first + count):
                walk(child, full)
            return
        data_pos = struct.unpack_from(">I", blob, base + 10)[0]
        size = struct.unpack_from(">I", blob, data_off + data_pos)[0]
        payload = blob[data_off + data_pos + 4 : data_off + data_pos + 4 + size]
        if flags & 0x01:  # zlib, prefixed by the uncompressed size
            payload = zlib.decompress(payload[4:])
        elif flags & 0x04:  # zstd: not needed for the audio we use
            return
        out.append((full, payload))

    walk(0, "")
    return out
