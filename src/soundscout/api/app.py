"""The FastAPI application: JSON API under ``/api``, the web page at ``/``, docs at ``/docs``."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from soundscout import __version__
from soundscout.api.deps import reject_unknown_query, require_api_key
from soundscout.api.errors import install_error_handlers
from soundscout.api.middleware import BodyLimitMiddleware, HeadAsGetMiddleware
from soundscout.api.peaks import PeakCache
from soundscout.api.routes import duplicates, search, sounds, system
from soundscout.config import Settings
from soundscout.errors import SoundscoutError
from soundscout.search.service import SearchService

log = logging.getLogger(__name__)

#: The page loads nothing from other origins.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
        "style-src 'self'; script-src 'self'; connect-src 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


def _static_dir() -> Path:
    return Path(str(resources.files("soundscout").joinpath("web/static")))


async def _open(settings: Settings) -> SearchService:
    return await run_in_threadpool(SearchService, settings)


#: Seconds a stopping server waits for the start-up loading to end.
WARM_UP_WAIT = 60.0


class Readiness:
    """What the server is still loading; ``/api/health`` reports it.

    The server answers at once; the index and the model load in a background thread, so
    the first search does not pay for them (a search that arrives earlier loads what it
    needs itself, under the service's locks).
    """

    def __init__(self) -> None:
        self.loading: str | None = "index"
        self.problem: str | None = None

    @property
    def ready(self) -> bool:
        """Loading has ended (``problem`` says if it failed)."""
        return self.loading is None

    def warm_up(self, service: SearchService) -> None:
        """Load the index, then the model's text and audio sides (best effort)."""
        started = time.perf_counter()
        try:
            service.sync_index()
            self.loading = "model"
            service.warm_up()
        except SoundscoutError as exc:
            self.problem = exc.message
            log.warning("Search is not ready yet: %s", exc.message)
        except Exception:  # the server must come up; a search will report the problem
            log.exception("Loading the model failed")
            self.problem = "loading the model failed; see the server log"
        finally:
            self.loading = None
        log.info("ready in %.1f s", time.perf_counter() - started)


def create_app(settings: Settings, service: SearchService | None = None) -> FastAPI:
    """Build the app; its lifespan opens ``service`` (or a new one) and closes what it opened.

    Args:
        settings: the effective configuration (``server.*`` and ``search.*`` are used here).
        service: an already open search service to share (the caller closes it).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = service if service is not None else await _open(settings)
        app.state.service = opened
        warming = threading.Thread(
            target=app.state.readiness.warm_up, args=(opened,), name="warm-up", daemon=True
        )
        warming.start()
        try:
            yield
        finally:
            # A server stopped in its first seconds lets the loading end before closing.
            await run_in_threadpool(warming.join, WARM_UP_WAIT)
            if service is None:
                opened.close()

    app = FastAPI(
        title="Soundscout",
        version=__version__,
        description="Semantic search for sound libraries: text, audio and hybrid queries.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.readiness = Readiness()
    app.state.peaks = PeakCache()
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(HeadAsGetMiddleware)
    _add_api(app)
    _add_docs(app)
    _add_page(app)
    return app


def _add_api(app: FastAPI) -> None:
    auth = [Depends(require_api_key)]
    api = APIRouter(prefix="/api", dependencies=[Depends(reject_unknown_query)])
    api.include_router(system.public_router)
    api.include_router(system.router, dependencies=auth)
    api.include_router(search.router, dependencies=auth)
    api.include_router(sounds.router, dependencies=auth)
    api.include_router(duplicates.router, dependencies=auth)
    app.include_router(api)


def _add_docs(app: FastAPI) -> None:
    """Swagger UI at /docs, served from the installed bundle (no CDN) when available."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:  # fall back to FastAPI's CDN-hosted assets
        app.get("/docs", include_in_schema=False)(
            lambda: get_swagger_ui_html(openapi_url="/openapi.json", title="Soundscout API")
        )
        return
    app.mount("/docs-assets", StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Soundscout API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )


def _add_page(app: FastAPI) -> None:
    static = _static_dir()
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> HTMLResponse:
        html = (static / "index.html").read_text(encoding="utf-8")
        return HTMLResponse(html, headers=PAGE_HEADERS)
