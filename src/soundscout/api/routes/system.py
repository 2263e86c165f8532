"""System routes: health (public, even with an API key) and library statistics."""

from __future__ import annotations

from fastapi import APIRouter, Request

from soundscout import __version__
from soundscout.api.deps import ServiceDep, SettingsDep
from soundscout.api.schemas import (
    ERROR_RESPONSES,
    CategoriesOut,
    CategoryOut,
    FailureOut,
    HealthOut,
    StatsOut,
)

#: Routes that never require the API key.
public_router = APIRouter(tags=["system"])
router = APIRouter(tags=["system"], responses=ERROR_RESPONSES)

MAX_FAILURES = 50


@public_router.get("/health", response_model=HealthOut, summary="Liveness and readiness")
def health(request: Request) -> HealthOut:
    """``ok`` while the server runs, with the Soundscout version; ``ready`` once loading
    the index and the model has ended (a search before then waits for them), ``problem``
    when it failed."""
    readiness = request.app.state.readiness
    return HealthOut(
        ok=True,
        version=__version__,
        ready=readiness.ready,
        loading=readiness.loading,
        problem=readiness.problem,
    )


@router.get("/stats", response_model=StatsOut, summary="Library statistics")
def stats(service: ServiceDep, settings: SettingsDep) -> StatsOut:
    """Counts per status, encoder, index state, recent failures and request limits."""
    failures = [
        FailureOut(id=row.id, path=row.path, error=row.error)
        for row in service.failures(limit=MAX_FAILURES)
    ]
    limits = {
        "max_k": settings.search.max_k,
        "default_k": settings.search.default_k,
        "default_alpha": settings.search.default_alpha,
        "max_upload_bytes": settings.server.max_upload_bytes,
        "max_upload_seconds": settings.server.max_upload_seconds,
    }
    return StatsOut(failures=failures, limits=limits, **service.stats())


@router.get("/categories", response_model=CategoriesOut, summary="UCS categories")
def categories(service: ServiceDep) -> CategoriesOut:
    """The UCS categories and subcategories of the indexed sounds, with how many each has
    (a ``category`` filter takes any of them)."""
    return CategoriesOut(
        categories=[
            CategoryOut(category=c, subcategory=s, count=n)
            for c, s, n in service.catalog.category_counts()
        ]
    )
