"""The serve command."""

from __future__ import annotations

import ipaddress
import logging
from typing import Annotated

import typer

from soundscout.cli.context import state
from soundscout.errors import ConfigError

log = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Allow a non-loopback bind without an API key.")
    ] = False,
) -> None:
    """Serve the JSON API and the web page."""
    settings = state(ctx).load(**{"server.host": host, "server.port": port}).settings
    server = settings.server
    if not is_loopback(server.host) and not server.api_key and not force:
        raise ConfigError(
            f"Refusing to serve on {server.host} without an API key: anyone on the network "
            "could read your library.",
            hint="Set server.api_key (or SOUNDSCOUT_SERVER__API_KEY), bind 127.0.0.1, "
            "or pass --force.",
        )
    import uvicorn

    from soundscout.api.app import create_app

    typer.echo(f"Soundscout on http://{server.host}:{server.port}/  (API docs at /docs)")
    uvicorn.run(
        create_app(settings),
        host=server.host,
        port=server.port,
        log_level=settings.logging.level.lower(),
    )


def register(app: typer.Typer) -> None:
    """Add this command to the root app."""
    app.command()(serve)
