"""Shared CLI state: global options, settings and the service, built once per command."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from soundscout.catalog.catalog import CATALOG_FILENAME
from soundscout.config import PROJECT_DIRNAME, LoadedConfig, load_config
from soundscout.errors import LibraryError
from soundscout.search.service import SearchService, indexed_encoder

log = logging.getLogger(__name__)


@dataclass
class CliState:
    """Global options from the command line."""

    config_path: Path | None = None
    library: Path | None = None
    verbose: bool = False
    overrides: dict[str, Any] = field(default_factory=dict)
    loaded: LoadedConfig | None = None  # the configuration the command runs with

    def load(self, **overrides: Any) -> LoadedConfig:
        """Effective configuration with these command's flag overrides on top."""
        merged = dict(self.overrides)
        if self.library is not None:
            merged["library.path"] = str(self.library)
        merged.update({k: v for k, v in overrides.items() if v is not None})
        loaded = load_config(self.config_path, overrides=merged)
        if not self.verbose:
            level = getattr(logging, loaded.settings.logging.level)
            logging.getLogger("soundscout").setLevel(level)
        self.loaded = _with_library_encoder(loaded)
        log.debug("library %s (from %s)", self.loaded.settings.library_path, self.origin())
        return self.loaded

    def origin(self) -> str:
        """Where the library path came from, in words."""
        return library_origin(self.loaded) if self.loaded is not None else "unknown"

    def service(self, require_library: bool = False, **overrides: Any) -> SearchService:
        """The search service over the configured library.

        With ``require_library`` a library folder without a catalog is an error rather than
        a new, empty library (read-only commands on a mistyped ``-L``).
        """
        loaded = self.load(**overrides)
        settings = loaded.settings
        project = loaded.sources.get("library.path", "").startswith("project:")
        missing = not (settings.library_path / CATALOG_FILENAME).is_file()
        if require_library and missing and not project:  # `init` made a project's on purpose
            raise LibraryError(
                f"No library at {settings.library_path}: nothing has been indexed there.",
                hint="Run `soundscout index PATH` to create it, or check --library/-L "
                "(or library.path in the configuration).",
            )
        return SearchService(settings)


def library_origin(loaded: LoadedConfig) -> str:
    """Where the library path came from, in words, for summaries."""
    source = loaded.sources.get("library.path", "default")
    if source.startswith("project:"):
        return f"the project's {PROJECT_DIRNAME} folder"
    if source == "default":
        return (
            "the per-user default, shared by every project on this machine; `soundscout "
            "init` or --library keeps a project's sounds apart"
        )
    return {"cli": "--library", "env": "SOUNDSCOUT_LIBRARY__PATH"}.get(source, source)


def _with_library_encoder(loaded: LoadedConfig) -> LoadedConfig:
    """Use the encoder the library was indexed with unless one is configured explicitly."""
    settings = loaded.settings
    if loaded.sources.get("encoder.name", "default") != "default":
        return loaded
    used = indexed_encoder(settings.library_path)
    if used is None or used == settings.encoder.name:
        return loaded
    log.info("using encoder %s, which this library was indexed with", used)
    encoder = settings.encoder.model_copy(update={"name": used})
    return LoadedConfig(
        settings=settings.model_copy(update={"encoder": encoder}),
        sources={**loaded.sources, "encoder.name": "library"},
    )


def given_path(value: str | Path) -> Path:
    """A path typed on the command line (typer's ``parser``). An empty one, as an unset
    shell variable gives, is refused: read as the working directory it would index, export
    into or forget that folder (``forget "$DIR"`` dropping a whole library)."""
    if isinstance(value, Path):  # a default
        return value
    if not value.strip():
        raise typer.BadParameter(
            'it is empty (an unset variable?); give a path ("." is the working directory)'
        )
    return Path(value)


_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def tsv_line(cells: Iterable[str]) -> str:
    """Cells as one tab-separated line: a tab or line break inside a cell (a file name
    may hold one) is written as ``\\t``, ``\\n``, ``\\r`` (and a backslash as two), so a line
    stays one result and the names can be read back."""
    return "\t".join(cell.translate(_TSV_ESCAPES) for cell in cells)


def state(ctx: typer.Context) -> CliState:
    """The CliState stored by the root callback."""
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        obj = CliState()
        ctx.find_root().obj = obj
    return obj
