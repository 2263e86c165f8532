"""Duplicates on the page (issue #20): one result per recording with a "+N copies" chip by
default, every copy on request, the group of a sound, the library's groups with their silent
files and CSV, and playing a copy; on a laptop and on a phone."""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np
import pytest
from playwright.sync_api import Page, ViewportSize, expect

from soundscout.search.service import SearchService
from tests.api.conftest import api_settings
from tests.api.live import LiveServer
from tests.audiogen import write_audio
from tests.duplicates.conftest import BEST, COPIES, SR, copies_library
from tests.web.conftest import PHONE, VIEWPORTS, assert_no_sideways_scroll, rows, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def dup_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server over five copies of one recording, other sounds and a silent file."""
    root = tmp_path_factory.mktemp("web_dups")
    sounds = copies_library(root / "sounds")
    write_audio(sounds / "quiet" / "nothing.wav", np.zeros(SR, np.float32), SR)
    settings = api_settings(root / "library")
    service = SearchService(settings)
    service.index_folder(sounds, progress=False)
    service.close()
    live = LiveServer(settings).start()
    yield live
    live.stop()


def _open(page: Page, server: LiveServer, query: str = "") -> None:
    page.goto(f"{server.url}/{query}")
    expect(page.locator("#library-state")).to_contain_text("indexed")


def _size(viewport: ViewportSize) -> str:
    return "phone" if viewport == PHONE else "desktop"


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_each_recording_shows_once_with_its_copies_unless_asked(
    page: Page, dup_server: LiveServer, viewport: ViewportSize
) -> None:
    page.set_viewport_size(viewport)
    _open(page, dup_server, "?q=hit&match=words")
    expect(rows(page)).to_have_count(1)
    row = rows(page).first
    expect(row.locator(".name")).to_have_text(BEST)
    expect(row.locator(".chip.copies")).to_have_text(f"+{len(COPIES) - 1} copies")
    expect(page.locator("#collapse")).to_be_checked()
    assert_no_sideways_scroll(page)
    screenshot(page, f"40-collapsed-{_size(viewport)}")
    page.locator("#collapse").uncheck()
    expect(rows(page)).to_have_count(len(COPIES))
    expect(page).to_have_url(re.compile(r"collapse=0"))
    expect(page.locator("#results .chip.copies")).to_have_count(0)
    page.reload()  # the choice is in the URL
    expect(page.locator("#collapse")).not_to_be_checked()
    expect(rows(page)).to_have_count(len(COPIES))
    _open(page, dup_server, "?q=hit&match=words&collapse=false")  # as the API spells it
    expect(page.locator("#collapse")).not_to_be_checked()
    expect(rows(page)).to_have_count(len(COPIES))


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_chip_shows_the_group_and_each_copy_plays(
    page: Page, dup_server: LiveServer, viewport: ViewportSize
) -> None:
    page.set_viewport_size(viewport)
    _open(page, dup_server, "?q=hit&match=words")
    best_id = rows(page).first.get_attribute("data-id")
    rows(page).first.locator(".chip.copies").click()
    view = page.locator("#dups")
    expect(view).to_be_visible()
    expect(page).to_have_url(re.compile(rf"view=duplicates&sound={best_id}$"))
    expect(page.locator("#results")).to_be_hidden()
    members = view.locator(".member")
    expect(members).to_have_count(len(COPIES))
    kept = view.locator(".member:has(.role-keep) .name")
    expect(kept).to_have_text(BEST)
    mp3 = view.locator(".member", has_text="hit.mp3")
    expect(mp3.locator(".format")).to_have_text("MP3")
    expect(mp3.locator(".size")).to_have_text(re.compile(r"\d+ kB"))
    mp3.locator(".play").click()
    expect(mp3).to_have_class(re.compile(r"\bplaying\b"))
    mp3_id = mp3.get_attribute("data-id")
    assert page.evaluate("document.getElementById('player').src").endswith(
        f"/api/sounds/{mp3_id}/audio"
    )
    assert_no_sideways_scroll(page)
    screenshot(page, f"41-group-{_size(viewport)}")
    page.locator("#dups-back").click()
    expect(view).to_be_hidden()
    expect(rows(page)).to_have_count(1)
    expect(page).to_have_url(re.compile(r"\?q=hit&match=words$"))
    page.go_back()  # the browser's Back returns to the group
    expect(view).to_be_visible()
    expect(members).to_have_count(len(COPIES))


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_library_view_lists_groups_silence_and_the_csv(
    page: Page, dup_server: LiveServer, viewport: ViewportSize
) -> None:
    page.set_viewport_size(viewport)
    _open(page, dup_server)
    page.locator("#dups-open").click()
    view = page.locator("#dups")
    expect(page.locator("#dups-summary")).to_have_text("1 group")
    expect(view.locator(".dup-group")).to_have_count(1)
    expect(view.locator(".dup-kind")).to_have_text("same recording")
    silent = page.locator("#dups-silent")
    expect(silent.locator("summary")).to_have_text("1 silent file (never grouped)")
    silent.locator("summary").click()
    expect(silent.locator("li")).to_have_text(re.compile(r"quiet/nothing\.wav$"))
    csv = page.locator("#dups-csv")
    response = page.request.get(f"{dup_server.url}{csv.get_attribute('href')}")
    assert response.headers["content-type"].startswith("text/csv")
    assert len(response.text().strip().splitlines()) == 1 + len(COPIES) + 1
    page.locator("#dups-kind").select_option("exact")
    expect(page.locator("#dups-summary")).to_have_text("No groups of exact copies.")
    expect(view.locator(".dup-group")).to_have_count(0)
    assert_no_sideways_scroll(page)
    screenshot(page, f"42-duplicates-{_size(viewport)}")


def test_a_duplicates_url_opens_the_view(page: Page, dup_server: LiveServer) -> None:
    _open(page, dup_server, "?view=duplicates")
    expect(page.locator("#dups")).to_be_visible()
    expect(page.locator("#dups .member")).to_have_count(len(COPIES))
    page.locator("#dups-back").click()
    expect(page.locator("#intro")).to_be_visible()
    expect(page).to_have_url(f"{dup_server.url}/")
