"""One JSON error shape for every API failure: ``{"error": {"code", "message", "hint"}}``.

Soundscout errors keep their status code; request validation becomes 422 naming the
bad field; unknown routes and wrong methods keep their HTTP status; anything else is
a logged 500.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from soundscout.errors import SoundscoutError

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
}
_LOCATIONS = {"query": "query parameter", "path": "path parameter", "body": "field"}
_JSON_OBJECT = "A JSON object as the request body"
#: What FastAPI says when a body cannot be decoded at all (bad UTF-8, nesting too deep).
_UNPARSABLE_BODY = "There was an error parsing the body"


def error_response(
    status: int,
    code: str,
    message: str,
    hint: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A response in the shared error shape."""
    body = {"error": {"code": code, "message": message, "hint": hint}}
    return JSONResponse(body, status_code=status, headers=headers)


def describe_validation(errors: Sequence[Any]) -> str:
    """A readable sentence naming each bad field of a pydantic/FastAPI validation error."""
    parts = []
    for err in errors:
        whole_body = _whole_body_problem(err)
        if whole_body:
            return whole_body
        loc = [str(p) for p in err.get("loc", ())]
        where = _LOCATIONS.get(loc[0], "") if loc else ""
        field = ".".join(loc[1:] if where else loc) or "request"
        label = f"{where} '{field}'" if where else f"'{field}'"
        parts.append(f"{label}: {err.get('msg', 'invalid value')}")
    return "Invalid request: " + "; ".join(parts)


def _whole_body_problem(err: Any) -> str | None:
    """A sentence for a body that is not JSON, or not a JSON object, at all."""
    loc = tuple(err.get("loc", ()))
    if err.get("type") == "json_invalid":
        where = f" at character {loc[1]}" if len(loc) > 1 else ""
        reason = (err.get("ctx") or {}).get("error", "JSON decode error")
        return f"The request body is not valid JSON{where}: {reason}."
    if loc == ("body",):
        if err.get("type") == "missing":
            return f"{_JSON_OBJECT} is required."
        return f"{_JSON_OBJECT} is required, sent with Content-Type: application/json."
    return None


async def _soundscout_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SoundscoutError)
    if exc.status_code >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc.message)
    return JSONResponse(exc.to_dict(), status_code=exc.status_code)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    hint = "See the API documentation at /docs for the expected parameters."
    return error_response(422, "invalid_request", describe_validation(exc.errors()), hint)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = str(exc.detail) if exc.detail else "HTTP error"
    hint = None
    if exc.status_code == 400 and message == _UNPARSABLE_BODY:
        message = "The request body could not be read as JSON (bad UTF-8, or nested too deeply)."
        hint = "Send a JSON object, UTF-8 encoded, with Content-Type: application/json."
    if exc.status_code == 404 and message == "Not Found":
        message = f"Not found: {request.method} {request.url.path}"
        hint = "See the API documentation at /docs."
    headers = exc.headers
    if exc.status_code == 405 and message == "Method Not Allowed":
        allowed = _allowed_methods(request) or (exc.headers or {}).get("Allow", "")
        headers = {**(exc.headers or {}), "Allow": allowed} if allowed else exc.headers
        message = f"{request.method} is not allowed on {request.url.path}"
        message += f"; it takes {allowed}." if allowed else "."
        hint = "See the API documentation at /docs."
    return error_response(exc.status_code, code, message, hint, headers=headers)


def _allowed_methods(request: Request) -> str:
    """Every method some route of this path takes (Starlette's 405 names only the first
    route's: ``/api/search`` takes POST as well as GET; HEAD goes wherever GET does)."""
    routes = getattr(request.app, "routes", [])
    return ", ".join(
        method
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        if any(r.matches({**request.scope, "method": method})[0] == Match.FULL for r in routes)
    )


class CatchAllMiddleware:
    """Turn an unexpected exception into a logged 500 in the error shape (not re-raised)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            log.exception("Unexpected error in %s %s", scope["method"], scope["path"])
            response = error_response(
                500,
                "internal_error",
                f"Internal server error ({type(exc).__name__}).",
                "This is a bug; the server log has the details.",
            )
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Route every failure of ``app`` through the shared error shape."""
    app.add_exception_handler(SoundscoutError, _soundscout_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_middleware(CatchAllMiddleware)
