"""Duplicate routes: the library's groups of copies and variants, as JSON or CSV.

They read what the last index run stored (``current`` says whether the library changed
since); nothing here changes or deletes a file.
"""

from __future__ import annotations

import io
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.responses import Response

from soundscout.api.deps import ServiceDep
from soundscout.api.duplicates_schemas import KIND_DESCRIPTION, DuplicatesOut, duplicates_out
from soundscout.api.schemas import ERROR_RESPONSES
from soundscout.duplicates import grouping, report

router = APIRouter(prefix="/duplicates", tags=["duplicates"], responses=ERROR_RESPONSES)

Kind = Literal["exact", "recording", "variant"]


@router.get("", response_model=DuplicatesOut, summary="Duplicate groups")
def get_duplicates(
    service: ServiceDep,
    kind: Annotated[Kind | None, Query(description=KIND_DESCRIPTION)] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Groups per page.")] = 50,
    offset: Annotated[int, Query(ge=0, description="Groups to skip.")] = 0,
) -> DuplicatesOut:
    """A page of the groups (by id), the library's silent sounds, and whether the groups
    are up to date."""
    catalog = service.catalog
    groups, total = report.list_groups(catalog, kind, limit, offset)
    return duplicates_out(
        groups,
        total,
        report.silent_sounds(catalog),
        report.unprinted(catalog),
        grouping.is_current(catalog),
    )


@router.get(
    "/export.csv",
    summary="Every group as CSV",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "One row per file"}},
)
def export_csv(service: ServiceDep) -> Response:
    """One row per grouped file (group, kind, id, path, format, sample rate, bit depth,
    channels, duration, size, recording and exact group, keep) and per silent file, for
    acting on them with other tools."""
    out = io.StringIO()
    groups, _ = report.list_groups(service.catalog)
    report.write_csv(groups, report.silent_sounds(service.catalog), out)
    headers = {"Content-Disposition": 'attachment; filename="duplicates.csv"'}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
