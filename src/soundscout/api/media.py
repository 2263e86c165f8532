"""Streaming a catalogued audio file with HTTP Range support (RFC 9110, single ranges).

A multi-range or malformed ``Range`` header is ignored (the whole file is sent, as
the RFC allows); a range starting past the end is a 416 in the shared error shape.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from starlette.responses import Response, StreamingResponse

from soundscout.api.errors import error_response
from soundscout.errors import NotFoundError

CHUNK_BYTES = 64 * 1024

_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() also takes "²"
_UNSAFE_IN_QUOTES = re.compile(r'[\x00-\x1f\x7f"\\?]')

MEDIA_TYPES = {
    "wav": "audio/wav",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "opus": "audio/ogg",
    "mp3": "audio/mpeg",
    "aiff": "audio/aiff",
    "m4a": "audio/mp4",
    "mp4": "audio/mp4",
    "wma": "audio/x-ms-wma",
    "caf": "audio/x-caf",
    "au": "audio/basic",
    "mka": "audio/x-matroska",
}


class RangeNotSatisfiable(Exception):
    """The requested range lies outside the file."""


def media_type(fmt: str | None, path: Path) -> str:
    """Content-Type from the catalogued format, else from the file name."""
    if fmt and fmt.lower() in MEDIA_TYPES:
        return MEDIA_TYPES[fmt.lower()]
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive byte range asked for, or None to send the whole file.

    Raises:
        RangeNotSatisfiable: the range starts at or past the end (or the file is empty).
    """
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = (part.strip() for part in spec.partition("-"))
    if not dash or not (first or last) or not all(_DIGITS.fullmatch(p) for p in (first, last) if p):
        return None
    if not first:  # suffix range: the last N bytes
        if int(last) == 0 or size == 0:
            raise RangeNotSatisfiable
        return max(0, size - int(last)), size - 1
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        raise RangeNotSatisfiable
    return start, min(int(last) if last else size - 1, size - 1)


def content_disposition(filename: str, download: bool) -> str:
    """``inline``/``attachment`` with an ASCII fallback and the UTF-8 name (RFC 6266)."""
    fallback = _UNSAFE_IN_QUOTES.sub("_", filename.encode("ascii", "replace").decode())
    kind = "attachment" if download else "inline"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def _read_chunks(path: Path, start: int, length: int) -> Iterator[bytes]:
    with path.open("rb") as fh:
        fh.seek(start)
        while length > 0:
            chunk = fh.read(min(CHUNK_BYTES, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk


def file_response(
    path: Path,
    fmt: str | None,
    range_header: str | None,
    if_range: str | None = None,
    download: bool = False,
    head: bool = False,
) -> Response:
    """A 200 or 206 response streaming ``path`` (or a 416 error response)."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise NotFoundError(f"The file {path} cannot be read: {exc.strerror}.") from exc
    size = stat.st_size
    etag = f'"{size:x}-{stat.st_mtime_ns:x}"'
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Content-Disposition": content_disposition(path.name, download),
        "Cache-Control": "no-cache",
    }
    if if_range is not None and if_range.strip() != etag:
        range_header = None
    try:
        wanted = parse_range(range_header, size)
    except RangeNotSatisfiable:
        message = f"Range {range_header!r} is outside the file ({size} bytes)."
        return error_response(
            416,
            "range_not_satisfiable",
            message,
            "Ask for bytes between 0 and the file size.",
            headers={"Content-Range": f"bytes */{size}"},
        )
    start, end = wanted if wanted is not None else (0, size - 1)
    status = 206 if wanted is not None else 200
    if wanted is not None:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(max(0, end - start + 1))
    mime = media_type(fmt, path)
    if head:
        return Response(status_code=status, headers=headers, media_type=mime)
    body = _read_chunks(path, start, end - start + 1)
    return StreamingResponse(body, status_code=status, headers=headers, media_type=mime)
