"""Every page, opened by a signed-in person under the pages' real Content-Security-Policy (no bypass): it loads,
names who is signed in, and logs no console error and no CSP violation. Screenshots in var/artifacts/."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page

from gis.settings import DatabaseSettings
from gis.staff.roster import StaffRecord
from gis.storage import staff as staff_store
from gis.storage.pool import connect
from tests.browser_support import chromium, live_server, make_person, page_errors, sign_in
from tests.conftest import make_token
from tests.test_console_browser import ARTIFACTS, POINT

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(db_settings: DatabaseSettings) -> Iterator[str]:
    with live_server(db_settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def strict_page(browser: Browser, **options: object) -> tuple[Page, list[str]]:
    context = browser.new_context(**{"viewport": {"width": 1360, "height": 860}, **options})  # type: ignore[arg-type]
    page = context.new_page()
    return page, page_errors(page)


def test_the_operator_pages_load_clean(browser: Browser, base_url: str, db_settings: DatabaseSettings) -> None:
    machine = {"Authorization": f"Bearer {make_token(db_settings, 'pages-feed', 'operator')}"}
    with httpx.Client(base_url=base_url, headers=machine, timeout=30) as api:
        made = api.post("/api/v1/cases", headers={"Idempotency-Key": uuid.uuid4().hex},
                        json={"category": "0201", "source_channel": "walk_in", "description": "页面检查",
                              "lon": POINT[0], "lat": POINT[1]})
    assert made.status_code == 201, made.text
    make_person(db_settings, "pages-op", "operator", town="449901001000", display="赵值班")
    page, errors = strict_page(browser)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        page.goto(base_url + "/login")
        page.screenshot(path=str(ARTIFACTS / "page-login.png"))
        sign_in(page, base_url, "pages-op")
        page.wait_for_selector("#live.on")
        assert page.text_content("#who") == "赵值班 · 指挥中心值班员 · 隆联街道"
        page.wait_for_selector(f"#case-list a[data-case='{made.json()['id']}']", timeout=15_000)
        page.wait_for_timeout(800)
        page.screenshot(path=str(ARTIFACTS / "page-console.png"))
        page.goto(base_url + "/maps/overdue")
        page.wait_for_selector("#summary:has-text('共 ')")
        assert page.text_content("#who") == "赵值班 · 指挥中心值班员 · 隆联街道"
        page.screenshot(path=str(ARTIFACTS / "page-overdue.png"))
        page.goto(base_url + "/maps/hotspots")
        page.wait_for_selector("#map:not([hidden])", timeout=60_000)
        frame = page.frame_locator("#map")
        frame.locator(".leaflet-container").wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(ARTIFACTS / "page-hotspots.png"))
        page.goto(base_url + "/docs")
        page.wait_for_selector(".swagger-ui .info")
        page.screenshot(path=str(ARTIFACTS / "page-docs.png"))
        assert errors == []
    finally:
        page.context.close()


def test_the_field_and_device_pages_load_clean(browser: Browser, base_url: str,
                                               db_settings: DatabaseSettings) -> None:
    with connect(db_settings) as c:
        staff_store.upsert_staff(c, records=[StaffRecord(
            staff_code="PAGES1", name="吴网格", role="grid_worker", skills=("02",), territory=(),
            home_lon=114.6301, home_lat=24.1301, capacity=3)])
        c.commit()
    make_person(db_settings, "pages-field", "field", staff_code="PAGES1", display="吴网格")
    page, errors = strict_page(browser, viewport={"width": 390, "height": 800}, is_mobile=True)
    try:
        page.goto(base_url + "/device/fqd_" + "x" * 43)  # the page a scanned link opens (this code is unknown)
        page.wait_for_selector("#device-sign-in")
        page.screenshot(path=str(ARTIFACTS / "page-device.png"))
        page.click("#device-sign-in")
        page.wait_for_url("**/login?error=device_link_invalid")
        sign_in(page, base_url, "pages-field")
        page.wait_for_url("**/field")
        page.wait_for_selector("#field-map .leaflet-tile-container, #field-map canvas", state="attached")
        assert page.text_content("#who") == "吴网格 · 一线工作人员 · 全县"
        page.wait_for_timeout(800)
        page.screenshot(path=str(ARTIFACTS / "page-field.png"))
        # The phone has no geolocation permission here: Chromium logs nothing for that; the page says so.
        assert errors == []
    finally:
        page.context.close()
        with connect(db_settings) as c:
            c.execute("UPDATE staff SET active = false WHERE staff_code = 'PAGES1'")
            c.commit()


def test_the_admin_and_audit_pages_load_clean(browser: Browser, base_url: str, db_settings: DatabaseSettings) -> None:
    make_person(db_settings, "pages-admin", "admin", display="钱管理")
    make_person(db_settings, "pages-auditor", "auditor", display="孙审计")
    page, errors = strict_page(browser)
    try:
        sign_in(page, base_url, "pages-admin", next_path="/admin/users")
        page.wait_for_selector("body[data-ready='1']")
        assert page.text_content("#who") == "钱管理 · 系统管理员 · 全县"
        assert page.get_attribute("#user-bar a.role-link", "href") == "/audit"
        page.screenshot(path=str(ARTIFACTS / "page-admin-users.png"), full_page=True)
        page.goto(base_url + "/audit")
        page.wait_for_selector("body[data-ready='1']")
        page.click("#sign-out")
        page.wait_for_url("**/login")
        sign_in(page, base_url, "pages-auditor")
        page.wait_for_url("**/audit")
        page.wait_for_selector("body[data-ready='1']")
        assert page.text_content("#who") == "孙审计 · 安全审计员 · 全县"
        page.screenshot(path=str(ARTIFACTS / "page-audit.png"), full_page=True)
        assert errors == []
    finally:
        page.context.close()
