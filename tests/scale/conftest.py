"""A local Ray instance shared by the Ray tests of this folder (started once, a few seconds)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from soundscout.ingest.ray_engine import LOCAL_RAY_ENV


@pytest.fixture(scope="session")
def ray_local() -> Iterator[Any]:
    """``ray`` initialised in this process with 2 CPUs; the engine reuses it."""
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    for key, value in LOCAL_RAY_ENV.items():
        os.environ.setdefault(key, value)
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    try:
        yield ray
    finally:
        ray.shutdown()
