"""The init command: a library of a project's own, found from its folders as git finds .git."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from soundscout.cli.context import given_path, state
from soundscout.config import PROJECT_DIRNAME, find_project_library
from soundscout.errors import LibraryError


def init(
    ctx: typer.Context,
    folder: Annotated[
        Path,
        typer.Argument(
            parser=given_path, help="The project folder (default: the working directory)."
        ),
    ] = Path("."),
) -> None:
    """Give a project its own library: FOLDER/.soundscout, used by every command run in
    FOLDER or below it (unless --library, SOUNDSCOUT_LIBRARY__PATH or a config file names
    another)."""
    library = folder.expanduser().absolute() / PROJECT_DIRNAME
    if library.is_dir():
        typer.echo(f"{library} already exists; commands under {library.parent} use it.")
        return
    if not folder.is_dir():
        raise typer.BadParameter(f"{folder} is not a folder.", param_hint="FOLDER")
    try:
        library.mkdir()
        (library / ".gitignore").write_text("# the catalog and index of soundscout\n*\n")
    except OSError as exc:
        raise LibraryError(
            f"Cannot create {library}: {exc.strerror or exc}.",
            hint="Remove or rename what is there, or give another FOLDER.",
        ) from exc
    typer.echo(
        f"Created the library {library}: `soundscout index PATH` run in {library.parent} "
        "or below it now writes there, and search, serve and status read it."
    )
    outer = find_project_library(library.parent.parent)
    if outer is not None:
        typer.echo(
            f"Note: this folder is inside the project library {outer}; commands run here now "
            "use the new, empty library instead (delete it to go back)."
        )
    if library.parent in (Path.home(), Path(library.anchor)):
        typer.echo(
            f"Note: every command run anywhere under {library.parent} now uses it; a "
            "project folder of its own keeps its sounds apart better."
        )
    loaded = state(ctx).load()
    origin = loaded.sources.get("library.path", "default")
    if not origin.startswith("project:"):
        typer.echo(
            f"Note: here library.path comes from {origin} "
            f"({loaded.settings.library_path}), which takes precedence over this folder."
        )


def register(app: typer.Typer) -> None:
    """Add this command to the root app."""
    app.command()(init)
