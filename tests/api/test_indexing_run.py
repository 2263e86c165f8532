"""While the first `index` runs, the library says so: /api/stats and `status` give
"indexing: N of M", and a search before the first batch says an index run is under way."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from soundscout.catalog.catalog import Catalog
from soundscout.cli.main import main
from soundscout.ingest.run_state import RunStatePublisher
from tests.api.conftest import api_settings
from tests.api.live import LiveServer


def test_a_search_during_the_first_run_names_it(tmp_path: Path) -> None:
    library = tmp_path / "library"
    live = LiveServer(api_settings(library)).start()
    try:
        with httpx.Client(base_url=live.url, timeout=30) as http:
            assert http.get("/api/stats").json()["indexing"] is None
            with RunStatePublisher(library, str(tmp_path / "sounds")) as run:
                run.phase("indexing", 848)
                stats = http.get("/api/stats").json()
                assert stats["indexing"]["phase"] == "indexing"
                assert (stats["indexing"]["done"], stats["indexing"]["total"]) == (0, 848)
                answer = http.get("/api/search", params={"q": "kick"})
                error = answer.json()["error"]
                assert answer.status_code == 409 and error["code"] == "empty_library"
                assert "an index run is under way (indexing 0 of 848 files)" in error["message"]
                assert "Search again in a moment" in error["hint"]
            after = http.get("/api/search", params={"q": "kick"}).json()["error"]
            assert "under way" not in after["message"] and "soundscout index" in after["hint"]
            assert http.get("/api/stats").json()["indexing"] is None
    finally:
        live.stop()


def test_status_says_indexing_n_of_m(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOUNDSCOUT_ENCODER__NAME", "tiny")
    library = tmp_path / "library"
    Catalog(library).close()  # the run has opened the library
    with RunStatePublisher(library, str(tmp_path / "sounds")) as run:
        run.phase("indexing", 848)
        run.progress(120, now=True)
        assert main(["-L", str(library), "status", "--json"]) == 0
        indexing = json.loads(capsys.readouterr().out)["indexing"]
        assert (indexing["done"], indexing["total"]) == (120, 848)
        assert main(["-L", str(library), "status"]) == 0
        out = " ".join(capsys.readouterr().out.split())
        assert "Now: indexing 120 of 848 files" in out and "run `soundscout index PATH`" not in out
