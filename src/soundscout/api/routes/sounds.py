"""Sound routes: metadata, the original audio (with Range support) and waveform peaks.

Only catalogued files are ever served: the id is looked up through the service, and
no route takes a filesystem path.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request
from starlette.responses import Response

from soundscout.api.deps import ServiceDep
from soundscout.api.duplicates_schemas import SoundWithGroupOut, group_out
from soundscout.api.media import file_response
from soundscout.api.peaks import DEFAULT_PEAKS, MAX_PEAKS, MIN_PEAKS, PeakCache
from soundscout.api.schemas import (
    ERROR_RESPONSES,
    MAX_SOUND_ID,
    PeaksOut,
    sound_out,
)
from soundscout.duplicates import report

router = APIRouter(prefix="/sounds", tags=["sounds"], responses=ERROR_RESPONSES)

SoundId = Annotated[int, Path(ge=1, le=MAX_SOUND_ID, description="Catalog id of the sound.")]


@router.get("/{sound_id}", response_model=SoundWithGroupOut, summary="Sound metadata")
def get_sound(sound_id: SoundId, service: ServiceDep) -> SoundWithGroupOut:
    """Path, folder, duration, sample rate, channels, format, indexing status, UCS category,
    every field read from the file (with the fields skipped and why) and its duplicate
    group (copies and variants)."""
    row = service.sound(sound_id)
    tags, warnings = service.catalog.tags(sound_id)
    out = sound_out(row, tags, warnings, service.catalog.decoder_warnings(sound_id))
    group = report.group_of(service.catalog, sound_id)
    return SoundWithGroupOut(
        **out.model_dump(), duplicates=group_out(group) if group is not None else None
    )


@router.head("/{sound_id}/audio", include_in_schema=False)
@router.get(
    "/{sound_id}/audio",
    summary="Stream the original file",
    response_class=Response,
    responses={
        200: {"content": {"audio/*": {}}, "description": "The whole file"},
        206: {"description": "The requested byte range"},
        416: {"description": "Range not satisfiable"},
    },
)
def get_audio(
    request: Request,
    sound_id: SoundId,
    service: ServiceDep,
    download: Annotated[bool, Query(description="Send as an attachment.")] = False,
    range_: Annotated[str | None, Header(alias="range")] = None,
    if_range: Annotated[str | None, Header(alias="if-range")] = None,
) -> Response:
    """The catalogued file as it is on disk, with single-range ``Range`` requests."""
    path = service.audio_file(sound_id)
    fmt = service.sound(sound_id).format
    return file_response(
        path, fmt, range_, if_range, download=download, head=request.method == "HEAD"
    )


@router.get("/{sound_id}/peaks", response_model=PeaksOut, summary="Waveform peaks")
def get_peaks(
    request: Request,
    sound_id: SoundId,
    service: ServiceDep,
    n: Annotated[int, Query(ge=MIN_PEAKS, le=MAX_PEAKS, description="Number of peaks.")] = (
        DEFAULT_PEAKS
    ),
) -> PeaksOut:
    """``n`` peak amplitudes in [0, 1] spread evenly over the sound, for drawing it."""
    cache: PeakCache = request.app.state.peaks
    duration, peaks = cache.get(service.audio_file(sound_id), n)
    return PeaksOut(id=sound_id, n=n, duration=round(duration, 4), peaks=peaks)
