"""Search routes: text, reference sound (catalogued or uploaded) and hybrid queries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from soundscout.api.deps import ServiceDep, SettingsDep
from soundscout.api.schemas import (
    COLLAPSE_DESCRIPTION,
    ERROR_RESPONSES,
    MATCH_DESCRIPTION,
    MAX_SAMPLE_RATE,
    MAX_SOUND_ID,
    MOMENTS_DESCRIPTION,
    FiltersIn,
    MatchMode,
    SearchRequest,
    SearchResponse,
    search_response,
)
from soundscout.api.upload import UPLOAD_OPENAPI, read_upload, upload_query
from soundscout.search.reference import Region
from soundscout.search.service import SearchService

router = APIRouter(prefix="/search", tags=["search"], responses=ERROR_RESPONSES)


def _search(
    service: SearchService,
    filters: FiltersIn | None,
    *,
    text: str | None = None,
    sound_id: int | None = None,
    audio_bytes: bytes | None = None,
    alpha: float | None = None,
    k: int | None = None,
    start: float | None = None,
    end: float | None = None,
    match: str | None = None,
    collapse: bool = False,
    moments: bool = False,
) -> SearchResponse:
    region = None if start is None and end is None else Region(start or 0.0, end)
    result = service.search(
        text=text,
        match=match,
        sound_id=sound_id,
        audio_bytes=audio_bytes,
        region=region,
        alpha=alpha,
        k=k,
        filters=filters.to_filters() if filters else None,
        collapse=collapse,
        moments=moments,
    )
    return search_response(result)


# Finite numbers only: "nan" and "inf" are named as such, not as out of range.
_ALPHA = Query(ge=0, le=1, allow_inf_nan=False, description="Weight of the sound.")
_START = Query(ge=0, le=1e7, allow_inf_nan=False, description="Region start, s.")
_END = Query(gt=0, le=1e7, allow_inf_nan=False, description="Region end, s.")


@router.get("", response_model=SearchResponse, summary="Search (query string)")
def search_get(
    service: ServiceDep,
    q: Annotated[str | None, Query(max_length=2000, description="Text query.")] = None,
    match: Annotated[MatchMode | None, Query(description=MATCH_DESCRIPTION)] = None,
    sound_id: Annotated[int | None, Query(ge=1, le=MAX_SOUND_ID, description="Reference.")] = None,
    alpha: Annotated[float | None, _ALPHA] = None,
    k: Annotated[int | None, Query(ge=1, description="Number of results.")] = None,
    start: Annotated[float | None, _START] = None,
    end: Annotated[float | None, _END] = None,
    min_duration: Annotated[float | None, Query(ge=0)] = None,
    max_duration: Annotated[float | None, Query(ge=0)] = None,
    format: Annotated[list[str], Query(description="Allowed formats (repeatable).")] = [],  # noqa: B006
    folder: Annotated[str | None, Query()] = None,
    min_sample_rate: Annotated[int | None, Query(ge=0, le=MAX_SAMPLE_RATE)] = None,
    max_sample_rate: Annotated[int | None, Query(ge=0, le=MAX_SAMPLE_RATE)] = None,
    category: Annotated[
        str | None, Query(max_length=200, description="UCS category, category-sub or CatID.")
    ] = None,
    collapse: Annotated[bool, Query(description=COLLAPSE_DESCRIPTION)] = False,
    moments: Annotated[bool, Query(description=MOMENTS_DESCRIPTION)] = False,
) -> SearchResponse:
    """Text, audio (``sound_id``) or hybrid search with filters in the query string."""
    filters = FiltersIn(
        min_duration=min_duration,
        max_duration=max_duration,
        formats=format,
        folder=folder,
        min_sample_rate=min_sample_rate,
        max_sample_rate=max_sample_rate,
        category=category,
    )
    return _search(
        service,
        filters,
        text=q,
        sound_id=sound_id,
        alpha=alpha,
        k=k,
        start=start,
        end=end,
        match=match,
        collapse=collapse,
        moments=moments,
    )


@router.post("", response_model=SearchResponse, summary="Search (JSON body)")
def search_post(body: SearchRequest, service: ServiceDep) -> SearchResponse:
    """Text, audio (``sound_id``) or hybrid search with a JSON body."""
    return _search(
        service,
        body.filters,
        text=body.text,
        sound_id=body.sound_id,
        alpha=body.alpha,
        k=body.k,
        start=body.start,
        end=body.end,
        match=body.match,
        collapse=body.collapse,
        moments=body.moments,
    )


@router.post(
    "/audio",
    response_model=SearchResponse,
    summary="Search by an uploaded sound",
    openapi_extra=UPLOAD_OPENAPI,
    responses={413: {"description": "Upload too large or too long"}},
)
async def search_audio(
    request: Request, service: ServiceDep, settings: SettingsDep
) -> SearchResponse:
    """Upload a reference sound (multipart field ``file``), optionally with ``text``,
    ``alpha``, ``k`` and filter fields; the byte and duration limits of ``server.*`` apply."""
    upload = await read_upload(request, settings.server.max_upload_bytes)
    query = upload_query(upload.fields)
    return await run_in_threadpool(
        _search,
        service,
        query.filters(),
        audio_bytes=upload.data,
        text=query.text,
        alpha=query.alpha,
        k=query.k,
        start=query.start,
        end=query.end,
        match=query.match,
        collapse=query.collapse,
        moments=query.moments,
    )
