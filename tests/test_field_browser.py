"""The field page on a phone-sized Chromium, signed in with a device link that an operator issued in the console:
steps queued while offline and sent when the signal returns, a position set by tapping the map when the browser
gives no geolocation, and only one's own orders. A field user may also sign in with the form (lands on /field)."""

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
from tests.browser_support import (
    chromium,
    issue_device_link,
    live_server,
    make_person,
    open_device_link,
    page_errors,
    restartable_server,
    sign_in,
)
from tests.conftest import make_token
from tests.photos import jpeg_with_gps
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
    make_person(db_settings, "field-op", "operator", display="李值班")  # first: a password ends older tokens
    operator = {"Authorization": f"Bearer {make_token(db_settings, 'field-op', 'operator')}"}  # a machine client
    field_id = make_person(db_settings, "field-user", "field", staff_code="FIELD1", display="陈网格")
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
    # The centre issues a device sign-in in the console; the phone opens the link its QR code holds.
    desk = browser.new_context(viewport={"width": 1360, "height": 860}, bypass_csp=True).new_page()
    sign_in(desk, base_url, "field-op")
    link = issue_device_link(desk, field_id, label="共用手机 1", screenshot=ARTIFACTS / "field-device-qr.png")
    # bypass_csp: Playwright's string predicates are eval'd, which the pages' CSP (script-src 'self') forbids
    context = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True, bypass_csp=True)
    page = context.new_page()
    try:
        open_device_link(page, link)
        page.wait_for_selector(f"li[data-order='{order_id}']")
        assert page.text_content("#who") == "陈网格 · 一线工作人员 · 全县"
        # The console lists the phone with a revoke.
        desk.reload()
        desk.click("button[data-tab=devices]")
        desk.select_option("#device-user", str(field_id))
        desk.wait_for_selector("#device-sessions li[data-session]")
        assert "共用手机 1" in (desk.text_content("#device-sessions") or "")
        desk.screenshot(path=str(ARTIFACTS / "console-devices.png"))
        orders = page.text_content("#orders") or ""
        assert case["case_no"] in orders and other["case_no"] not in orders  # only my own orders
        # No geolocation permission here: the page says so, and a tap on the map sets the position.
        page.wait_for_function("document.getElementById('geo').textContent.includes('点选')")
        assert "WGS84" in (page.text_content("#geo") or "")
        page.locator("#field-map").scroll_into_view_if_needed()  # below the order cards on a phone
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
        # The link was good once: opened again (another phone), it leads to the sign-in page with the reason.
        other = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True).new_page()
        other.goto(link)
        other.click("#device-sign-in")
        other.wait_for_url("**/login?error=device_link_invalid")
        assert "已使用" in (other.text_content("#error") or "")
        other.context.close()
        # Revoked in the console: the phone is signed out (opened again, it offers to sign in).
        desk.click("#device-sessions li[data-session] button.revoke")
        desk.wait_for_selector("#device-sessions li[data-session]", state="detached")
        page.reload()
        page.wait_for_selector("#signed-out")
        page.screenshot(path=str(ARTIFACTS / "field-revoked.png"))
    finally:
        context.close()
        desk.context.close()
        with connect(db_settings) as c:
            c.execute("UPDATE staff SET active = false WHERE staff_code = 'FIELD1'")
            c.commit()


def test_field_user_signs_in_with_the_form_and_lands_on_the_field_page(browser: Browser, base_url: str,
                                                                     db_settings: DatabaseSettings) -> None:
    make_person(db_settings, "field-form", "field", staff_code="FIELD2", display="周网格")
    with connect(db_settings) as c:
        staff_store.upsert_staff(c, records=[StaffRecord(
            staff_code="FIELD2", name="周网格", role="grid_worker", skills=("02",), territory=(),
            home_lon=114.6301, home_lat=24.1301, capacity=3)])
        c.commit()
    page = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True).new_page()
    try:
        sign_in(page, base_url, "field-form")
        page.wait_for_url("**/field")
        page.wait_for_selector("#who")
        assert page.text_content("#who") == "周网格 · 一线工作人员 · 全县"
        assert "暂无待办派单" in (page.text_content("body") or "")
        page.click("#sign-out")
        page.wait_for_url("**/login")
        page.goto(base_url + "/field")
        page.wait_for_selector("#signed-out")
        assert page.get_attribute("#sign-in", "href") == "/login?next=%2Ffield"
    finally:
        page.context.close()
        with connect(db_settings) as c:
            c.execute("UPDATE staff SET active = false WHERE staff_code = 'FIELD2'")
            c.commit()


def test_field_day_card_note_photo_and_reopening_with_no_server(browser: Browser, db_settings: DatabaseSettings
                                                              ) -> None:
    """A worker's day on a phone: sign in with the form, read the card, 接单, a note and a photo (with its EXIF
    place), then the server goes away: the reopened page shows the saved orders and what waits to be sent; the
    server returns, the queue goes out and 完成 moves the order into the history."""
    with connect(db_settings) as c:
        staff_store.upsert_staff(c, records=[
            StaffRecord(staff_code=code, name=name, role=role, skills=("02",), territory=(), home_lon=114.6301,
                        home_lat=24.1301, capacity=3)
            for code, name, role in (("FDAY1", "吴网格", "grid_worker"), ("FDAY2", "郑调解", "mediator"))])
        c.commit()
        ids = {code: int(i) for code, i in c.execute("SELECT staff_code, id FROM staff WHERE staff_code LIKE 'FDAY%'")}
    make_person(db_settings, "field-day", "field", staff_code="FDAY1", display="吴网格")
    operator = {"Authorization": f"Bearer {make_token(db_settings, 'field-day-op', 'operator')}"}  # a machine client
    errors: list[str] = []
    with restartable_server(db_settings) as server:
        with httpx.Client(base_url=server.url, headers=operator, timeout=30) as api:
            case = api.post("/api/v1/cases", headers={"Idempotency-Key": uuid.uuid4().hex}, json={
                "category": "0201", "source_channel": "walk_in", "severity": "high", "description": "院墙倒塌压坏菜地",
                "lon": 114.6305, "lat": 24.1305,
                "parties": [{"name": "张建国", "role": "applicant", "phone": "13812345678"}]}).json()
            sent = api.post(f"/api/v1/cases/{case['id']}/dispatches", json={"staff": [
                {"staff_id": ids["FDAY1"], "role": "lead"}, {"staff_id": ids["FDAY2"], "role": "assist"}]})
            assert sent.status_code == 201, sent.text
            order_id = next(o["id"] for o in sent.json()["orders"] if o["staff_code"] == "FDAY1")
        context = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True, has_touch=True,
                                      geolocation={"longitude": 114.6312, "latitude": 24.1298},
                                      permissions=["geolocation"])
        page = context.new_page()
        errors = page_errors(page)
        order = f"li[data-order='{order_id}']"
        try:
            sign_in(page, server.url, "field-day")
            page.wait_for_url("**/field")
            page.wait_for_selector(f"{order} .category")
            # The card holds the job, the team, the party's phone (for the one sent) and the way there.
            assert "重大" in (page.text_content(f"{order} .job") or "")
            assert "院墙倒塌压坏菜地" in (page.text_content(f"{order} .description") or "")
            assert "郑调解（调解员） 协办" in " ".join((page.text_content(f"{order} .team") or "").split())
            assert page.get_attribute(f"{order} a.tel", "href") == "tel:13812345678"
            amap = page.get_attribute(f"{order} a[data-nav=amap]", "href") or ""
            assert "coordinate=gaode" in amap and "position=114.6" in amap
            assert (page.get_attribute(f"{order} a[data-nav=geo]", "href") or "").startswith("geo:24.1305,114.6305")
            # Buttons are verbs; the state is a label.
            assert page.text_content(f"{order} button[data-step=accepted]") == "接单"
            assert page.text_content(f"{order} button[data-step=declined]") == "拒单"
            assert page.text_content(f"{order} .status") == "已派单"
            # My position (the phone's GPS) is reported and drawn as a dot on the map.
            page.wait_for_selector("#my-position")
            assert "GPS" in (page.text_content("#my-position") or "")
            page.wait_for_selector("#field-map path[fill='#1565c0']", state="attached")
            page.click(f"{order} button[data-step=accepted]")
            page.wait_for_selector(f"{order} .status:text-is('已接单')")
            page.wait_for_selector(f"{order} button[data-step=en_route]:text-is('出发')")
            # A progress note and a photo from the camera (a JPEG whose EXIF says where it was taken).
            page.fill(f"{order} .note-text", "已联系申请人，十分钟后到场")
            page.click(f"{order} button.add-note")
            page.wait_for_selector(f"{order} .notes li:has-text('已联系申请人')")
            page.set_input_files(f"{order} input.photo-input", files=[{
                "name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps(114.6307, 24.1303)}])
            page.wait_for_selector(f"{order} .photos img.thumb")
            page.wait_for_selector("#queue:text-is('已同步')")
            with httpx.Client(base_url=server.url, headers=operator, timeout=30) as api:
                photos = api.get(f"/api/v1/cases/{case['id']}/attachments").json()["attachments"]
            assert [(p["content_type"], p["dispatch_id"], p["uploader_name"]) for p in photos] == [
                ("image/jpeg", order_id, "吴网格")]
            assert photos[0]["exif_lon"] == pytest.approx(114.6307, abs=1e-6)
            assert photos[0]["exif_lat"] == pytest.approx(24.1303, abs=1e-6)
            page.screenshot(path=str(ARTIFACTS / "field-day-card.png"), full_page=True)
            # The service worker controls the page; open it again once so the saved copies are fresh.
            controlled = "navigator.serviceWorker.ready.then(() => Boolean(navigator.serviceWorker.controller))"
            assert page.evaluate(controlled)
            page.reload()
            page.wait_for_selector(f"{order} .notes li:has-text('已联系申请人')")
            assert errors == []
            # No server at all: the page reopens from the phone with the saved orders and says it is offline.
            server.stop()
            page.reload()
            page.wait_for_selector(f"{order} .category")
            page.wait_for_selector("#live:has-text('离线')")
            assert page.text_content(f"{order} .status") == "已接单"
            assert "已联系申请人" in (page.text_content(f"{order} .notes") or "")
            page.wait_for_selector(f"{order} .photos img.thumb")  # the photo too, from the phone's saved copy
            width = 0
            for _ in range(100):  # until the image has loaded (0 while loading, and if it never loads)
                width = page.evaluate(f"document.querySelector(\"{order} .photos img.thumb\").naturalWidth")
                if width:
                    break
                page.wait_for_timeout(100)
            assert width == 640
            page.click(f"{order} button[data-step=en_route]")
            page.wait_for_selector("#queue:text-is('待发送 1')")
            page.reload()  # the queue is on the phone, not in the page
            page.wait_for_selector("#queue:text-is('待发送 1')")
            page.wait_for_selector(f"{order} .category")
            assert "实时" not in (page.text_content("#live") or "")
            page.screenshot(path=str(ARTIFACTS / "field-day-no-server.png"), full_page=True)
            # The server is back: the queue goes out by itself, then 到场 and 完成.
            server.start()
            page.wait_for_selector("#queue:text-is('已同步')", timeout=30_000)
            page.wait_for_selector(f"{order} .status:text-is('在途')")
            page.wait_for_selector("#live:text-is('实时')", timeout=30_000)
            page.click(f"{order} button[data-step=on_scene]")
            page.wait_for_selector(f"{order} button[data-step=completed]:text-is('完成')")
            page.click(f"{order} button[data-step=completed]")
            page.wait_for_selector(f"#history li[data-order='{order_id}']")
            page.wait_for_selector(f"#orders {order}", state="detached")
            assert "照片 1" in (page.text_content(f"#history li[data-order='{order_id}']") or "")
            page.screenshot(path=str(ARTIFACTS / "field-day-finished.png"), full_page=True)
            with httpx.Client(base_url=server.url, headers=operator, timeout=30) as api:
                board = api.get(f"/api/v1/dispatches?case_id={case['id']}&active=false").json()["orders"]
                notes = api.get(f"/api/v1/cases/{case['id']}/notes").json()["notes"]
            assert {o["staff_code"]: o["status"] for o in board}["FDAY1"] == "completed"
            assert [n["body"] for n in notes] == ["已联系申请人，十分钟后到场"]
            assert [e for e in errors if "Content Security Policy" in e or e.startswith("pageerror")] == []
        finally:
            context.close()
            with connect(db_settings) as c:
                c.execute("UPDATE staff SET active = false WHERE staff_code LIKE 'FDAY%'")
                c.commit()
