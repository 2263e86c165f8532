"""The web page in a real Chromium: search, audition, more like this, upload, keyboard."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.api.conftest import API_KEY
from tests.api.live import Library, LiveServer
from tests.web.conftest import assert_no_sideways_scroll, names, rows, screenshot

pytestmark = pytest.mark.browser

PLAYER_RUNNING = (
    "() => { const a = document.getElementById('player'); "
    "return !a.paused && a.currentTime > 0.15; }"
)


def _folders(page: Page) -> list[str]:
    return rows(page).locator(".folder").all_inner_texts()


def _search_text(page: Page, server: LiveServer, text: str, query: str = "") -> None:
    page.goto(f"{server.url}/{query}")
    expect(page.locator("#library-state")).to_contain_text("indexed")
    page.fill("#q", text)
    page.press("#q", "Enter")
    expect(page.locator("#summary")).to_contain_text("result")


def test_typing_a_query_renders_results(page: Page, web_server: LiveServer) -> None:
    page.goto(web_server.url)
    expect(page.locator("#library-state")).to_have_text(
        "13 sounds indexed · 1 failed · tiny encoder"
    )
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type("punchy kick")
    expect(rows(page)).to_have_count(13)
    expect(page).to_have_url(re.compile(r"\?q=punchy\+kick$"))
    first = rows(page).first
    expect(first.locator(".score")).to_have_text(re.compile(r"^-?\d\.\d{3}$"))
    expect(first.locator(".duration")).to_have_text("1.00 s")
    page.wait_for_timeout(300)  # waveforms
    screenshot(page, "01-text-results")


def test_library_details_list_failures(page: Page, web_server: LiveServer) -> None:
    page.goto(web_server.url)
    page.click("#library-state")
    failures = page.locator("#failures li")
    expect(failures).to_have_count(1)
    expect(failures).to_contain_text("truncated.wav — truncated or corrupt WAV header")
    expect(page.locator("#library-roots")).to_contain_text("Folders: ")
    screenshot(page, "09-library-details")


def test_play_starts_audio_and_only_one_plays(page: Page, web_server: LiveServer) -> None:
    _search_text(page, web_server, "anything", "?format=wav")
    kick = rows(page).filter(has_text="kick_00.wav")
    kick.locator(".play").click()
    page.wait_for_function(PLAYER_RUNNING)
    expect(kick).to_have_class(re.compile(r"\bplaying\b"))
    assert page.evaluate("document.getElementById('player').src").endswith(
        f"/api/sounds/{kick.get_attribute('data-id')}/audio"
    )
    page.wait_for_timeout(150)
    screenshot(page, "02-playing")
    pad = rows(page).filter(has_text="pad_01.wav")
    pad.locator(".play").click()
    page.wait_for_function(PLAYER_RUNNING)
    expect(pad).to_have_class(re.compile(r"\bplaying\b"))
    expect(page.locator("#results .hit.playing")).to_have_count(1)
    pad.locator(".play").click()  # the same button stops it
    page.wait_for_function("() => document.getElementById('player').paused")
    expect(page.locator("#results .hit.playing")).to_have_count(0)


def test_click_on_the_waveform_seeks(page: Page, web_server: LiveServer) -> None:
    _search_text(page, web_server, "anything", "?format=wav")
    wave = rows(page).filter(has_text="pad_01.wav").locator(".wave")
    box = wave.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 0.7 * box["width"], box["y"] + box["height"] / 2)
    at = page.wait_for_function(
        "() => { const a = document.getElementById('player'); "
        "return !a.paused && a.currentTime > 0 && a.currentTime; }"
    ).json_value()
    assert 0.65 <= at <= 1.0, at  # started near 70 %, not from the start


def test_more_like_this_changes_results_and_url(
    page: Page, web_server: LiveServer, web_library: Library
) -> None:
    _search_text(page, web_server, "dark")
    before = names(page)
    kick = rows(page).filter(has_text="kick_01.flac")
    kick_id = kick.get_attribute("data-id")
    assert kick_id == str(web_library.ids["kicks/kick_01.flac"])
    kick.locator(".more").click()
    expect(page).to_have_url(re.compile(rf"/\?ref={kick_id}$"))  # the sound alone: no words
    expect(page.locator("#ref-name")).to_have_text("kick_01.flac")
    expect(page.locator("#q")).to_have_value("")
    expect(page.locator("#alpha-row")).to_be_hidden()
    expect(page.locator("#summary")).to_contain_text("· sound ·")
    after = names(page)
    assert after != before and "kick_01.flac" not in after
    assert _folders(page)[:2] == ["kicks", "kicks"]  # by ear, kicks sound like kicks
    page.wait_for_timeout(300)
    screenshot(page, "03-more-like-this")


def test_back_and_forward_restore_searches(page: Page, web_server: LiveServer) -> None:
    _search_text(page, web_server, "soft")
    text_results = names(page)
    rows(page).filter(has_text="hat_00.opus").locator(".more").click()
    expect(page).to_have_url(re.compile(r"ref="))
    expect(page.locator("#summary")).to_contain_text("· sound ·")
    page.go_back()
    expect(page).to_have_url(re.compile(r"\?q=soft$"))
    expect(page.locator("#ref-chip")).to_be_hidden()
    expect(page.locator("#summary")).to_contain_text("· text ·")
    assert names(page) == text_results
    page.go_forward()
    expect(page.locator("#ref-name")).to_have_text("hat_00.opus")
    expect(page.locator("#summary")).to_contain_text("· sound ·")


def test_a_bookmarked_url_restores_the_query(
    page: Page, web_server: LiveServer, web_library: Library
) -> None:
    ref = web_library.ids["pads/pad_00.m4a"]
    with page.expect_request(re.compile(r"/api/search\?")) as request:
        page.goto(f"{web_server.url}/?q=warm&ref={ref}&alpha=0.8&k=4&folder=pads&max_duration=2")
    sent = request.value.url
    for part in (f"sound_id={ref}", "alpha=0.8", "k=4", "folder=pads", "max_duration=2", "q=warm"):
        assert part in sent
    expect(page.locator("#q")).to_have_value("warm")
    expect(page.locator("#ref-name")).to_have_text("pad_00.m4a")
    expect(page.locator("#alpha")).to_have_value("0.8")
    expect(page.locator("#k")).to_have_value("4")
    expect(page.locator("#folder")).to_have_value("pads")
    expect(rows(page)).to_have_count(2)  # the other pads; the reference is left out
    assert set(_folders(page)) == {"pads"}


def test_filters_change_the_request_and_the_url(page: Page, web_server: LiveServer) -> None:
    _search_text(page, web_server, "anything")
    with page.expect_request(re.compile(r"format=flac")):
        page.select_option("#format", "flac")
    expect(page).to_have_url(re.compile(r"format=flac"))
    expect(rows(page)).to_have_count(2)
    assert set(rows(page).locator(".format").all_inner_texts()) == {"FLAC"}
    page.fill("#folder", "kicks")
    page.press("#folder", "Tab")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first.locator(".name")).to_have_text("kick_01.flac")


def test_a_rows_folder_click_keeps_that_folder(page: Page, web_server: LiveServer) -> None:
    _search_text(page, web_server, "anything")
    folders = _folders(page)
    assert len(set(folders)) > 1
    with page.expect_request(re.compile(r"folder=hats")):
        rows(page).locator(".folder", has_text="hats").first.click()
    expect(page.locator("#folder")).to_have_value("hats")
    expect(page).to_have_url(re.compile(r"folder=hats"))
    expect(rows(page)).to_have_count(folders.count("hats"))
    assert set(_folders(page)) == {"hats"}


def test_upload_a_reference_file(page: Page, web_server: LiveServer, web_library: Library) -> None:
    page.goto(web_server.url)
    expect(page.locator("#library-state")).to_contain_text("indexed")
    with page.expect_request(re.compile(r"/api/search/audio$")) as request:
        page.set_input_files("#file", str(web_library.path("hats/hat_01.mp3")))
    assert request.value.method == "POST"
    expect(page.locator("#ref-name")).to_have_text("hat_01.mp3")
    expect(page.locator("#summary")).to_contain_text("· sound ·")
    assert _folders(page)[:2] == ["hats", "hats"]
    assert "hat_01.mp3" not in names(page)  # the same file is not its own neighbour
    page.wait_for_timeout(300)
    screenshot(page, "04-upload")
    page.locator("#ref-clear").click()
    expect(page.locator("#ref-chip")).to_be_hidden()
    expect(rows(page)).to_have_count(0)


def test_an_upload_that_cannot_be_read_is_taken_off(
    page: Page, web_server: LiveServer, tmp_path: Path
) -> None:
    """Else every later search would fail on it until the user found the × to press."""
    notes = tmp_path / "notes.wav"
    notes.write_text("not a sound, a text file with a .wav name\n")
    page.goto(web_server.url)
    expect(page.locator("#library-state")).to_contain_text("indexed")
    page.set_input_files("#file", str(notes))
    expect(page.locator("#error-message")).to_contain_text("cannot be read")
    expect(page.locator("#error-hint")).to_contain_text("taken off the page")
    expect(page.locator("#ref-chip")).to_be_hidden()
    page.fill("#q", "kick")
    page.press("#q", "Enter")
    expect(page.locator("#error")).to_be_hidden()
    expect(rows(page).first).to_be_visible()


def test_alpha_slider_appears_and_changes_the_request(
    page: Page, web_server: LiveServer, web_library: Library
) -> None:
    ref = web_library.ids["tones/tone_00.ogg"]
    page.goto(f"{web_server.url}/?ref={ref}")
    expect(page.locator("#summary")).to_contain_text("· sound ·")
    expect(page.locator("#alpha-row")).to_be_hidden()
    expect(page.locator(".match")).to_have_class(re.compile(r"\bidle\b"))  # no words to match
    page.fill("#q", "buzzy")
    expect(page.locator("#alpha-row")).to_be_visible()
    expect(page.locator("#summary")).to_contain_text("α 0.5")
    expect(page.locator(".match")).not_to_have_class(re.compile(r"\bidle\b"))
    slider = page.locator("#alpha")
    with page.expect_request(re.compile(r"alpha=1(&|$)")) as request:
        slider.focus()
        page.keyboard.press("End")
    assert f"sound_id={ref}" in request.value.url
    expect(page.locator("#alpha-value")).to_have_text("1.00")
    expect(page.locator("#summary")).to_contain_text("α 1")
    expect(page).to_have_url(re.compile(r"alpha=1(&|$)"))
    with page.expect_request(re.compile(r"alpha=0\.95")):
        page.keyboard.press("ArrowLeft")
    page.wait_for_timeout(200)
    screenshot(page, "05-hybrid-alpha")


def test_keyboard_navigation(page: Page, web_server: LiveServer) -> None:
    page.set_viewport_size({"width": 1280, "height": 420})  # the list runs past the fold
    _search_text(page, web_server, "anything", "?format=wav")
    page.focus("#q")
    page.keyboard.press("ArrowDown")  # from the search box into the results
    selected = page.locator("#results .hit[aria-selected=true]")
    expect(selected).to_have_attribute("data-index", "0")
    # the first row was in view: the search box and the summary stay where they were
    assert page.evaluate("window.scrollY") == 0
    page.keyboard.press("ArrowDown")
    expect(selected).to_have_attribute("data-index", "1")
    page.keyboard.press("ArrowUp")
    expect(selected).to_have_attribute("data-index", "0")
    screenshot(page, "10-keyboard-selection")
    sound_id = selected.get_attribute("data-id")
    page.keyboard.press(" ")
    page.wait_for_function(PLAYER_RUNNING)
    assert page.evaluate("document.getElementById('player').src").endswith(f"/{sound_id}/audio")
    page.keyboard.press(" ")
    page.wait_for_function("() => document.getElementById('player').paused")
    page.keyboard.press("Enter")  # more like this
    expect(page).to_have_url(re.compile(rf"ref={sound_id}(&|$)"))
    page.keyboard.press("/")
    expect(page.locator("#q")).to_be_focused()


def test_drag_a_result_onto_the_drop_zone(page: Page, web_server: LiveServer) -> None:
    _search_text(page, web_server, "anything")
    row = rows(page).filter(has_text="pad_02.flac")
    sound_id = row.get_attribute("data-id")
    row.locator(".meta").drag_to(page.locator("#dropzone"))
    expect(page).to_have_url(re.compile(rf"ref={sound_id}(&|$)"))
    expect(page.locator("#ref-name")).to_have_text("pad_02.flac")


def test_download_link(page: Page, web_server: LiveServer, web_library: Library) -> None:
    _search_text(page, web_server, "anything")
    link = rows(page).filter(has_text="kick_00.wav").locator("a.name")
    expect(link).to_have_attribute("download", "kick_00.wav")
    href = link.get_attribute("href")
    assert href == f"/api/sounds/{web_library.ids['kicks/kick_00.wav']}/audio?download=1"
    response = page.request.get(web_server.url + href)
    assert response.ok
    assert 'attachment; filename="kick_00.wav"' in response.headers["content-disposition"]
    assert response.body() == web_library.path("kicks/kick_00.wav").read_bytes()


def test_api_errors_are_shown(page: Page, web_server: LiveServer) -> None:
    page.goto(f"{web_server.url}/?q=x&ref=999999")
    error = page.locator("#error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("999999")
    page.wait_for_timeout(100)
    screenshot(page, "06-api-error")
    page.locator("#ref-clear").click()
    expect(error).to_be_hidden()
    expect(rows(page)).to_have_count(13)


def test_empty_library_says_what_to_do(page: Page, empty_server: LiveServer) -> None:
    page.goto(f"{empty_server.url}/?q=kick")
    expect(page.locator("#library-state")).to_have_text("0 sounds indexed · tiny encoder")
    expect(page.locator("#error-message")).to_have_text("No sounds are indexed yet.")
    expect(page.locator("#error-hint code")).to_have_text("soundscout index PATH")
    page.wait_for_timeout(100)
    screenshot(page, "07-empty-library")
    page.goto(empty_server.url)  # no query: the notice alone
    expect(page.locator("#error-message")).to_have_text("No sounds are indexed yet.")
    expect(page.locator("#error-hint code")).to_have_text("soundscout index PATH")


def test_narrow_window(page: Page, web_server: LiveServer) -> None:
    page.set_viewport_size({"width": 400, "height": 800})
    _search_text(page, web_server, "anything")
    expect(rows(page)).to_have_count(13)
    assert_no_sideways_scroll(page)
    for selector in ("#q", "#dropzone", ".go", "#results .hit .more >> nth=0"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 400, selector
    page.wait_for_timeout(300)
    screenshot(page, "08-narrow")


def test_page_loads_nothing_from_outside(page: Page, web_server: LiveServer) -> None:
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    _search_text(page, web_server, "kick")
    page.wait_for_timeout(300)
    assert urls and all(u.startswith(web_server.url) or u.startswith("data:") for u in urls)


def test_playing_a_vanished_file_says_why(page: Page, web_server: LiveServer) -> None:
    _search_text(page, web_server, "anything", "?folder=gone")
    rows(page).first.locator(".play").click()
    expect(page.locator("#error-message")).to_contain_text("is gone")
    expect(page.locator("#error-hint")).to_contain_text("soundscout index")


def test_an_api_key_can_be_entered(page: Page, keyed_web_server: LiveServer) -> None:
    page.goto(f"{keyed_web_server.url}/?q=kick&format=wav")
    expect(page.locator("#error-message")).to_have_text("This server requires an API key.")
    page.fill("#api-key", API_KEY)
    page.press("#api-key", "Enter")
    expect(page.locator("#library-state")).to_contain_text("13 sounds indexed")
    expect(rows(page)).to_have_count(3)
    expect(page.locator("#error")).to_be_hidden()
    rows(page).filter(has_text="kick_00.wav").locator(".play").click()
    page.wait_for_function(PLAYER_RUNNING)  # <audio> requests carry the key as a cookie
