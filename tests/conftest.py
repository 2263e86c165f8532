"""Shared fixtures: settings on a temporary library, generated sound folders."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from soundscout.config import Settings, load_config
from soundscout.search.service import SearchService
from tests.audiogen import make_library


def make_settings(library_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test library: tiny encoder, sequential ingest, no user environment."""
    base = {"library.path": str(library_dir), "encoder.name": "tiny", "ingest.workers": 0}
    base.update(overrides)
    return load_config(overrides=base, environ={}).settings


@pytest.fixture
def settings_factory(tmp_path: Path) -> Callable[..., Settings]:
    """Build settings for a fresh library directory under tmp_path."""

    def factory(**overrides: Any) -> Settings:
        return make_settings(tmp_path / "library", **overrides)

    return factory


@pytest.fixture
def sound_folder(tmp_path: Path) -> Path:
    """A small generated library: kicks/, hats/, pads/, tones/ in mixed formats."""
    root = tmp_path / "sounds"
    make_library(root, n_per_kind=3)
    return root


@pytest.fixture
def service(settings_factory: Callable[..., Settings]) -> Iterator[SearchService]:
    """A search service over an empty temporary library."""
    svc = SearchService(settings_factory())
    yield svc
    svc.close()


@pytest.fixture
def indexed(service: SearchService, sound_folder: Path) -> SearchService:
    """The service with sound_folder indexed."""
    service.index_folder(sound_folder, progress=False)
    return service
