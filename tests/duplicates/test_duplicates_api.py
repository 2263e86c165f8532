"""GET /api/duplicates (+ CSV export) and the group in GET /api/sounds/{id}, on a live server."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from soundscout.search.service import SearchService
from tests.api.conftest import assert_error
from tests.api.live import LiveServer
from tests.audiogen import write_audio
from tests.conftest import make_settings
from tests.duplicates.conftest import BEST, COPIES, SR, copies_library


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, dict]]:
    """(client, id by file name) of a live server over a library with copies and silence."""
    root = tmp_path_factory.mktemp("dup_api")
    sounds = copies_library(root / "sounds")
    write_audio(sounds / "quiet" / "nothing.wav", np.zeros(SR, np.float32), SR)
    settings = make_settings(root / "library", **{"duplicates.variant_threshold": 0.96})
    service = SearchService(settings)
    service.index_folder(sounds, progress=False)
    ids = {Path(p).name: r.id for p, r in service.catalog.rows_under(str(sounds)).items()}
    live = LiveServer(settings, service).start()
    with httpx.Client(base_url=live.url, timeout=60) as http:
        yield http, ids
    live.stop()
    service.close()


def test_the_groups_their_members_and_the_silent_files(served) -> None:
    http, ids = served
    body = http.get("/api/duplicates").json()
    assert body["total"] == 1 and body["current"] is True and body["unprinted"] == 0
    (group,) = body["groups"]
    members = {m["name"]: m for m in group["members"]}
    assert group["kind"] == "variant" and set(members) == {*COPIES, "take2.wav"}
    assert sorted(n for n, m in members.items() if m["keep"]) == sorted([BEST, "take2.wav"])
    assert members["take2.wav"]["recording_group"] is None
    assert members[BEST]["relation"] == "keep" and members["take2.wav"]["relation"] == "variant"
    assert group["size"] == sum(m["size"] for m in members.values())
    assert members[BEST]["audio_url"] == f"/api/sounds/{ids[BEST]}/audio"
    assert [s["name"] for s in body["silent"]] == ["nothing.wav"]


def test_kind_and_paging(served) -> None:
    http, _ = served
    assert http.get("/api/duplicates", params={"kind": "exact"}).json()["total"] == 0
    page = http.get("/api/duplicates", params={"limit": 1, "offset": 1}).json()
    assert page["total"] == 1 and page["groups"] == []
    assert_error(http.get("/api/duplicates", params={"kind": "copies"}), 422)
    assert_error(http.get("/api/duplicates", params={"limit": 0}), 422)


def test_a_sound_lists_its_group(served) -> None:
    http, ids = served
    copy = http.get(f"/api/sounds/{ids['hit.mp3']}").json()
    assert copy["duplicates"]["id"] == min(ids[n] for n in [*COPIES, "take2.wav"])
    assert {m["name"] for m in copy["duplicates"]["members"]} == {*COPIES, "take2.wav"}
    assert http.get(f"/api/sounds/{ids['kick.wav']}").json()["duplicates"] is None


def test_the_csv_export(served) -> None:
    http, ids = served
    response = http.get("/api/duplicates/export.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["sound_id"] for r in rows} == {
        str(ids[n]) for n in [*COPIES, "take2.wav", "nothing.wav"]
    }
    assert [r["path"].rsplit("/", 1)[1] for r in rows if r["kind"] == "silent"] == ["nothing.wav"]


def test_stale_groups_say_so(served, tmp_path: Path) -> None:
    http, _ = served
    library = Path(http.get("/api/stats").json()["library"])
    with sqlite3.connect(library / "catalog.sqlite") as conn:
        conn.execute("UPDATE meta SET value = '-1' WHERE key = 'duplicates_revision'")
    try:
        assert http.get("/api/duplicates").json()["current"] is False
    finally:
        with sqlite3.connect(library / "catalog.sqlite") as conn:
            revision = conn.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()
            conn.execute(
                "UPDATE meta SET value = ? WHERE key = 'duplicates_revision'", (revision[0],)
            )
