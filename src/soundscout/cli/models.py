"""``soundscout models``: which model weights are installed, and fetching them."""

from __future__ import annotations

from pathlib import Path

import typer

from soundscout.cli.context import given_path
from soundscout.encoders import checkpoints, hub
from soundscout.encoders import weights as W
from soundscout.encoders.registry import available_encoders
from soundscout.errors import EncoderUnavailableError

app = typer.Typer(help="List and download model weights.", no_args_is_help=True)

DIR_OPTION = typer.Option(
    None,
    "--dir",
    parser=given_path,
    help="The model's own folder, as encoder.weights names it (default: NAME under the "
    "models cache, $SOUNDSCOUT_MODELS_DIR if set).",
)


def _spec(name: str) -> W.ModelSpec | None:
    try:
        return W.load_spec(name)
    except (EncoderUnavailableError, KeyError, TypeError, ValueError):
        return None  # no config, or a config without downloadable files


def _models() -> list[tuple[str, str, str]]:
    """(name, encoder, description) of each registered encoder and of each packaged
    checkpoint that a registered encoder loads in its place (a config naming that encoder)."""
    entries = available_encoders()
    registered = {entry.name for entry in entries}
    rows = [(entry.name, entry.name, entry.description) for entry in entries]
    for name in W.spec_names():
        spec = _spec(name)
        encoder = spec.architecture.get("encoder") if spec is not None else None
        if spec is not None and spec.files and name not in registered and encoder in registered:
            rows.append((name, encoder, f"{spec.description} (loaded by the {encoder} encoder)"))
    return sorted(rows)


def _size(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:,.1f} MB"


def _licences(spec: W.ModelSpec) -> None:
    for what, licence in spec.licences.items():
        typer.echo(f"  licence: {what}: {licence}")


@app.command("list")
def list_models(directory: Path | None = DIR_OPTION) -> None:
    """Show each encoder, whether its files are installed, where, and their licences."""
    entries = {entry.name: entry for entry in available_encoders()}
    for name, _, description in _models():
        spec = _spec(name)
        if spec is None or not spec.files:
            needs = entries[name].missing_extra() if name in entries else None
            state = f"needs `{needs}`" if needs else "ready (nothing to download)"
            typer.echo(f"{name}: {state} - {description}")
            continue
        root = W.model_dir(name, directory)
        missing = W.missing_files(spec, root)
        state = "installed" if not missing else f"not installed ({len(missing)} files missing)"
        typer.echo(f"{name}: {state} in {root} - {description}")
        for item in spec.files:
            path = W.find_file(item, root)
            absent = "MISSING" if item.required else "not present (optional)"
            shown = (
                f"{path.relative_to(root)} ({_size(path)})" if path else f"{item.relpath} {absent}"
            )
            typer.echo(f"  {item.role}: {shown}")
        _licences(spec)


@app.command("download")
def download(
    name: str = typer.Argument(..., help="Model to fetch, e.g. clamp3."),
    directory: Path | None = DIR_OPTION,
    convert: bool = typer.Option(
        True, "--convert/--no-convert", help="Write the slim safetensors inference file."
    ),
    keep_original: bool = typer.Option(
        False, "--keep-original", help="Keep the full training checkpoint after converting."
    ),
    force: bool = typer.Option(False, "--force", help="Fetch files again even if present."),
) -> None:
    """Fetch a model's files (resumable, size- and sha256-checked) into the cache dir."""
    encoders = {model: encoder for model, encoder, _ in _models()}
    known = list(encoders)
    if name not in known:
        raise EncoderUnavailableError(
            f"There is no model called {name!r}.",
            hint=f"Models: {', '.join(known)} (`soundscout models list`).",
        )
    spec = _spec(name)
    if spec is None or not spec.files:
        typer.echo(f"{name} has nothing to download: it is ready to use as it is.")
        return
    root = W.model_dir(name, directory)
    typer.echo(f"Downloading {name} into {root}. Check the licences before use:")
    _licences(spec)
    paths = hub.download_files(spec, root, force=force)
    if convert:
        slim = checkpoints.convert_model(spec, root, keep_original=keep_original)
        if slim is not None:
            paths[spec.convert.role] = slim  # type: ignore[union-attr]
    for role, path in paths.items():
        typer.echo(f"  {role}: {path} ({_size(path)})")
    encoder = encoders[name]
    if directory is None and encoder == name:
        typer.echo(f"{name} is ready: `soundscout` finds it in {root}.")
    else:  # not where the encoder looks by itself
        typer.echo(
            f"{name} is ready in {root}. Point the encoder at it: `encoder.name: {encoder}` and "
            f"`encoder.weights: {root}` in your config, or SOUNDSCOUT_ENCODER__NAME={encoder} "
            f"SOUNDSCOUT_ENCODER__WEIGHTS={root}."
        )
