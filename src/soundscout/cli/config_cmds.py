"""`soundscout config`: show the effective configuration."""

from __future__ import annotations

from typing import Annotated

import typer
import yaml

from soundscout.cli.context import state
from soundscout.config import default_yaml_text, flatten_settings

app = typer.Typer(help="Show the configuration.", no_args_is_help=True)


@app.command("show")
def show(
    ctx: typer.Context,
    sources: Annotated[
        bool, typer.Option("--sources", help="Also say where each value comes from.")
    ] = False,
) -> None:
    """Print the effective configuration (YAML), optionally with the source of each value."""
    loaded = state(ctx).load()
    if not sources:
        typer.echo(yaml.safe_dump(loaded.settings.model_dump(mode="json"), sort_keys=False))
        typer.echo(f"# library folder in use: {loaded.settings.library_path}")
        return
    for key, value in flatten_settings(loaded.settings).items():
        note = ""
        if key == "library.path" and value is None:
            note = f" (so {loaded.settings.library_path})"
        typer.echo(f"{key} = {value!r}  # {loaded.sources.get(key, 'default')}{note}")


@app.command("default")
def default() -> None:
    """Print the packaged default configuration with its comments."""
    typer.echo(default_yaml_text(), nl=False)
