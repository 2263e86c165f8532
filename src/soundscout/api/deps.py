"""FastAPI dependencies: the shared search service, the settings and the API-key check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from soundscout.config import Settings
from soundscout.errors import UnauthorizedError
from soundscout.search.service import SearchService

#: Cookie the web page may set so that ``<audio src>`` requests carry the key too.
API_KEY_COOKIE = "soundscout_api_key"


def get_service(request: Request) -> SearchService:
    """The search service opened by the app's lifespan."""
    return request.app.state.service  # type: ignore[no-any-return]


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings  # type: ignore[no-any-return]


def presented_key(request: Request) -> str | None:
    """The key sent with a request: ``X-API-Key``, ``Authorization: Bearer`` or the cookie."""
    key = request.headers.get("x-api-key")
    if key:
        return key
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.cookies.get(API_KEY_COOKIE)


def require_api_key(request: Request) -> None:
    """Refuse the request (401) when an API key is configured and not presented."""
    expected = get_settings(request).server.api_key
    if not expected:
        return
    given = presented_key(request)
    if given is None:
        raise UnauthorizedError("This server requires an API key.")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise UnauthorizedError("The API key is wrong.")


ServiceDep = Annotated[SearchService, Depends(get_service)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
