"""The operator console in a real headless Chromium against a live server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from gis.settings import DatabaseSettings
from tests.browser_support import chromium, live_server

SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"


@pytest.fixture(scope="module")
def base_url(db_settings: DatabaseSettings) -> Iterator[str]:
    with live_server(db_settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    yield pg
    context.close()


def test_console_shows_boundaries_from_vector_tiles(page: Page, base_url: str) -> None:
    external: list[str] = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(base_url) else None)
    tile_statuses: list[int] = []
    page.on("response", lambda r: tile_statuses.append(r.status) if "/tiles/" in r.url else None)
    page.goto(base_url + "/")
    page.wait_for_function("document.getElementById('status').textContent.length > 0")
    assert page.text_content("#status") == "服务正常"
    assert page.text_content("#generation") == "边界版本 sample-county"
    page.wait_for_function("document.querySelectorAll('#map canvas.leaflet-tile').length >= 4")
    page.wait_for_timeout(500)
    assert tile_statuses and set(tile_statuses) <= {200, 204}
    assert 200 in tile_statuses
    assert external == []  # every asset is served by the application (intranets have no CDN)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console.png"))
