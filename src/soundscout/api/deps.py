"""FastAPI dependencies: the shared search service, the settings, the API-key check and
the refusal of query parameters a route does not read."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Depends, Request

from soundscout.config import Settings
from soundscout.errors import InvalidQueryError, UnauthorizedError
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


def reject_unknown_query(request: Request) -> None:
    """Refuse (422) query parameters the route does not read: a typo such as ``formats=``
    for ``format=``, or ``k`` next to a JSON body, would otherwise be silently ignored."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is None:
        return
    allowed = _query_names(dependant)
    unknown = sorted(set(request.query_params) - allowed)
    if not unknown:
        return
    if allowed:
        hint = f"This route reads {', '.join(sorted(allowed))}; see /docs."
    elif request.method == "POST":
        hint = "This route reads no query parameters: send them in the request body (see /docs)."
    else:
        hint = "This route reads no query parameters (see /docs)."
    names = ", ".join(repr(name) for name in unknown)
    raise InvalidQueryError(
        f"Unknown query parameter {names} for {request.method} {request.url.path}.", hint=hint
    )


def _query_names(dependant: Any) -> frozenset[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return frozenset(names)


ServiceDep = Annotated[SearchService, Depends(get_service)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
