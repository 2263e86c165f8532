"""Fixtures of the search tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from soundscout.search.service import SearchService
from tests.taggen import named_library


@pytest.fixture(scope="module")
def named_service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SearchService]:
    """A library of the test module's ``FILES``, one plain sound per file name, indexed."""
    name = request.module.__name__.rsplit(".", 1)[-1]
    service = named_library(tmp_path_factory.mktemp(name), request.module.FILES)
    yield service
    service.close()
