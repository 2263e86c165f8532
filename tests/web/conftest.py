"""Browser fixtures: Debian's Chromium driven by Playwright against live servers.

Screenshots of the main states land in ``test-artifacts/web/`` (gitignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.api.conftest import API_KEY, api_settings
from tests.api.live import Library, LiveServer, build_library

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
#: The two sizes layout tests run at, as ``viewport`` parameters.
VIEWPORTS = [pytest.param(LAPTOP, id="desktop"), pytest.param(PHONE, id="phone")]


@pytest.fixture(scope="session")
def web_library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    """The generated library (kicks, hats, pads, tones, one broken file), indexed once."""
    root = tmp_path_factory.mktemp("web")
    return build_library(root, api_settings(root / "library"))


@pytest.fixture(scope="session")
def web_server(web_library: Library) -> Iterator[LiveServer]:
    """A live server over the generated library."""
    live = LiveServer(api_settings(web_library.library)).start()
    yield live
    live.stop()


@pytest.fixture(scope="session")
def keyed_web_server(web_library: Library) -> Iterator[LiveServer]:
    """A live server over the generated library that requires ``API_KEY``."""
    settings = api_settings(web_library.library, **{"server.api_key": API_KEY})
    live = LiveServer(settings).start()
    yield live
    live.stop()


@pytest.fixture(scope="session")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server over a library where nothing was indexed."""
    live = LiveServer(api_settings(tmp_path_factory.mktemp("empty") / "library")).start()
    yield live
    live.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Chromium with background networking off and a fresh temporary profile."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package to run these")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh page (own context: no shared storage) on a 1280×800 laptop screen.

    Uncaught JavaScript errors fail the test.
    """
    context = browser.new_context(viewport=LAPTOP)  # type: ignore[attr-defined]
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.console_errors = []
    tab.on("pageerror", lambda exc: tab.console_errors.append(str(exc)))
    yield tab
    context.close()
    assert tab.console_errors == [], "uncaught JavaScript errors on the page"


def screenshot(page: object, name: str) -> Path:
    """Save a screenshot as a test artifact and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))  # type: ignore[attr-defined]
    return path


def assert_no_sideways_scroll(page: object) -> None:
    """The page fits its window's width: nothing scrolls sideways."""
    overflow = page.evaluate(  # type: ignore[attr-defined]
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow} px wider than the window"


def rows(page: Page) -> Locator:
    """The result rows on the page."""
    return page.locator("#results .hit")


def names(page: Page) -> list[str]:
    """The file names of the results, in their order on the page."""
    return rows(page).locator(".name").all_inner_texts()
