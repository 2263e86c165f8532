"""Read the words an audio file carries about itself: BWF ``bext``, iXML and RIFF ``INFO``
in WAV (through wavinfo's chunk parser), ID3 / Vorbis comments / MP4 / AIFF tags (through
tinytag). XML is parsed only with defusedxml. Nothing here raises for bad file content:
what cannot be read becomes a warning line.

Limits: a WAV chunk over 1 MiB is skipped without being read. tinytag reads the tag frames
it knows whole, so for MP3/OGG/FLAC/M4A/AIFF the 1 MiB limit cannot be checked before the
read; their values are still cut to 2,000 characters like every other value.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import BinaryIO
from xml.etree.ElementTree import Element  # the type only: parsing goes through defusedxml

import defusedxml
import defusedxml.ElementTree as SafeET
from tinytag import TinyTag, UnsupportedFormatError
from wavinfo.rf64_parser import parse_rf64
from wavinfo.riff_parser import ChunkDescriptor, ListChunkDescriptor, parse_chunk
from wavinfo.wave_bext_reader import WavBextReader

MAX_CHUNK_BYTES = 1 << 20
MAX_VALUE_CHARS = 2000
MAX_FIELDS = 200
_MAX_CHUNKS = 512  # top-level RIFF chunks looked at
_MAX_XML_LEAVES = 5000
_MAX_WARNINGS = 50
_BEXT_SIZE = 602  # fixed part of a bext chunk, padded when a short chunk is read
_JOIN = " ; "
GROUPS = (
    "title", "description", "keywords", "category", "subcategory",
    "catid", "library", "designer", "other",
)  # fmt: skip
# Whole keys with a fixed group.
_KEY_GROUPS = {
    key: group
    for group, keys in {
        "description": "bext.description info.ICMT info.ISBJ tag.comment",
        "keywords": "info.IKEY",
        "title": "info.INAM tag.title",
        "category": "info.IGNR tag.genre",
        "library": "info.IPRD tag.album",
        "designer": "info.IART info.IENG tag.artist tag.albumartist",
    }.items()
    for key in keys.split()
}
# Last name of ``ixml.*`` and ``tag.other.*`` keys (upper-cased, leading "_" dropped):
# Soundminer/BaseHead USER block, UCS and ASWG elements, Vorbis comments / ID3 TXXX / MP4.
_NAME_GROUPS = {
    name: group
    for group, names in {
        "description": "DESCRIPTION BWF_DESCRIPTION NOTE NOTES COMMENT",
        "keywords": "KEYWORDS KEYW",
        "title": "FXNAME TRACKTITLE",
        "category": "CATEGORY CATEGORYFULL",
        "subcategory": "SUBCATEGORY",
        "catid": "CATID",
        "library": "LIBRARY",
        "designer": "DESIGNER",
    }.items()
    for name in names.split()
}
# Keys whose values are not words a person searches for (ids, dates, numbers, formats).
_NOT_WORDS = re.compile(
    r"UID|UMID|CODING_HISTORY|ORIGINATOR_REF|DATE|TIME|YEAR|RATE|SAMPLE|DEPTH|CHANNEL|INDEX"
    r"|FORMAT|ENCOD|ISRC|BPM|URL|XMP|ISFT|ICRD|COUNT|LENGTH|SIZE|VERSION|TRACK_?NUM|DISC",
    re.IGNORECASE,
)
_LETTER = re.compile(r"[^\W\d_]")
_HEX_ID = re.compile(r"[0-9A-Fa-f-]{16,}")
_SPACES = re.compile(r"[\x00\t\n\v\f\r]")
_CONTROLS = re.compile(r"[\x01-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufffd]")
_KEY_JUNK = re.compile(r"[^0-9A-Za-z_.-]")
_TAG_SKIP = {"filename", "mime_type"}  # the other file properties are not strings
_XML_REFUSALS = {
    defusedxml.EntitiesForbidden: "XML entity declarations are not allowed",
    defusedxml.ExternalReferenceForbidden: "external XML references are not allowed",
    defusedxml.DTDForbidden: "XML DTDs are not allowed",
}


@dataclass(frozen=True)
class EmbeddedMetadata:
    """Raw namespaced fields (``bext.description``, ``ixml.USER.KEYWORDS``, ``info.INAM``,
    ``tag.title``, ``tag.other.description``...) and one warning line per skipped part."""

    fields: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def grouped(self) -> dict[str, str]:
        """Fields folded into :data:`GROUPS`, distinct values joined by ``" ; "``.

        title: iXML FXNAME/TRACKTITLE, INFO INAM, tag title. description: bext description,
        iXML DESCRIPTION/NOTE/NOTES, INFO ICMT/ISBJ, tag comment/description. keywords: iXML
        KEYWORDS, INFO IKEY, tag keywords. category: iXML CATEGORY/CATEGORYFULL, INFO IGNR,
        tag genre. subcategory / catid: iXML SUBCATEGORY / CATID. library: iXML LIBRARY, INFO
        IPRD, tag album. designer: iXML DESIGNER, INFO IART/IENG, tag artist/albumartist.
        other: every remaining value with a letter in it, except ids, dates, times, numbers,
        formats and coding history. ``bext.originator`` goes to other, not library: it is
        most often the recording application's name. Empty groups are left out.
        """
        buckets: dict[str, dict[str, str]] = {name: {} for name in GROUPS}
        for key, value in self.fields.items():
            group = _group_of(key, value)
            if group is not None:
                for part in value.split(_JOIN):
                    buckets[group].setdefault(part.casefold(), part)
        return {name: _JOIN.join(vals.values()) for name, vals in buckets.items() if vals}


def read_embedded(path: str | os.PathLike[str]) -> EmbeddedMetadata:
    """Read the embedded metadata of one audio file.

    Never raises for a bad file: unreadable/malformed/truncated chunks → warnings, empty fields.
    """
    sink = _Sink()
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            head = fh.read(12)
            if size == 0:
                sink.warn("file is empty")
            elif head[:4] in (b"RIFF", b"RF64", b"BW64") and head[8:12] == b"WAVE":
                _read_wave(fh, head, size, sink)
            else:
                _read_tagged(fh, path, sink)
    except OSError as exc:
        sink.warn(f"cannot read file: {exc.strerror or _reason(exc)}")
    except Exception as exc:  # a library bug must not stop an index run
        sink.warn(f"metadata skipped: {_reason(exc)}")
    if sink.dropped:
        sink.warn(f"{sink.dropped} fields dropped: at most {MAX_FIELDS} are kept per file")
    return EmbeddedMetadata(fields=sink.fields, warnings=tuple(sink.warnings))


def clean_text(value: str | bytes) -> str:
    """Bytes decoded (UTF-8, else latin-1), controls stripped, whitespace collapsed, capped."""
    text = decode_bytes(value) if isinstance(value, bytes) else value
    text = _CONTROLS.sub("", _SPACES.sub(" ", text))
    return " ".join(text.split())[:MAX_VALUE_CHARS]


def decode_bytes(raw: bytes) -> str:
    """UTF-8 when the bytes are valid UTF-8, latin-1 otherwise (which never fails)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class _Sink:
    """Collects fields and warnings under the per-file limits."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.warnings: list[str] = []
        self.dropped = 0

    def add(self, key: str, value: str | bytes) -> None:
        text = clean_text(value)
        if not text:
            return
        old = self.fields.get(key)
        if old is None:
            if len(self.fields) >= MAX_FIELDS:
                self.dropped += 1
            else:
                self.fields[key] = text
        elif len(old) < MAX_VALUE_CHARS and text not in old.split(_JOIN):
            self.fields[key] = (old + _JOIN + text)[:MAX_VALUE_CHARS]

    def warn(self, line: str) -> None:
        if len(self.warnings) < _MAX_WARNINGS:
            self.warnings.append(line)


def _group_of(key: str, value: str) -> str | None:
    group = _KEY_GROUPS.get(key)
    if group is None and key.startswith(("ixml.", "tag.other.")):
        group = _NAME_GROUPS.get(key.rpartition(".")[2].lstrip("_").upper())
    if group is not None:
        return group
    if _NOT_WORDS.search(key) or not _LETTER.search(value) or _HEX_ID.fullmatch(value):
        return None
    return "other"


def _reason(exc: BaseException) -> str:
    text = clean_text(str(exc))[:200]
    return text or ("unexpected end of file" if isinstance(exc, EOFError) else type(exc).__name__)


def _key_part(name: str | bytes) -> str:
    text = name.decode("latin-1") if isinstance(name, bytes) else name
    return _KEY_JUNK.sub("", text.strip())[:64]


# --- WAV / BWF: wavinfo's RIFF chunk parser, its bext decoder, defusedxml for iXML ---------


def _read_wave(fh: BinaryIO, head: bytes, size: int, sink: _Sink) -> None:
    for chunk in _riff_chunks(fh, head, size, sink):
        if isinstance(chunk, ListChunkDescriptor):
            if chunk.signature == b"INFO":
                _read_info(fh, chunk, sink)
            continue
        label, reader = _CHUNK_READERS.get(chunk.ident, ("", None))
        data = _chunk_bytes(fh, chunk, label, sink) if reader else None
        if reader is None or data is None:
            continue
        try:
            reader(data, sink)
        except Exception as exc:
            sink.warn(f"{label} skipped: {_XML_REFUSALS.get(type(exc)) or _reason(exc)}")


def _riff_chunks(
    fh: BinaryIO, head: bytes, size: int, sink: _Sink
) -> list[ChunkDescriptor | ListChunkDescriptor]:
    """Top-level chunks, one wavinfo ``parse_chunk`` each, so a broken chunk keeps the rest."""
    rf64 = None
    try:
        if head[:4] != b"RIFF":
            fh.seek(8)
            rf64 = parse_rf64(fh, signature=head[:4])
    except Exception as exc:
        sink.warn(f"RF64 size table skipped: {_reason(exc)}")
    fh.seek(12)
    chunks: list[ChunkDescriptor | ListChunkDescriptor] = []
    while fh.tell() + 8 <= size and len(chunks) < _MAX_CHUNKS:
        start = fh.tell()
        try:
            chunks.append(parse_chunk(fh, rf64_context=rf64))
        except Exception as exc:
            sink.warn(f"RIFF chunks from byte {start} skipped: {_reason(exc)}")
            break
    last = chunks[-1] if chunks else None
    if isinstance(last, ChunkDescriptor) and last.start + last.length > size:
        sink.warn(f"file truncated: its {_key_part(last.ident)!r} chunk runs past the end")
    return chunks


def _chunk_bytes(fh: BinaryIO, chunk: ChunkDescriptor, label: str, sink: _Sink) -> bytes | None:
    if chunk.length > MAX_CHUNK_BYTES:
        sink.warn(f"{label} skipped: chunk of {chunk.length:,} bytes is over the 1 MiB limit")
        return None
    data = chunk.read_data(fh)
    if len(data) < chunk.length:
        sink.warn(f"{label} truncated: {len(data):,} of {chunk.length:,} bytes present")
    return data


def _read_bext(data: bytes, sink: _Sink) -> None:
    # latin-1 maps every byte to one character, so the bytes come back for UTF-8 decoding.
    bext = WavBextReader(data.ljust(_BEXT_SIZE, b"\0"), "latin_1")
    for name in ("description", "originator", "originator_ref", "originator_date",
                 "originator_time", "coding_history"):  # fmt: skip
        sink.add(f"bext.{name}", getattr(bext, name).encode("latin-1"))


def _read_info(fh: BinaryIO, info: ListChunkDescriptor, sink: _Sink) -> None:
    for child in info.children:
        if isinstance(child, ChunkDescriptor) and (key := _key_part(child.ident)):
            data = _chunk_bytes(fh, child, f"INFO {key}", sink)
            if data:
                sink.add(f"info.{key}", data)


def _read_ixml(data: bytes, sink: _Sink) -> None:
    data = data.rstrip(b"\0 \t\r\n")
    try:
        root = SafeET.fromstring(data)
    except SafeET.ParseError:
        if decode_bytes(data).encode("utf-8") == data:
            raise
        root = SafeET.fromstring(data.decode("latin-1"))  # undeclared latin-1 text
    leaves = list(islice(_xml_leaves(root), _MAX_XML_LEAVES + 1))
    if len(leaves) > _MAX_XML_LEAVES:
        sink.warn(f"iXML: elements after the first {_MAX_XML_LEAVES:,} skipped")
    # Searchable blocks first, so the field limit drops track lists and sync points instead.
    leaves = sorted(leaves[:_MAX_XML_LEAVES], key=lambda leaf: _ixml_rank(leaf[0]))
    for path, text in leaves:
        sink.add(f"ixml.{path}", text)


def _ixml_rank(path: str) -> int:
    return 0 if "." not in path or path.startswith(("USER.", "UCS", "ASWG.", "BEXT.")) else 1


def _xml_leaves(root: Element) -> Iterator[tuple[str, str]]:
    """(dotted path below the root, text) of each element without children, in order."""
    stack = [(child, "") for child in reversed(root)]
    while stack:
        element, prefix = stack.pop()
        if not isinstance(element.tag, str):
            continue
        name = prefix + _key_part(element.tag.rpartition("}")[2])
        if len(element):
            stack.extend((child, name + ".") for child in reversed(element))
        elif element.text and element.text.strip():
            yield name, element.text


# --- Tags: tinytag (ID3, Vorbis comments, MP4, AIFF, ASF) ---------------------------------


def _read_id3(data: bytes, sink: _Sink) -> None:
    _add_tags(TinyTag.get(file_obj=io.BytesIO(data), duration=False), sink)


def _read_tagged(fh: BinaryIO, path: str | os.PathLike[str], sink: _Sink) -> None:
    fh.seek(0)  # tinytag sniffs magic bytes from the current position
    try:
        tag = TinyTag.get(filename=path, file_obj=fh, duration=False)
    except UnsupportedFormatError:
        return  # not an audio format tinytag knows: nothing to read, nothing wrong
    except Exception as exc:
        sink.warn(f"tags skipped: {_reason(exc)}")
        return
    _add_tags(tag, sink)


def _add_tags(tag: TinyTag, sink: _Sink) -> None:
    for name, value in vars(tag).items():
        if isinstance(value, str) and not name.startswith("_") and name not in _TAG_SKIP:
            sink.add(f"tag.{_key_part(name)}", value)
    for name, values in tag.other.items():
        for value in values:
            sink.add(f"tag.other.{_key_part(name) or 'unnamed'}", value)


_CHUNK_READERS: dict[bytes, tuple[str, Callable[[bytes, _Sink], None]]] = {
    b"bext": ("bext", _read_bext),
    b"iXML": ("iXML", _read_ixml),
    b"id3 ": ("ID3", _read_id3),
    b"ID3 ": ("ID3", _read_id3),
}
