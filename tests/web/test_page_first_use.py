"""The web page as a sound designer meets it on first use (issue #24): durations, the library
pop-over on a phone, "More like this" as pure sound, the duration range, texts cut in the
wrong place, technical facts and sorting, the search progress, a model still loading and an
index run in progress."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, Request, Route, ViewportSize, expect

from tests.api.live import LiveServer
from tests.web.conftest import PHONE, VIEWPORTS, assert_no_sideways_scroll, names, rows, screenshot

pytestmark = pytest.mark.browser

SEARCH = re.compile(r"/api/search\?")

#: What the status line under the form reads: the summary, then the search in progress.
STATUS_LINE = """() => {
  const summary = document.getElementById('summary');
  const after = getComputedStyle(summary, '::after').content;
  const generated = after.startsWith('"') ? JSON.parse(after) : '';
  const progress = document.getElementById('progress');
  const running = progress && !progress.hidden ? ' ' + progress.textContent : '';
  return (summary.textContent + generated + running).trim();
}"""

#: Whether the middle of an element can be clicked (nothing covers it).
UNCOVERED = """(selector) => {
  const el = document.querySelector(selector);
  const box = el.getBoundingClientRect();
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return el === hit || el.contains(hit);
}"""

#: The words of a failure's reason that the browser split over two lines.
SPLIT_WORDS = """(reason) => {
  const item = document.querySelector('#failures li');
  const walker = document.createTreeWalker(item, NodeFilter.SHOW_TEXT);
  const split = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(reason);
    if (at < 0) continue;
    for (const word of reason.matchAll(/\\p{L}+/gu)) {
      const range = document.createRange();
      range.setStart(node, at + word.index);
      range.setEnd(node, at + word.index + word[0].length);
      const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
      if (lines.size > 1) split.push(word[0]);
    }
    return split;
  }
  return null;
}"""

#: Where the first and last letters of an element's text are drawn, and its own edges.
TEXT_ENDS = """(el) => {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  const nodes = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.data) nodes.push(node);
  }
  const rect = (node, at) => {
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + 1);
    return range.getBoundingClientRect();
  };
  const last = nodes[nodes.length - 1];
  const box = el.getBoundingClientRect();
  return {
    first: rect(nodes[0], 0).left, last: rect(last, last.data.length - 1).right,
    left: box.left, right: box.right, overflows: el.scrollWidth > el.clientWidth,
  };
}"""


def _open(page: Page, server: LiveServer, query: str = "") -> None:
    page.goto(f"{server.url}/{query}")
    expect(page.locator("#library-state")).to_contain_text("indexed")


def _rewrite(page: Page, pattern: re.Pattern[str], change: Callable[[Any], None]) -> None:
    """Change every JSON answer to requests matching ``pattern`` before the page reads it."""

    def handle(route: Route) -> None:
        response = route.fetch()
        body = response.json()
        change(body)
        route.fulfill(response=response, json=body)

    page.route(pattern, handle)


def _rewrite_hits(page: Page, change: Callable[[int, dict[str, Any]], None]) -> None:
    """Change each hit of every search answer (by its place in the answer)."""

    def each(body: dict[str, Any]) -> None:
        for index, hit in enumerate(body["results"]):
            change(index, hit)

    _rewrite(page, SEARCH, each)


def _searches_sent(page: Page) -> list[str]:
    """The URLs of the searches the page sends from now on (the list grows)."""
    sent: list[str] = []

    def note(request: Request) -> None:
        if SEARCH.search(request.url):
            sent.append(request.url)

    page.on("request", note)
    return sent


def _stats_with(page: Page, **fields: object) -> None:
    """Add ``fields`` to every GET /api/stats answer."""
    _rewrite(page, re.compile(r"/api/stats$"), lambda body: body.update(fields))


def _status_line(page: Page) -> str:
    return page.evaluate(STATUS_LINE)


def _wait_until_busy(page: Page) -> None:
    page.wait_for_function("() => document.body.classList.contains('busy')")


# --- 1. durations ------------------------------------------------------------------------

DURATIONS = [
    (0, "0.00 s"),
    (0.4, "0.40 s"),
    (9.994, "9.99 s"),
    (9.996, "10.0 s"),
    (12.46, "12.5 s"),
    (59.94, "59.9 s"),
    (59.96, "1:00"),
    (60, "1:00"),
    (119.4, "1:59"),
    (119.9, "2:00"),
    (187.2, "3:07"),
    (3599.4, "59:59"),
    (3599.99, "1:00:00"),
    (3725, "1:02:05"),
    (None, "–"),
]


def test_durations_round_into_the_next_minute(page: Page, web_server: LiveServer) -> None:
    _open(page, web_server)
    shown = page.evaluate(
        "async (values) => { const { formatDuration } = await import('/static/format.js');"
        " return values.map((v) => formatDuration(v)); }",
        [seconds for seconds, _ in DURATIONS],
    )
    assert list(zip([seconds for seconds, _ in DURATIONS], shown, strict=True)) == DURATIONS


def test_a_result_of_119_9_seconds_shows_2_00(page: Page, web_server: LiveServer) -> None:
    _rewrite_hits(page, lambda i, hit: hit.update(duration=119.9 if i == 0 else 59.96))
    _open(page, web_server, "?q=anything")
    expect(rows(page).first.locator(".duration")).to_have_text("2:00")
    expect(rows(page).nth(1).locator(".duration")).to_have_text("1:00")


# --- 2. the library pop-over -------------------------------------------------------------


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_library_popover_fits_and_leaves_the_search_box_free(
    page: Page, web_server: LiveServer, viewport: ViewportSize
) -> None:
    page.set_viewport_size(viewport)
    _open(page, web_server)
    page.click("#library-state")
    expect(page.locator("#failures li")).to_be_visible()
    for selector in (".library-details", "#library-roots", "#failures"):
        box = page.locator(selector).bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (selector, box)
    expect(page.locator("#library-roots")).to_contain_text(re.compile(r"^Folders: "))
    assert page.evaluate(UNCOVERED, "#q"), "the pop-over hides the search box"
    assert_no_sideways_scroll(page)
    page.wait_for_timeout(100)
    screenshot(page, f"30-library-{'phone' if viewport == PHONE else 'desktop'}")
    page.keyboard.press("Escape")  # closes it, the focus on its summary
    expect(page.locator(".library-details")).to_be_hidden()
    expect(page.locator("#library-state")).to_be_focused()


def test_a_click_elsewhere_closes_the_library_popover(page: Page, web_server: LiveServer) -> None:
    _open(page, web_server)
    page.click("#library-state")
    expect(page.locator(".library-details")).to_be_visible()
    page.click("#q")
    expect(page.locator(".library-details")).to_be_hidden()
    expect(page.locator("#q")).to_be_focused()


# --- 3. more like this: pure sound -------------------------------------------------------


def test_more_like_this_searches_by_sound_alone_and_words_make_a_stated_blend(
    page: Page, web_server: LiveServer
) -> None:
    _open(page, web_server, "?q=dark")
    expect(rows(page)).to_have_count(13)
    kick = rows(page).filter(has_text="kick_01.flac")
    kick_id = kick.get_attribute("data-id")
    with page.expect_response(re.compile(rf"/api/search\?.*sound_id={kick_id}")) as answer:
        kick.locator(".more").click()
    sent = parse_qs(urlsplit(answer.value.url).query)
    assert "q" not in sent and "alpha" not in sent, sent
    assert answer.value.json()["mode"] == "audio"
    expect(page.locator("#q")).to_have_value("")
    expect(page).to_have_url(re.compile(rf"/\?ref={kick_id}$"))
    expect(page.locator("#alpha-row")).to_be_hidden()
    summary = page.locator("#summary")
    expect(summary).to_contain_text("· sound ·")
    expect(summary).to_contain_text("like kick_01.flac")
    expect(summary).not_to_contain_text("text")

    page.go_back()  # to the words searched before
    expect(page).to_have_url(re.compile(r"/\?q=dark$"))
    expect(page.locator("#q")).to_have_value("dark")
    expect(page.locator("#ref-chip")).to_be_hidden()
    expect(summary).to_contain_text("· text ·")
    page.go_forward()
    expect(page.locator("#ref-name")).to_have_text("kick_01.flac")
    expect(page.locator("#q")).to_have_value("")

    with page.expect_response(re.compile(r"/api/search\?.*q=dark")) as answer:
        page.fill("#q", "dark")  # words and a sound: a blend, said plainly
    assert answer.value.json()["mode"] == "hybrid"
    expect(page.locator("#alpha-row")).to_be_visible()
    expect(summary).to_contain_text("blend: 50 % sound, 50 % text")
    page.wait_for_timeout(100)
    screenshot(page, "31-blend")


# --- 4. the duration range ---------------------------------------------------------------


def test_a_duration_range_is_checked_by_the_page_in_plain_words(
    page: Page, web_server: LiveServer
) -> None:
    _open(page, web_server, "?q=anything")
    expect(rows(page)).to_have_count(13)
    sent = _searches_sent(page)
    page.fill("#min-duration", "5")
    page.press("#min-duration", "Tab")  # on to the maximum: no search with half a range
    expect(page.locator("#max-duration")).to_be_focused()
    page.keyboard.type("1")
    page.wait_for_timeout(300)
    assert sent == [], "a search ran while the range was being typed"
    page.press("#max-duration", "Tab")
    expect(page.locator("#error-message")).to_have_text(
        "The shortest duration (5 s) is longer than the longest (1 s)."
    )
    expect(page.locator("#max-duration")).to_have_attribute("aria-invalid", "true")
    expect(rows(page)).to_have_count(0)
    page.wait_for_timeout(300)
    assert sent == [], "the server was asked to check what the page knows is wrong"
    with page.expect_request(re.compile(r"min_duration=5&max_duration=10")):
        page.fill("#max-duration", "10")
        page.press("#max-duration", "Tab")
    expect(page.locator("#error")).to_be_hidden()
    expect(page.locator("#max-duration")).not_to_have_attribute("aria-invalid", "true")


def test_a_minimum_alone_searches_once_typing_stops(page: Page, web_server: LiveServer) -> None:
    _open(page, web_server, "?q=anything")
    expect(rows(page)).to_have_count(13)
    with page.expect_request(re.compile(r"min_duration=2(&|$)"), timeout=5000) as request:
        page.focus("#min-duration")
        page.keyboard.type("2")  # and nothing more: the search runs after a pause
    assert "max_duration" not in request.value.url
    expect(page.locator("#min-duration")).to_be_focused()
    expect(page.locator("#summary")).to_have_text(re.compile(r"^No sounds match"))


def test_a_url_with_the_range_reversed_is_named_without_asking_the_server(
    page: Page, web_server: LiveServer
) -> None:
    sent = _searches_sent(page)
    page.goto(f"{web_server.url}/?q=x&min_duration=3&max_duration=1.5")
    expect(page.locator("#error-message")).to_have_text(
        "The shortest duration (3 s) is longer than the longest (1.5 s)."
    )
    page.wait_for_timeout(200)
    assert sent == []


# --- 5. texts cut in the wrong place -----------------------------------------------------


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_search_box_placeholder_fits(
    page: Page, web_server: LiveServer, viewport: ViewportSize
) -> None:
    page.set_viewport_size(viewport)
    _open(page, web_server)
    placeholder, text, room = page.evaluate(
        """() => {
          const q = document.getElementById('q');
          const style = getComputedStyle(q);
          const ctx = document.createElement('canvas').getContext('2d');
          ctx.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
          const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
          const room = q.clientWidth - padding;
          return [q.placeholder, ctx.measureText(q.placeholder).width, room];
        }"""
    )
    assert placeholder.startswith("Describe a sound")
    assert text <= room, f"“{placeholder}” is {text:.0f} px in a {room:.0f} px box"
    if viewport != PHONE:
        assert "“" in placeholder  # room for the examples


LONG_FOLDER = (
    "Library/Sound Effects/Foley/Household/Interior/Doors/Wooden Doors/"
    "Old Farmhouse/Creaks and Slams/Slow"
)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_long_folder_is_cut_at_its_start(
    page: Page, web_server: LiveServer, viewport: ViewportSize
) -> None:
    page.set_viewport_size(viewport)
    _rewrite_hits(page, lambda i, hit: hit.update(folder=LONG_FOLDER))
    _open(page, web_server, "?q=anything")
    folder = rows(page).first.locator(".folder")
    expect(folder).to_have_text(LONG_FOLDER)
    ends = folder.evaluate(TEXT_ENDS)
    assert ends["overflows"], ends
    assert ends["last"] <= ends["right"] + 0.5, f"the end “…/Slow” is cut: {ends}"
    assert ends["first"] < ends["left"], f"the start is shown: {ends}"
    expect(folder).to_have_attribute("title", LONG_FOLDER)  # the whole of it on hover
    assert_no_sideways_scroll(page)
    page.wait_for_timeout(200)
    screenshot(page, f"32-long-folder-{'phone' if viewport == PHONE else 'desktop'}")


BROKEN_PATH = (
    "/srv/sounds/field-recordings/2019-03-14_harbour_morning_rain_on_tin_roofs_ortf_take07.wav"
)
BROKEN_REASON = (
    "a broken link in the header points past the end of the file, so the sound cannot be "
    "decoded; it stays skipped until the file changes or a later run retries failed files"
)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_failures_wrap_between_words(
    page: Page, web_server: LiveServer, viewport: ViewportSize
) -> None:
    page.set_viewport_size(viewport)
    _stats_with(page, failures=[{"id": 1, "path": BROKEN_PATH, "error": BROKEN_REASON}])
    _open(page, web_server)
    page.click("#library-state")
    item = page.locator("#failures li")
    expect(item).to_contain_text(f"{BROKEN_PATH} — {BROKEN_REASON}")
    assert page.evaluate(SPLIT_WORDS, BROKEN_REASON) == []
    assert item.evaluate("(li) => li.scrollWidth <= li.clientWidth"), "the path sticks out"


# --- 6. technical facts, sorting by duration ---------------------------------------------


def _facts(index: int, hit: dict[str, Any]) -> None:
    if index == 0:
        hit.update(sample_rate=48000, channels=2, bit_depth=24)
    elif index == 1:
        hit.update(sample_rate=44100, channels=1, bit_depth=None)
    elif index == 2:
        hit.update(sample_rate=96000, channels=6)
        hit.pop("bit_depth", None)  # a server without the field
    elif index == 3:
        hit.update(sample_rate=22050, channels=1, bit_depth=None)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_each_result_shows_its_technical_facts(
    page: Page, web_server: LiveServer, viewport: ViewportSize
) -> None:
    page.set_viewport_size(viewport)
    _rewrite_hits(page, _facts)
    _open(page, web_server, "?q=anything")
    expect(rows(page)).to_have_count(13)
    expected = [
        ("48 kHz", "24-bit", "stereo"),
        ("44.1 kHz", None, "mono"),
        ("96 kHz", None, "6 ch"),
        ("22.05 kHz", None, "mono"),
    ]
    for index, (rate, bits, channels) in enumerate(expected):
        facts = rows(page).nth(index).locator(".facts")
        expect(facts).to_be_visible()
        expect(facts.locator(".rate")).to_have_text(rate)
        expect(facts.locator(".channels")).to_have_text(channels)
        if bits:
            expect(facts.locator(".bits")).to_have_text(bits)
        else:
            expect(facts.locator(".bits")).to_have_count(0)
        box = facts.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    expect(rows(page).first.locator(".facts")).to_have_attribute(
        "title", re.compile(r"48 kHz · 24-bit · stereo")
    )
    expect(rows(page).first.locator(".format")).to_be_visible()
    assert_no_sideways_scroll(page)
    page.wait_for_timeout(200)
    screenshot(page, f"33-facts-{'phone' if viewport == PHONE else 'desktop'}")


SORT_DURATIONS = [3.0, 0.5, 12.0, None, 1.0, 7.0, 2.0, 0.25, 5.0, 9.0, 4.0, 6.0, 8.0]


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_results_sort_by_duration_and_back_to_relevance(
    page: Page, web_server: LiveServer, viewport: ViewportSize
) -> None:
    page.set_viewport_size(viewport)
    _rewrite_hits(page, lambda i, hit: hit.update(duration=SORT_DURATIONS[i]))
    _open(page, web_server, "?q=anything")
    expect(rows(page)).to_have_count(13)
    relevance = names(page)
    seconds = dict(zip(relevance, SORT_DURATIONS, strict=True))
    timed = {name: s for name, s in seconds.items() if s is not None}
    untimed = [name for name in relevance if name not in timed]
    shortest_first = sorted(timed, key=timed.__getitem__) + untimed
    longest_first = sorted(timed, key=timed.__getitem__, reverse=True) + untimed

    button = page.locator("#sort-duration")
    header = page.locator("[aria-sort]", has=button)
    expect(header).to_have_attribute("aria-sort", "none")
    # over columns it heads the durations; on a phone, where there are none, it says so
    label = button.evaluate("b => getComputedStyle(b, '::before').content + b.textContent")
    assert label == ('"Sort by "Duration' if viewport == PHONE else "noneDuration"), label
    button.click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    assert names(page) == shortest_first
    button.focus()
    page.keyboard.press("Enter")
    expect(header).to_have_attribute("aria-sort", "descending")
    assert names(page) == longest_first
    page.keyboard.press(" ")
    expect(header).to_have_attribute("aria-sort", "none")
    assert names(page) == relevance

    button.click()  # the rows still play and follow what they show
    first = rows(page).first
    assert first.locator(".name").inner_text() == shortest_first[0]
    first.locator(".play").click()
    page.wait_for_function(
        "(id) => document.getElementById('player').src.endsWith(`/${id}/audio`)",
        arg=first.get_attribute("data-id"),
    )
    page.wait_for_timeout(200)
    screenshot(page, f"34-sorted-{'phone' if viewport == PHONE else 'desktop'}")


# --- 7. the search in progress -----------------------------------------------------------


def test_the_search_progress_has_no_stray_separator(page: Page, web_server: LiveServer) -> None:
    held: list[Route] = []
    page.route(SEARCH, lambda route: held.append(route))
    _open(page, web_server)
    page.fill("#q", "kick")
    page.press("#q", "Enter")
    _wait_until_busy(page)
    assert _status_line(page) == "searching…"
    for route in held:
        route.continue_()
    expect(page.locator("#summary")).to_contain_text("results")
    held.clear()
    page.fill("#q", "hat")
    page.press("#q", "Enter")
    _wait_until_busy(page)
    assert re.fullmatch(r"13 results · text · \d+ ms · searching…", _status_line(page))
    for route in held:
        route.continue_()


# --- 8. a model still loading ------------------------------------------------------------


def _health(page: Page, **fields: object) -> None:
    body = {"ok": True, "version": "0", **fields}
    page.route(re.compile(r"/api/health$"), lambda route: route.fulfill(json=body))


def test_a_slow_search_while_the_model_loads_says_so(page: Page, web_server: LiveServer) -> None:
    _health(page, ready=False, loading="model")
    held: list[Route] = []
    page.route(SEARCH, lambda route: held.append(route))
    _open(page, web_server)
    page.fill("#q", "kick")
    page.press("#q", "Enter")
    page.wait_for_function(f"() => ({STATUS_LINE})() === 'loading the model…'", timeout=5000)
    for route in held:
        route.continue_()
    expect(page.locator("#summary")).to_have_text(
        re.compile(r"^13 results · text · \d+ ms \(first search loads the model\)$")
    )


def test_a_slow_search_on_a_server_without_readiness_just_searches(
    page: Page, web_server: LiveServer
) -> None:
    _health(page)  # no "ready" field: an older server
    held: list[Route] = []
    page.route(SEARCH, lambda route: held.append(route))
    _open(page, web_server)
    page.fill("#q", "kick")
    page.press("#q", "Enter")
    _wait_until_busy(page)
    page.wait_for_timeout(1500)
    assert _status_line(page) == "searching…"
    for route in held:
        route.continue_()
    expect(page.locator("#summary")).to_have_text(re.compile(r"^13 results · text · \d+ ms$"))


# --- 9. an index run in progress ---------------------------------------------------------

#: GET /api/stats ``indexing`` while a run goes on (the server reads it from the run's state
#: file, held by a live process: simulated here).
RUN = {"phase": "indexing", "root": "/sounds", "started": 1_700_000_000.0}


def test_an_empty_library_being_indexed_says_how_far_it_is(
    page: Page, empty_server: LiveServer
) -> None:
    _stats_with(page, indexing={**RUN, "done": 3, "total": 12})
    page.goto(empty_server.url)
    expect(page.locator("#library-state")).to_have_text("indexing: 3 of 12 · tiny encoder")
    expect(page.locator("#error-message")).to_have_text("Indexing: 3 of 12 sounds so far.")


def test_an_index_run_still_scanning_says_so(page: Page, empty_server: LiveServer) -> None:
    _stats_with(page, indexing={**RUN, "phase": "scanning", "done": 0, "total": None})
    page.goto(empty_server.url)
    expect(page.locator("#library-state")).to_have_text("scanning… · tiny encoder")
    expect(page.locator("#error-message")).to_have_text(
        "An index run has started: nothing is indexed yet."
    )


def test_a_library_being_indexed_shows_the_run_beside_its_counts(
    page: Page, web_server: LiveServer
) -> None:
    _stats_with(page, indexing={**RUN, "done": 5, "total": 20})
    page.goto(web_server.url)
    expect(page.locator("#library-state")).to_have_text(
        "13 sounds indexed · 1 failed · indexing: 5 of 20 · tiny encoder"
    )
    expect(page.locator("#error")).to_be_hidden()
