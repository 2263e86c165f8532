"""The web page searching words and sound: the match selector, why each result is there
(marked words, other matched fields, relevance badge), UCS category chips and notes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from tests.api.conftest import api_settings
from tests.api.live import LiveServer, index_once
from tests.audiogen import tone, write_audio
from tests.web.conftest import assert_no_sideways_scroll, names, rows, screenshot

pytestmark = pytest.mark.browser

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
VIEWPORTS = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]

DOOR = "door_slam_heavy_03.wav"
UCS_DOOR = "DOORWood_Slam Heavy Wooden Door_JD_LIB.wav"
SR = 22050

#: Named sounds (two with UCS names) and a few that only their sound can find.
SOUNDS = {
    f"Doors/Wood/{DOOR}": tone(80, 0.6, SR, kind="kick"),
    f"Doors/{UCS_DOOR}": tone(70, 0.8, SR, kind="kick"),
    "Rain/rain_on_roof_01.wav": tone(0, 1.0, SR, kind="noise", amp=0.2, seed=3),
    "Rain/RAINInt_Rain On Tin Roof Interior_JD_LIB.wav": tone(0, 1.2, SR, kind="noise", seed=4),
    "Metal/impact_metal_01.wav": tone(900, 0.5, SR, kind="square"),
    "Audio 0001.wav": tone(440, 0.5, SR),
    "Audio 0002.wav": tone(660, 0.5, SR, kind="chirp"),
    "Audio 0003.wav": tone(220, 0.7, SR, kind="square"),
}


@pytest.fixture(scope="session")
def words_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server over a small library of named sounds, indexed once."""
    root = tmp_path_factory.mktemp("web-words")
    sounds = root / "sounds"
    for name, waveform in SOUNDS.items():
        write_audio(sounds / name, waveform, SR)
    settings = api_settings(root / "library")
    index_once(sounds, settings)
    live = LiveServer(settings).start()
    yield live
    live.stop()


def _open(page: Page, server: LiveServer, query: str = "") -> None:
    page.goto(f"{server.url}/{query}")
    expect(page.locator("#library-state")).to_contain_text("8 sounds indexed")


def _search(page: Page, server: LiveServer, text: str, query: str = "") -> None:
    _open(page, server, query)
    page.fill("#q", text)
    page.press("#q", "Enter")
    expect(page.locator("#summary")).to_contain_text(re.compile("result|No sounds match"))


def _choice(page: Page, label: str):  # noqa: ANN202
    """One option of the match selector, by its label."""
    return page.locator(".match").get_by_text(label, exact=True)


def _marks(row) -> list[str]:  # noqa: ANN001
    return [m.lower() for m in row.locator(".name mark").all_inner_texts()]


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_matched_words_are_marked_innames(
    page: Page, words_server: LiveServer, viewport: ViewportSize
) -> None:
    page.set_viewport_size(viewport)
    _open(page, words_server)
    page.locator("#q").press_sequentially("door slam")
    expect(rows(page).first).to_be_visible()
    expect(page).to_have_url(re.compile(r"\?q=door\+slam$"))
    assert set(names(page)[:2]) == {DOOR, UCS_DOOR}  # the door files first
    plain = rows(page).filter(has_text=DOOR)
    expect(plain.locator(".name mark")).to_have_text(["door", "slam"])
    expect(plain.locator(".folder mark")).to_have_text(["Doors"])  # "door" marks "Doors"
    ucs = rows(page).filter(has_text=UCS_DOOR)
    assert {"door", "slam"} <= set(_marks(ucs))
    expect(ucs.locator(".name")).to_have_text(UCS_DOOR)  # marks keep the whole name
    expect(ucs.locator(".why")).to_contain_text("category: doors")
    badge = plain.locator(".band")
    expect(badge).to_have_text(re.compile(r"^(strong|fair|weak)$"))
    expect(badge).to_have_attribute(
        "title", re.compile(r"^relevance [01]\.\d\d · sound #\d+ · words #1$")
    )
    other = rows(page).filter(has_text="Audio 0001.wav")
    expect(other.locator(".name mark")).to_have_count(0)  # found by its sound only
    expect(other.locator(".why")).to_be_hidden()
    if viewport == PHONE:
        assert_no_sideways_scroll(page)
    page.wait_for_timeout(300)  # waveforms
    screenshot(page, f"20-words-marked-{'phone' if viewport == PHONE else 'desktop'}")


def test_the_match_selector_searches_words_only_and_is_kept_in_the_url(
    page: Page, words_server: LiveServer
) -> None:
    _search(page, words_server, "door slam")
    expect(rows(page)).to_have_count(8)  # words + sound: every sound, the doors first
    with page.expect_request(re.compile(r"/api/search\?.*match=words")):
        _choice(page, "Words").click()
    expect(page).to_have_url(re.compile(r"[?&]match=words(&|$)"))
    expect(rows(page)).to_have_count(2)
    assert set(names(page)) == {DOOR, UCS_DOOR}
    expect(page.locator("#summary")).to_contain_text("2 results")
    page.reload()
    expect(page.locator("input[name=match][value=words]")).to_be_checked()
    expect(rows(page)).to_have_count(2)
    page.wait_for_timeout(300)
    screenshot(page, "23-match-words")
    with page.expect_request(re.compile(r"/api/search\?.*match=sound")):
        _choice(page, "Sound").click()
    expect(page).to_have_url(re.compile(r"[?&]match=sound(&|$)"))
    expect(rows(page)).to_have_count(8)  # by sound: the names do not matter
    page.go_back()
    expect(page.locator("input[name=match][value=words]")).to_be_checked()
    expect(rows(page)).to_have_count(2)
    _choice(page, "Words + sound").click()
    expect(page).not_to_have_url(re.compile(r"match="))  # the default stays out of the URL
    expect(rows(page)).to_have_count(8)


def test_the_match_is_sent_with_an_upload(
    page: Page, words_server: LiveServer, tmp_path: Path
) -> None:
    _open(page, words_server, "?q=rain&match=words")
    expect(rows(page)).to_have_count(2)
    upload = write_audio(tmp_path / "reference.wav", tone(0, 0.8, SR, kind="noise", seed=9), SR)
    with page.expect_response(re.compile(r"/api/search/audio$")) as response:
        page.set_input_files("#file", str(upload))
    assert response.value.request.method == "POST"
    answer = response.value.json()  # (Chromium hides a multipart body with a file)
    assert answer["match"] == "words" and answer["mode"] == "hybrid"
    expect(page.locator("#summary")).to_contain_text("blend: 50 % sound, 50 % text")


def test_a_hand_edited_match_is_dropped(page: Page, words_server: LiveServer) -> None:
    with page.expect_request(re.compile(r"/api/search\?")) as request:
        _open(page, words_server, "?q=rain&match=everything")
    assert "match=both" in request.value.url
    expect(page).to_have_url(re.compile(r"/\?q=rain$"))
    expect(page.locator("input[name=match][value=both]")).to_be_checked()
    expect(page.locator("#error")).to_be_hidden()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_category_chip_filters_and_the_filter_can_be_removed(
    page: Page, words_server: LiveServer, viewport: ViewportSize
) -> None:
    page.set_viewport_size(viewport)
    _search(page, words_server, "door")
    expect(rows(page)).to_have_count(8)
    chips = rows(page).locator("button.category")
    expect(chips).to_have_text(["DOORS / WOOD", "RAIN / INTERIOR"])
    expect(page.locator("#category-filter")).to_be_hidden()
    with page.expect_request(re.compile(r"/api/search\?.*category=DOORS-WOOD")):
        rows(page).filter(has_text=UCS_DOOR).locator("button.category").click()
    expect(page).to_have_url(re.compile(r"[?&]category=DOORS-WOOD(&|$)"))
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first.locator(".name")).to_have_text(UCS_DOOR)
    active = page.locator("#category-filter")
    expect(active).to_be_visible()
    expect(page.locator("#category-name")).to_have_text("DOORS / WOOD")
    if viewport == PHONE:
        assert_no_sideways_scroll(page)
    page.wait_for_timeout(300)
    screenshot(page, f"21-category-filter-{'phone' if viewport == PHONE else 'desktop'}")
    page.locator("#category-clear").click()
    expect(active).to_be_hidden()
    expect(page).not_to_have_url(re.compile(r"category="))
    expect(rows(page)).to_have_count(8)
    expect(page.locator("#q")).to_be_focused()  # not lost with the × button
    page.go_back()  # the filtered search is in the history
    expect(page.locator("#category-name")).to_have_text("DOORS / WOOD")
    expect(rows(page)).to_have_count(1)


def test_the_category_chip_works_from_the_keyboard(page: Page, words_server: LiveServer) -> None:
    _open(page, words_server, "?q=rain&match=words")
    expect(rows(page)).to_have_count(2)
    ucs_index = names(page).index("RAINInt_Rain On Tin Roof Interior_JD_LIB.wav")
    page.focus("#results")
    for _ in range(ucs_index + 1):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")  # the selected result's name ...
    page.keyboard.press("Tab")  # ... then its category
    expect(page.locator(".hit[aria-selected=true] button.category")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"category=RAIN-INTERIOR"))
    expect(page.locator("#category-name")).to_have_text("RAIN / INTERIOR")
    expect(rows(page)).to_have_count(1)
    page.focus("#category-clear")
    page.keyboard.press("Enter")
    expect(page.locator("#category-filter")).to_be_hidden()
    expect(rows(page)).to_have_count(2)


def test_a_category_in_the_url_is_restored_and_an_unknown_one_explained(
    page: Page, words_server: LiveServer
) -> None:
    with page.expect_request(re.compile(r"/api/search\?")) as request:
        _open(page, words_server, "?q=door&category=DOORWood")  # a CatID
    assert "category=DOORWood" in request.value.url
    expect(page.locator("#category-name")).to_have_text("DOORWood")
    expect(rows(page)).to_have_count(1)
    _open(page, words_server, "?q=door&category=NOPE")
    expect(page.locator("#error-message")).to_contain_text("Unknown UCS category 'NOPE'")
    expect(page.locator("#error-hint")).to_contain_text("DOORS-WOOD")
    expect(rows(page)).to_have_count(0)
    page.locator("#category-clear").click()
    expect(page.locator("#error")).to_be_hidden()
    expect(rows(page)).to_have_count(8)


@pytest.mark.parametrize("match", ["both", "words"])
def test_query_syntax_and_symbols_are_plain_text(
    page: Page, words_server: LiveServer, match: str
) -> None:
    _search(page, words_server, '"NEAR(" * : -', f"?match={match}")
    expect(page.locator("#error")).to_be_hidden()
    if match == "words":
        expect(page.locator("#summary")).to_have_text(
            "No sounds match. Loosen the filters or try other words."
        )
        expect(rows(page)).to_have_count(0)
    else:
        expect(rows(page)).to_have_count(8)
        expect(rows(page).locator("mark")).to_have_count(0)
    for text in ("NEAR(", "AND OR NOT"):
        page.fill("#q", text)
        page.press("#q", "Enter")
        expect(page.locator("#summary")).not_to_be_empty()
        expect(page.locator("#error")).to_be_hidden()
    for text in ("* :", "-*", '"'):  # no word at all: said so, as a blank query is
        page.fill("#q", text)
        page.press("#q", "Enter")
        expect(page.locator("#error-message")).to_contain_text("a query needs a word")
        expect(rows(page)).to_have_count(0)
    # The page fixture fails the test on any uncaught JavaScript error.


def test_notes_are_shown_above_the_results(page: Page, words_server: LiveServer) -> None:
    _search(page, words_server, "xyzzy")
    notes = page.locator("#notes")
    expect(notes).to_be_visible()
    expect(notes).to_contain_text("No word of 'xyzzy' is in Soundscout's vocabulary")
    box, first = notes.bounding_box(), rows(page).first.bounding_box()
    assert box is not None and first is not None and box["y"] < first["y"]
    expect(page.locator("#error")).to_be_hidden()  # a note, not an error
    page.wait_for_timeout(200)
    screenshot(page, "22-notes")
    _choice(page, "Words").click()  # nothing matches by words: a note says what to try
    expect(page.locator("#summary")).to_contain_text("No sounds match")
    expect(notes).to_contain_text("No sound holds the words of 'xyzzy' in its names")
    expect(notes).not_to_contain_text("vocabulary")
    page.fill("#q", "")
    page.press("#q", "Enter")
    expect(notes).to_be_hidden()


def test_notes_are_text_not_html(page: Page, words_server: LiveServer) -> None:
    def answer(route) -> None:  # noqa: ANN001
        response = route.fetch()
        body = response.json()
        body["notes"] = ["<img src=x onerror=alert(1)> only stop words given", "second"]
        route.fulfill(response=response, json=body)

    page.route(re.compile(r"/api/search\?"), answer)
    _search(page, words_server, "the")
    expect(page.locator("#notes li")).to_have_text(
        ["<img src=x onerror=alert(1)> only stop words given", "second"]
    )
    expect(page.locator("#notes img")).to_have_count(0)


def test_a_category_alone_lists_its_sounds(page: Page, words_server: LiveServer) -> None:
    """With no words, a category filter lists its sounds by name."""
    _open(page, words_server, "?category=DOORS")
    expect(rows(page)).to_have_count(1)
    expect(page.locator("#summary")).to_contain_text("category, by name")
    assert names(page) == ["DOORWood_Slam Heavy Wooden Door_JD_LIB.wav"]
    page.locator("#category-clear").click()
    expect(rows(page)).to_have_count(0)  # nothing asked: the page is empty again
