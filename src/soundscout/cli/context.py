"""Shared CLI state: global options, settings and the service, built once per command."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from soundscout.config import LoadedConfig, load_config
from soundscout.search.service import SearchService


@dataclass
class CliState:
    """Global options from the command line."""

    config_path: Path | None = None
    library: Path | None = None
    verbose: bool = False
    overrides: dict[str, Any] = field(default_factory=dict)

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
        return loaded

    def service(self, **overrides: Any) -> SearchService:
        """The search service over the configured library."""
        return SearchService(self.load(**overrides).settings)


def state(ctx: typer.Context) -> CliState:
    """The CliState stored by the root callback."""
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        obj = CliState()
        ctx.find_root().obj = obj
    return obj
