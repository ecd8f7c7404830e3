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
    # Playwright's wait_for_function evaluates strings, which the console's CSP (script-src 'self') forbids
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
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


def test_operator_locates_registers_and_dispatches(page: Page, base_url: str, db_settings: DatabaseSettings) -> None:
    from gis.staff.roster import StaffRecord
    from gis.storage import staff as staff_store
    from gis.storage.pool import connect
    from tests.conftest import make_token

    with connect(db_settings) as c:
        staff_store.upsert_staff(c, records=[StaffRecord(
            staff_code="BROWSER1", name="黄调解", role="mediator", skills=("02",), territory=("449901001008",),
            home_lon=114.6481, home_lat=24.0689, capacity=2)])
        c.commit()
    token = make_token(db_settings, "console-op", "operator")
    try:
        page.goto(f"{base_url}/?token={token}")
        page.wait_for_function("document.getElementById('status').textContent === '服务正常'")
        page.wait_for_function("document.querySelectorAll('#case-category option').length > 10")
        page.evaluate("window.fengqiaoConsole.map.setView([24.0688967, 114.6471302], 15)")
        page.wait_for_timeout(500)
        point = page.evaluate("(() => { const p = window.fengqiaoConsole.map.latLngToContainerPoint("
                              "[24.0688967, 114.6471302]); const r = document.getElementById('map')"
                              ".getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; })()")
        page.mouse.click(point[0], point[1])
        page.wait_for_selector("#info dl.chain")
        info = page.text_content("#info") or ""
        assert "坪湾社区第7网格" in info and "隆联街道" in info and "黄调解" in info
        assert page.is_visible("#intake")
        page.select_option("#case-category", "0201")
        page.fill("#case-description", "楼上住户装修噪音，双方争吵")
        page.click("#case-submit")
        page.wait_for_selector("#case-no")
        assert (page.text_content("#case-no") or "").startswith("AJ")
        assert "坪湾社区" in (page.text_content("#case") or "")
        page.wait_for_selector("button[data-dispatch]")
        page.click("button[data-dispatch]")
        page.wait_for_function("document.getElementById('case').textContent.includes('已派')")
        assert "黄调解（已派遣）" in (page.text_content("#case") or "")
        page.wait_for_function("document.querySelectorAll('#case-list li').length > 0")
        page.wait_for_function("document.getElementById('live').textContent === '实时：已连接'")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "console-case.png"))
    finally:
        with connect(db_settings) as c:
            c.execute("UPDATE staff SET active = false WHERE staff_code = 'BROWSER1'")
            c.commit()
