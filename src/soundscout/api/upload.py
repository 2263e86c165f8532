"""Reading a multipart upload with the size limit enforced while the body streams in.

The body is counted as it arrives (declared ``Content-Length`` first), so an
oversized upload is refused with a 413 before it is spooled to disk whole.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from soundscout.api.schemas import MAX_SAMPLE_RATE, FiltersIn, MatchMode
from soundscout.errors import InvalidQueryError, PayloadTooLargeError

#: Room for the multipart boundaries and the small form fields around the file.
FORM_OVERHEAD_BYTES = 64 * 1024
_READ_BYTES = 256 * 1024
_HINT = "Trim the reference sound or raise server.max_upload_bytes."


@dataclass
class Upload:
    """The uploaded file and the other form fields (each possibly repeated)."""

    data: bytes
    filename: str | None
    fields: dict[str, list[str]] = field(default_factory=dict)


class UploadQuery(BaseModel):
    """The form fields that may accompany an uploaded reference sound."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, max_length=2000)
    match: MatchMode | None = None
    alpha: float | None = Field(None, ge=0, le=1, allow_inf_nan=False)
    k: int | None = Field(None, ge=1)
    start: float | None = Field(None, ge=0, le=1e7, allow_inf_nan=False)
    end: float | None = Field(None, gt=0, le=1e7, allow_inf_nan=False)
    min_duration: float | None = Field(None, ge=0)
    max_duration: float | None = Field(None, ge=0)
    format: list[str] = Field(default_factory=list)
    folder: str | None = None
    min_sample_rate: int | None = Field(None, ge=0, le=MAX_SAMPLE_RATE)
    max_sample_rate: int | None = Field(None, ge=0, le=MAX_SAMPLE_RATE)
    category: str | None = Field(None, max_length=200)
    collapse: bool = False
    moments: bool = False

    def filters(self) -> FiltersIn:
        """The filter fields as the shared filter schema."""
        return FiltersIn(
            min_duration=self.min_duration,
            max_duration=self.max_duration,
            formats=self.format,
            folder=self.folder,
            min_sample_rate=self.min_sample_rate,
            max_sample_rate=self.max_sample_rate,
            category=self.category,
        )


def _too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"The upload is larger than the limit of {limit} bytes ({limit / 1e6:.1f} MB).", _HINT
    )


class _Closing:
    """Watches a streaming body for its closing ``--boundary--`` line (an epilogue may
    follow it), to tell a cut-off upload from one without a file."""

    def __init__(self, boundary: bytes) -> None:
        self.marker = b"--" + boundary + b"--"
        self.seen = not boundary  # nothing to look for
        self._carry = b""

    def add(self, chunk: bytes) -> None:
        if self.seen:
            return
        window = self._carry + chunk
        self.seen = self.marker in window
        self._carry = window[-(len(self.marker) - 1) :]


async def _limited(
    stream: AsyncIterator[bytes], limit: int, file_limit: int, closing: _Closing
) -> AsyncGenerator[bytes, None]:
    seen = 0
    async for chunk in stream:
        seen += len(chunk)
        if seen > limit:
            raise _too_large(file_limit)
        closing.add(chunk)
        yield chunk


def _boundary(content_type: str) -> bytes:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "boundary":
            return value.strip().strip('"').encode("latin-1", "replace")
    return b""


async def read_upload(request: Request, max_bytes: int) -> Upload:
    """Parse a ``multipart/form-data`` body holding one ``file`` of at most ``max_bytes``."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidQueryError(
            "Send the reference sound as multipart/form-data in a field named 'file'."
        )
    limit = max_bytes + FORM_OVERHEAD_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(max_bytes)
    closing = _Closing(_boundary(request.headers.get("content-type", "")))
    stream = _limited(request.stream(), limit, max_bytes, closing)
    parser = MultiPartParser(request.headers, stream, max_files=1, max_fields=32)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise InvalidQueryError(
            f"Malformed upload: {exc.message}",
            hint="Send multipart/form-data with the sound in a field named 'file' "
            "(curl -F file=@sound.wav).",
        ) from exc
    try:
        if not closing.seen:
            raise InvalidQueryError(
                "The upload was cut off: the multipart body ends before its closing "
                "boundary, so the file is incomplete.",
                hint="Send the whole file again.",
            )
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidQueryError(
                "The upload has no file in a field named 'file'.",
                hint="Send the sound as a file field named 'file' (curl -F file=@sound.wav).",
            )
        data = await _read_file(upload, max_bytes)
        fields: dict[str, list[str]] = {}
        for key, value in form.multi_items():
            if isinstance(value, str) and key != "file":
                fields.setdefault(key, []).append(value)
        return Upload(data, upload.filename, fields)
    finally:
        await form.close()


async def _read_file(upload: UploadFile, max_bytes: int) -> bytes:
    parts, size = [], 0
    while chunk := await upload.read(_READ_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        parts.append(chunk)
    return b"".join(parts)


def upload_query(fields: dict[str, list[str]]) -> UploadQuery:
    """Validate the form fields (empty values count as absent) into an :class:`UploadQuery`."""
    data: dict[str, Any] = {}
    for key, values in fields.items():
        kept = [v for v in values if v.strip()]
        if kept:
            data[key] = kept if key == "format" else kept[-1]
    try:
        return UploadQuery.model_validate(data)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        raise RequestValidationError(errors) from exc


UPLOAD_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        **UploadQuery.model_json_schema()["properties"],
                    },
                }
            }
        },
    }
}
