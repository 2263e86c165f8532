"""The serve command."""

from __future__ import annotations

import ipaddress
import logging
import socket
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
    from soundscout.catalog.catalog import CATALOG_FILENAME

    if not (settings.library_path / CATALOG_FILENAME).is_file():
        log.warning(
            "No library at %s yet: serving an empty one (its page says how to fill it). "
            "Run `soundscout index PATH` with the same --library, or check the -L path.",
            settings.library_path,
        )

    sock = listen(server.host, server.port)  # before anything is printed: the real port
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"Soundscout on http://{shown}:{port}/  (API docs at /docs)")
    typer.echo(f"Library: {settings.library_path} ({state(ctx).origin()})")
    config = uvicorn.Config(create_app(settings), log_level=settings.logging.level.lower())
    uvicorn.Server(config).run(sockets=[sock])


def listen(host: str, port: int) -> socket.socket:
    """A bound, listening TCP socket, or a clear error (port taken, unknown host)."""
    sock = None
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM
        )[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        if sock is not None:
            sock.close()
        unknown_host = isinstance(exc, socket.gaierror)
        raise ConfigError(
            f"Cannot listen on {host}:{port}: {exc.strerror or exc}.",
            hint="Check --host: an address of this machine (127.0.0.1, the default) or a name "
            "it resolves."
            if unknown_host
            else "Choose another port with --port (0 picks a free one), or stop the program "
            "using this one.",
        ) from exc
    sock.set_inheritable(True)
    return sock


def register(app: typer.Typer) -> None:
    """Add this command to the root app."""
    app.command()(serve)
