"""The field page on a phone-sized Chromium: steps queued while offline and sent when the signal returns,
a position set by tapping the map when the browser gives no geolocation, and only one's own orders."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser

from gis.settings import DatabaseSettings
from gis.staff.roster import StaffRecord
from gis.storage import staff as staff_store
from gis.storage.pool import connect
from tests.browser_support import chromium, live_server
from tests.conftest import make_token
from tests.test_console_browser import ARTIFACTS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(db_settings: DatabaseSettings) -> Iterator[str]:
    with live_server(db_settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def test_field_queue_survives_lost_signal_and_tap_sets_position(browser: Browser, base_url: str,
                                                                db_settings: DatabaseSettings) -> None:
    with connect(db_settings) as c:
        staff_store.upsert_staff(c, records=[StaffRecord(
            staff_code="FIELD1", name="陈网格", role="grid_worker", skills=("02",), territory=(),
            home_lon=114.6301, home_lat=24.1301, capacity=3)])
        c.commit()
        staff_id = staff_store.get_staff(c, staff_code="FIELD1")["id"]
    operator = {"Authorization": f"Bearer {make_token(db_settings, 'field-op', 'operator')}"}
    field = make_token(db_settings, "field-user", "field", staff_code="FIELD1")
    with httpx.Client(base_url=base_url, headers=operator, timeout=30) as api:
        case = api.post("/api/v1/cases", headers={"Idempotency-Key": uuid.uuid4().hex},
                        json={"category": "0201", "source_channel": "walk_in",
                                               "description": "现场核查", "lon": 114.6305, "lat": 24.1305}).json()
        other = api.post("/api/v1/cases", headers={"Idempotency-Key": uuid.uuid4().hex},
                         json={"category": "0201", "source_channel": "walk_in",
                                                "description": "别人的案件", "lon": 114.6405, "lat": 24.1205}).json()
        sent = api.post(f"/api/v1/cases/{case['id']}/dispatches", json={"staff": [{"staff_id": staff_id,
                                                                                   "role": "lead"}]})
        assert sent.status_code == 201
        order_id = sent.json()["orders"][0]["id"]
    # bypass_csp: Playwright's string predicates are eval'd, which the pages' CSP (script-src 'self') forbids
    context = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True, bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(f"{base_url}/field?token={field}")
        page.wait_for_selector(f"li[data-order='{order_id}']")
        orders = page.text_content("#orders") or ""
        assert case["case_no"] in orders and other["case_no"] not in orders  # only my own orders
        # No geolocation permission here: the page says so, and a tap on the map sets the position.
        page.wait_for_function("document.getElementById('geo').textContent.includes('点选')")
        assert "WGS84" in (page.text_content("#geo") or "")
        box = page.locator("#field-map").bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_selector("#my-position")
        assert "地图点选" in (page.text_content("#my-position") or "")
        with httpx.Client(base_url=base_url, headers=operator, timeout=30) as api:
            me = api.get(f"/api/v1/staff/{staff_id}").json()
        assert me["position_lon"] == pytest.approx(114.6305, abs=0.01)
        # The signal drops: the step is kept and shown as waiting, then sent when the signal returns.
        context.set_offline(True)
        page.click(f"li[data-order='{order_id}'] button[data-step=accepted]")
        page.wait_for_function("document.getElementById('queue').textContent === '待发送 1'")
        page.screenshot(path=str(ARTIFACTS / "field-offline.png"))
        context.set_offline(False)
        page.wait_for_function("document.getElementById('queue').textContent === '已同步'", timeout=20_000)
        with httpx.Client(base_url=base_url, headers=operator, timeout=30) as api:
            board = api.get(f"/api/v1/dispatches?case_id={case['id']}").json()["orders"]
        assert [o["status"] for o in board] == ["accepted"]
        page.wait_for_function(f"document.querySelector(\"li[data-order='{order_id}'] .status\").textContent"
                               " === '已接单'")
        page.screenshot(path=str(ARTIFACTS / "field-synced.png"))
    finally:
        context.close()
        with connect(db_settings) as c:
            c.execute("UPDATE staff SET active = false WHERE staff_code = 'FIELD1'")
            c.commit()
