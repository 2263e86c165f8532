"""ASGI middleware of the API: a request-body size limit, and HEAD for the GET routes.

Uploads (``POST /api/search/audio``) are exempt from the body limit: they stream through
their own, larger limit (``server.max_upload_bytes``, see ``api/upload.py``).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from soundscout.api.errors import error_response

#: JSON queries are a few hundred bytes; this leaves ample room.
MAX_JSON_BODY_BYTES = 1 << 20
UPLOAD_PATHS = frozenset({"/api/search/audio"})
_HINT = "JSON queries are small; send reference sounds to POST /api/search/audio."


class BodyLimitMiddleware:
    """413 for a body over ``max_bytes``: at once from Content-Length, else while reading."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = MAX_JSON_BODY_BYTES,
        exempt: frozenset[str] = UPLOAD_PATHS,
    ) -> None:
        self.app, self.max_bytes, self.exempt = app, max_bytes, exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        message = f"The request body is larger than {self.max_bytes} bytes."
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = error_response(413, "payload_too_large", message, _HINT)
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > self.max_bytes:  # a chunked body without Content-Length
                    raise StarletteHTTPException(413, message)
            return msg

        await self.app(scope, limited_receive, send)


class HeadAsGetMiddleware:
    """Answer HEAD on every GET route: the GET response's status and headers, no body.

    The audio route and the static files handle HEAD themselves (without reading the file).
    """

    def __init__(self, app: ASGIApp, own_head: tuple[str, ...] = ("/static/",)) -> None:
        self.app, self.own_head = app, own_head

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] != "HEAD"
            or path.startswith(self.own_head)
            or path.endswith("/audio")
        ):
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)
