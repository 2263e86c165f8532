"""Moments on the page: a search finds where in a long recording the sound is, marks it on
the waveform and names it in the row; a moment plays from its start and "Like this moment"
searches by that region; the "Moments" option is on by default and kept in the URL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, ViewportSize, expect

from tests.api.conftest import api_settings
from tests.api.live import LiveServer, index_once
from tests.audiogen import tone, write_audio
from tests.web.conftest import PHONE, VIEWPORTS, assert_no_sideways_scroll, rows, screenshot

pytestmark = pytest.mark.browser

SR = 16_000
LONG = "field/ambience_long.wav"  # 48 s of quiet noise with two square-wave bursts
BURST = "refs/burst.wav"  # the burst on its own: the reference
LONG_SECONDS, BURST_SECONDS = 48.0, 1.5
BEST_AT, ALSO_AT = 31.0, 12.0  # the loud burst, and a quieter one
SPAN = re.compile(r"^(\d\d):(\d\d\.\d)–(\d\d):(\d\d\.\d)$")  # "00:31.0–00:32.5"


@dataclass
class MomentsSite:
    """A live server over a library with one long recording, and the sounds' ids."""

    server: LiveServer
    ids: dict[str, int]

    @property
    def url(self) -> str:
        return self.server.url


def _write_sounds(sounds: Path) -> None:
    burst = tone(440, BURST_SECONDS, SR, kind="square", amp=0.5)
    long = tone(0, LONG_SECONDS, SR, kind="noise", amp=0.05, seed=3)
    for at, amp in ((BEST_AT, 1.0), (ALSO_AT, 0.6)):
        first = int(at * SR)
        long[first : first + burst.size] += amp * burst
    write_audio(sounds / LONG, long, SR)
    write_audio(sounds / BURST, burst, SR)
    write_audio(sounds / "short" / "hum.wav", tone(120, 2.0, SR), SR)
    write_audio(sounds / "short" / "chirp.wav", tone(500, 1.5, SR, kind="chirp"), SR)
    write_audio(sounds / "short" / "hiss.wav", tone(0, 2.0, SR, kind="noise", amp=0.2, seed=5), SR)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MomentsSite]:
    """The library indexed with the tiny encoder (moments of files over 10 s), served."""
    root = tmp_path_factory.mktemp("web_moments")
    _write_sounds(root / "sounds")
    settings = api_settings(root / "library")
    ids = index_once(root / "sounds", settings)
    live = LiveServer(settings).start()
    yield MomentsSite(live, ids)
    live.stop()


def _search_by_burst(page: Page, site: MomentsSite) -> Locator:
    """Open the page searching by the burst (asking for moments); the long recording's row."""
    with page.expect_request(re.compile(r"/api/search\?")) as request:
        page.goto(f"{site.url}/?ref={site.ids[BURST]}")
    expect(page.locator("#summary")).to_contain_text("· sound ·")
    assert "moments=true" in request.value.url
    return page.locator(f"#hit-{site.ids[LONG]}")


def _seconds(text: str) -> tuple[float, float]:
    match = SPAN.match(text)
    assert match, f"{text!r} is not a time range like 02:13.0–02:16.0"
    minutes, seconds, end_minutes, end_seconds = match.groups()
    return 60 * int(minutes) + float(seconds), 60 * int(end_minutes) + float(end_seconds)


def _current_time(page: Page) -> float:
    return float(page.evaluate("document.getElementById('player').currentTime"))


def _wait_playing_from(page: Page, site: MomentsSite, start: float) -> None:
    """The long recording plays, from `start` (it has played less than a second since)."""
    page.wait_for_function(
        """([src, start]) => {
          const audio = document.getElementById('player');
          return audio.src.endsWith(src) && !audio.paused && audio.currentTime >= start - 0.05;
        }""",
        arg=[f"/api/sounds/{site.ids[LONG]}/audio", start],
    )
    assert _current_time(page) < start + 1.0


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_long_recording_shows_where_it_matches(
    page: Page, site: MomentsSite, viewport: ViewportSize
) -> None:
    page.set_viewport_size(viewport)
    row = _search_by_burst(page, site)
    expect(rows(page).first).to_have_id(f"hit-{site.ids[LONG]}")
    best = row.locator(".moments .moment.best")
    expect(best).to_have_count(1)
    start, end = _seconds(best.inner_text())
    assert abs(start - BEST_AT) < 0.3 and abs(end - (BEST_AT + BURST_SECONDS)) < 0.3
    expect(best).to_have_attribute("aria-label", f"Play from 00:{start:04.1f}")
    # the burst itself is in the recording: found by its pattern, and the chip says so
    expect(best).to_have_class(re.compile(r"\bpattern\b"))
    expect(best).to_have_attribute("title", re.compile(r"^This very sound, found by its pattern"))
    also = row.locator(".moments .moment:not(.best)")
    expect(also).to_have_count(1)
    also_start, _ = _seconds(also.inner_text())
    assert abs(also_start - ALSO_AT) < 0.3
    # The waveform marks both, the best one emphasised, where they are in the sound.
    wave = row.locator(".wave").bounding_box()
    mark = row.locator(".wave .moment-mark.best")
    expect(mark).to_be_visible()
    expect(row.locator(".wave .moment-mark")).to_have_count(2)
    box = mark.bounding_box()
    assert wave and box
    assert abs((box["x"] - wave["x"]) / wave["width"] - BEST_AT / LONG_SECONDS) < 0.02
    assert abs(box["width"] / wave["width"] - BURST_SECONDS / LONG_SECONDS) < 0.02
    # Short sounds have no moments.
    expect(page.locator(".hit:not(.has-moments) .moment-mark")).to_have_count(0)
    expect(page.locator(".hit .moments")).to_have_count(1)
    assert_no_sideways_scroll(page)
    page.wait_for_timeout(300)  # the waveforms
    screenshot(page, f"50-moments-{'phone' if viewport == PHONE else 'desktop'}")


def test_a_moment_plays_from_its_start(page: Page, site: MomentsSite) -> None:
    row = _search_by_burst(page, site)
    best, also = row.locator(".moment.best"), row.locator(".moment:not(.best)")
    start = float(best.get_attribute("data-start") or "nan")
    also_start = float(also.get_attribute("data-start") or "nan")
    best.click()
    _wait_playing_from(page, site, start)
    also.click()  # a further moment seeks there
    _wait_playing_from(page, site, also_start)
    expect(also).to_have_attribute("aria-current", "true")
    row.locator(".play").click()  # stop
    page.wait_for_function("document.getElementById('player').paused")
    row.locator(".play").click()  # play: from the best moment, not the beginning
    _wait_playing_from(page, site, start)
    row.locator(".play").click()
    # A keyboard user: the selected row's moments are Tab stops, Enter plays.
    expect(best).to_have_attribute("tabindex", "0")
    best.focus()
    page.keyboard.press("Enter")
    _wait_playing_from(page, site, start)
    row.locator(".wave .moment-mark:not(.best)").click()  # the marks play too
    _wait_playing_from(page, site, also_start)


def test_like_this_moment_searches_by_that_region(page: Page, site: MomentsSite) -> None:
    row = _search_by_burst(page, site)
    best = row.locator(".moment.best")
    span = best.inner_text()
    start = re.escape(best.get_attribute("data-start") or "?")
    more = row.locator(".moment-more")
    expect(more).to_have_attribute("aria-label", f"More sounds like {span} of ambience_long.wav")
    long_id = site.ids[LONG]
    region = re.compile(rf"/api/search\?sound_id={long_id}&start={start}&end=[\d.]+&")
    with page.expect_request(region):
        more.click()
    expect(page).to_have_url(re.compile(rf"\?ref={long_id}&start={start}&end=[\d.]+$"))
    expect(page.locator("#ref-name")).to_have_text("ambience_long.wav")
    expect(page.locator("#ref-region")).to_have_text(span)
    expect(page.locator("#summary")).to_contain_text(f"like ambience_long.wav {span}")
    expect(rows(page).first.locator(".name")).to_have_text("burst.wav")
    screenshot(page, "51-moment-region")
    with page.expect_request(region):
        page.reload()  # the region is in the URL
    expect(page.locator("#ref-region")).to_have_text(span)
    page.go_back()
    expect(page.locator("#ref-name")).to_have_text("burst.wav")
    expect(page.locator("#ref-region")).to_be_hidden()


def test_the_moments_option_is_on_by_default_and_kept_in_the_url(
    page: Page, site: MomentsSite
) -> None:
    row = _search_by_burst(page, site)
    toggle = page.locator("#moments")
    expect(toggle).to_be_checked()
    expect(row.locator(".moment-mark")).to_have_count(2)
    with page.expect_request(re.compile(r"/api/search\?")) as request:
        toggle.uncheck()
    assert "moments" not in request.value.url
    expect(page).to_have_url(re.compile(r"moments=0"))
    expect(page.locator(".moment-mark")).to_have_count(0)
    expect(page.locator(".hit .moments")).to_have_count(0)
    page.reload()
    expect(page.locator("#summary")).to_contain_text("· sound ·")
    expect(toggle).not_to_be_checked()
    expect(page.locator(".moment-mark")).to_have_count(0)
    page.go_back()
    expect(toggle).to_be_checked()
    expect(row.locator(".moment-mark")).to_have_count(2)
