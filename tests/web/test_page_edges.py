"""The web page at its edges: races, bad values, errors, keyboard reach, small screens."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Route, expect

from tests.api.live import Library, LiveServer
from tests.web.conftest import assert_no_sideways_scroll, rows, screenshot

pytestmark = pytest.mark.browser


def _open(page: Page, server: LiveServer, query: str = "") -> None:
    page.goto(f"{server.url}/{query}")
    expect(page.locator("#library-state")).to_contain_text("indexed")


def _all_results(page: Page, server: LiveServer) -> None:
    """Open the page on a query that lists every indexed sound."""
    _open(page, server, "?q=anything")
    expect(rows(page)).to_have_count(13)


def test_clearing_the_box_while_a_search_is_in_flight_leaves_no_results(
    page: Page, web_server: LiveServer
) -> None:
    held: list[Route] = []
    page.route(re.compile(r"/api/search\?"), lambda route: held.append(route))
    _open(page, web_server)
    page.fill("#q", "kick")
    page.press("#q", "Enter")
    page.wait_for_function("() => document.body.classList.contains('busy')")
    assert held, "the search request was not sent"
    page.fill("#q", "")
    page.press("#q", "Enter")  # nothing to search for: the page goes back to its intro
    expect(page.locator("#intro")).to_be_visible()
    for route in held:
        route.continue_()  # the answer to the old query arrives late ...
    page.wait_for_timeout(500)
    expect(rows(page)).to_have_count(0)  # ... and is not shown
    expect(page.locator("#summary")).to_have_text("")
    expect(page).not_to_have_url(re.compile(r"q=kick"))


def test_escape_in_the_search_box_clears_it_and_the_results(
    page: Page, web_server: LiveServer
) -> None:
    _open(page, web_server, "?q=kick")
    expect(rows(page)).to_have_count(13)
    page.focus("#q")
    page.keyboard.press("Escape")
    expect(page.locator("#q")).to_have_value("")
    expect(rows(page)).to_have_count(0)
    expect(page.locator("#intro")).to_be_visible()
    expect(page).not_to_have_url(re.compile(r"q=kick"))


def test_a_failed_search_replaces_the_old_results(page: Page, web_server: LiveServer) -> None:
    _all_results(page, web_server)
    page.fill("#min-duration", "3")
    page.fill("#max-duration", "1")
    page.press("#max-duration", "Tab")
    expect(page.locator("#error-message")).to_have_text(
        "The shortest duration (3 s) is longer than the longest (1 s)."
    )
    expect(rows(page)).to_have_count(0)  # not the results of the search before
    expect(page.locator("#summary")).to_have_text("")


@pytest.mark.parametrize(
    ("field", "value", "message"),  # a regular expression
    [
        ("#k", "0", r"whole number from 1 to \d+"),
        ("#k", "2.5", r"whole number from 1 to \d+"),
        ("#min-duration", "-1", "minimum duration must be a number of seconds"),
        ("#max-duration", "-0.5", "maximum duration must be a number of seconds"),
    ],
)
def test_bad_filter_values_are_caught_before_asking_the_server(
    page: Page, web_server: LiveServer, field: str, value: str, message: str
) -> None:
    _all_results(page, web_server)
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url))
    page.fill(field, value)
    page.press(field, "Tab")
    expect(page.locator("#error-message")).to_contain_text(re.compile(message))
    expect(page.locator(field)).to_have_attribute("aria-invalid", "true")
    expect(rows(page)).to_have_count(0)
    assert not [url for url in sent if "/api/search" in url]
    page.fill(field, "5" if field == "#k" else "")
    page.press(field, "Tab")
    expect(page.locator("#error")).to_be_hidden()
    expect(rows(page)).to_have_count(5 if field == "#k" else 13)
    expect(page.locator(field)).not_to_have_attribute("aria-invalid", "true")


def test_a_hand_edited_url_is_cleaned_to_what_the_page_shows(
    page: Page, web_server: LiveServer
) -> None:
    with page.expect_request(re.compile(r"/api/search\?")) as request:
        _open(page, web_server, "?q=kick&k=abc&alpha=7&format=WAV&format=mp3&min_duration=-2")
    sent = request.value.url
    assert "format=wav" in sent and "mp3" not in sent and "min_duration" not in sent
    assert "k=20" in sent  # the default, not "abc"
    expect(page).to_have_url(re.compile(r"/\?q=kick&format=wav$"))
    expect(page.locator("#k")).to_have_value("20")
    expect(page.locator("#format")).to_have_value("wav")
    expect(page.locator("#min-duration")).to_have_value("")
    expect(rows(page)).to_have_count(3)
    assert set(rows(page).locator(".format").all_inner_texts()) == {"WAV"}


def test_a_format_the_menu_does_not_offer_is_dropped(page: Page, web_server: LiveServer) -> None:
    _open(page, web_server, "?q=kick&format=xyz")
    expect(page.locator("#format")).to_have_value("")
    expect(page).to_have_url(re.compile(r"/\?q=kick$"))
    expect(rows(page)).to_have_count(13)


def test_the_summary_names_a_reference_that_was_named_late(
    page: Page, web_server: LiveServer, web_library: Library
) -> None:
    ref = web_library.ids["pads/pad_01.wav"]
    held: list[Route] = []
    page.route(re.compile(rf"/api/sounds/{ref}$"), lambda route: held.append(route))
    _open(page, web_server, f"?ref={ref}")
    expect(page.locator("#summary")).to_contain_text(f"like sound {ref}")
    for route in held:
        route.continue_()
    expect(page.locator("#summary")).to_contain_text("like pad_01.wav")
    expect(page.locator("#ref-name")).to_have_text("pad_01.wav")


def test_tab_leaves_the_list_through_the_selected_result_only(
    page: Page, web_server: LiveServer
) -> None:
    _all_results(page, web_server)
    page.focus("#results")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    selected = page.locator("#results .hit[aria-selected=true]")
    expect(selected).to_have_attribute("data-index", "2")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => [document.activeElement.className, "
        "document.activeElement.closest('.hit')?.dataset.index]"
    )
    assert focused == ["name", "2"]
    page.keyboard.press("Tab")  # one Tab more and the focus is past the list
    assert page.evaluate("() => document.activeElement.closest('#results') === null")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#results")).to_be_focused()


def test_the_reference_can_be_removed_from_the_keyboard(
    page: Page, web_server: LiveServer, web_library: Library
) -> None:
    ref = web_library.ids["hats/hat_00.opus"]
    _open(page, web_server, f"?ref={ref}")
    expect(page.locator("#ref-name")).to_have_text("hat_00.opus")
    page.focus("#ref-clear")
    page.keyboard.press("Enter")
    expect(page.locator("#ref-chip")).to_be_hidden()
    expect(page.locator("#dropzone")).to_be_focused()  # not lost with the button
    expect(page).not_to_have_url(re.compile(r"ref="))
    page.go_back()
    expect(page.locator("#ref-name")).to_have_text("hat_00.opus")
    page.focus("#dropzone")
    page.keyboard.press("Delete")
    expect(page.locator("#ref-chip")).to_be_hidden()
    expect(rows(page)).to_have_count(0)


def test_playback_with_the_server_unreachable_says_so(page: Page, web_server: LiveServer) -> None:
    _all_results(page, web_server)
    page.route(re.compile(r"/audio"), lambda route: route.abort("connectionrefused"))
    rows(page).first.locator(".play").click()
    expect(page.locator("#error-message")).to_have_text("The Soundscout server cannot be reached.")
    expect(page.locator("#error-hint")).to_contain_text("soundscout serve")


def test_whole_names_show_on_a_phone(page: Page, web_server: LiveServer) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    _all_results(page, web_server)
    clipped = page.evaluate(
        "() => [...document.querySelectorAll('#results .name')]"
        ".filter((a) => a.scrollWidth > a.clientWidth + 1).map((a) => a.textContent)"
    )
    assert clipped == []
    assert_no_sideways_scroll(page)
    page.wait_for_timeout(300)
    screenshot(page, "11-phone")
