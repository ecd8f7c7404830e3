"""The operator console and the field page in a real headless Chromium against a live server.

The whole loop as people do it: the operator signs in through /login with a password; tiles draw, a case is
registered by clicking the map (with a party), moved along the loop, dispatched to a lead and an assistant in
one action; the field user's phone signs in with a device link issued in the console and accepts on /field,
and the operator's dispatch board shows the change arrive over the event stream; staff markers move; an
overdue case is pinned; the session warns before it ends and signing in again returns to the open case.
Screenshots go to var/artifacts/ (look at them). API calls made to set a scene use machine credentials
(Authorization headers); pages never get a token.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page

from gis.settings import DatabaseSettings
from gis.staff.roster import StaffRecord
from gis.storage import staff as staff_store
from gis.storage.pool import connect
from tests.browser_support import (
    PASSWORD,
    chromium,
    issue_device_link,
    live_server,
    make_person,
    open_device_link,
    sign_in,
)
from tests.conftest import make_token

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "artifacts"
POINT = (114.6471302, 24.0688967)  # 坪湾社区第7网格, 隆联街道


@pytest.fixture(scope="module")
def base_url(db_settings: DatabaseSettings) -> Iterator[str]:
    with live_server(db_settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def crew(db_settings: DatabaseSettings) -> Iterator[dict[str, int]]:
    """A mediator and a police officer next to POINT, and nobody else near it."""
    records = [
        StaffRecord(staff_code="BROWSER1", name="黄调解", role="mediator", skills=("02",), territory=("449901001008",),
                    home_lon=114.6481, home_lat=24.0689, capacity=2, phone="13900001111"),
        StaffRecord(staff_code="BROWSER2", name="林民警", role="police", skills=("02",), territory=(),
                    home_lon=114.6465, home_lat=24.0695, capacity=2, phone="13900002222"),
    ]
    with connect(db_settings) as c:
        staff_store.upsert_staff(c, records=records)
        c.commit()
        ids = {r.staff_code: staff_store.get_staff(c, staff_code=r.staff_code)["id"] for r in records}
    yield ids
    with connect(db_settings) as c:
        c.execute("UPDATE staff SET active = false WHERE staff_code IN ('BROWSER1', 'BROWSER2')")
        c.commit()


def new_page(browser: Browser, base_url: str, external: list[str], **context: object) -> Page:
    # bypass_csp: Playwright's string predicates are eval'd, which the console's CSP (script-src 'self') forbids
    options: dict[str, object] = {"viewport": {"width": 1360, "height": 860}, "bypass_csp": True, **context}
    ctx = browser.new_context(**options)  # type: ignore[arg-type]
    page = ctx.new_page()
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith((base_url, "data:")) else None)
    return page


def click_map_at(page: Page, lon: float, lat: float) -> None:
    x, y = page.evaluate(f"(() => {{ const p = window.fengqiaoConsole.map.latLngToContainerPoint([{lat}, {lon}]);"
                         " const r = document.getElementById('map').getBoundingClientRect();"
                         " return [r.left + p.x, r.top + p.y]; })()")
    page.mouse.click(x, y)


def act(page: Page, action: str, note: str = "", satisfaction: int | None = None) -> None:
    page.click(f"#actions button[data-action={action}]")
    form = f"form.action-form[data-action={action}]"
    page.wait_for_selector(form)
    if note:
        page.fill(f"{form} textarea[name=note]", note)
    if satisfaction is not None:
        page.fill(f"{form} input[name=satisfaction]", str(satisfaction))
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector(form, state="detached")


def test_console_draws_tiles_from_the_application_only(browser: Browser, base_url: str) -> None:
    external: list[str] = []
    page = new_page(browser, base_url, external)
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if "/tiles/" in r.url and ".pbf" in r.url else None)
    page.goto(base_url + "/")
    page.wait_for_function("document.getElementById('status') && document.getElementById('status').textContent")
    assert page.text_content("#status") == "服务正常"
    assert page.text_content("#generation") == "边界版本 sample-county"
    page.wait_for_function("document.querySelectorAll('#map canvas.leaflet-tile').length >= 8")
    page.wait_for_timeout(400)
    assert 200 in statuses and set(statuses) <= {200, 204, 304}
    assert page.evaluate("window.fengqiaoConsole.map.getZoom()") == 10  # the county fits; the grids do not force z12
    assert external == []  # every asset is served by the application (intranets have no CDN)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console-county.png"))
    page.context.close()


def test_case_loop_dispatch_field_accept_and_board(browser: Browser, base_url: str, db_settings: DatabaseSettings,
                                                   crew: dict[str, int]) -> None:
    external: list[str] = []
    make_person(db_settings, "console-op", "operator", display="王值班")
    field_id = make_person(db_settings, "console-field", "field", staff_code="BROWSER1", display="黄调解")
    page = new_page(browser, base_url, external)
    sign_in(page, base_url, "console-op")
    page.wait_for_selector("#live.on")
    assert page.url.split("#")[0] == base_url + "/"  # an operator lands on the console
    assert page.text_content("#who") == "王值班 · 指挥中心值班员 · 全县" and page.is_visible("#sign-out")
    page.evaluate(f"window.fengqiaoConsole.map.setView([{POINT[1]}, {POINT[0]}], 15)")
    page.wait_for_timeout(300)
    click_map_at(page, *POINT)
    page.wait_for_selector("#info dl.chain")
    info = page.text_content("#info") or ""
    assert "坪湾社区第7网格" in info and "隆联街道" in info and "黄调解" in info
    page.select_option("#case-category", "0201")
    page.fill("#case-description", "楼上住户装修噪音，双方争吵")
    page.click("#add-party")
    page.fill(".party-name", "王小明")
    page.fill(".party-id", "440101199001011234")
    page.fill(".party-phone", "13812345678")
    page.click("#case-submit")
    page.wait_for_selector("#created a")
    assert page.input_value("#case-severity") == "medium"  # the emptied form keeps its default 紧急程度
    page.click("#created a")
    page.wait_for_selector("#case-no")
    case_no = page.text_content("#case-no") or ""
    assert case_no.startswith("AJ") and page.text_content("#case-status") == "登记受理"
    parties = page.text_content("#parties") or ""
    assert "王小明" in parties and "440101199001011234" not in parties and "****" in parties
    # The loop, with labels and allowed actions from /api/v1/meta and the case.
    assert page.text_content("#actions button[data-action=triage]") == "分流"
    act(page, "triage")
    page.wait_for_function("document.getElementById('case-status').textContent === '已分流'")
    act(page, "accept")
    page.wait_for_function("document.getElementById('case-status').textContent === '调处中'")
    # Joint dispatch: the mediator leads, the police officer assists, in one action; lines on the map.
    page.click("#recommend")
    page.wait_for_selector(f"li[data-staff='{crew['BROWSER1']}'] select.pick")
    page.wait_for_function("document.querySelectorAll('path.rec-line').length >= 2")
    page.select_option(f"li[data-staff='{crew['BROWSER1']}'] select.pick", "lead")
    page.select_option(f"li[data-staff='{crew['BROWSER2']}'] select.pick", "assist")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console-recommend.png"))
    page.click("#send-dispatch")
    page.wait_for_selector("#orders li")
    orders = page.text_content("#orders") or ""
    assert "黄调解" in orders and "主办" in orders and "林民警" in orders and "协办" in orders
    page.click("button[data-tab=board]")
    page.wait_for_function(f"document.getElementById('board').textContent.includes('{case_no}')")
    # The field user's phone signs in with a device link from the console (as after scanning its QR code),
    # then accepts on the phone page; the board changes over the event stream, no reload.
    link = issue_device_link(page, field_id, label="黄调解的手机", screenshot=ARTIFACTS / "console-device-qr.png")
    assert link.startswith(base_url + "/device/fqd_")
    page.click("button[data-tab=board]")
    phone = new_page(browser, base_url, external, viewport={"width": 390, "height": 780}, is_mobile=True)
    open_device_link(phone, link)
    phone.wait_for_selector("#orders li.order")
    assert "黄调解 · 一线工作人员 · 全县" in (phone.text_content("#who") or "")
    card = phone.text_content("#orders") or ""
    assert case_no in card and "隆联街道" in card and "坪湾社区第7网格" in card
    href = phone.get_attribute("#orders a[href^='geo:']", "href") or ""
    assert href.startswith("geo:24.0688") and ",114.6471" in href and f"({case_no}%20" in href
    phone.click("button[data-step=accepted]")
    phone.wait_for_function("document.querySelector('#orders .status').textContent === '已接单'")
    phone.screenshot(path=str(ARTIFACTS / "field-order.png"))
    lead = "#board li[data-order] .order-status"
    page.wait_for_function(f"[...document.querySelectorAll('{lead}')].some((e) => e.textContent === '已接单')")
    page.screenshot(path=str(ARTIFACTS / "console-board.png"))
    # Round the loop to the end.
    page.click(f"#board a:text('{case_no}')")
    page.wait_for_selector("#timeline")
    timeline = page.text_content("#timeline") or ""
    assert "分流 → 已分流" in timeline and "黄调解（主办）：已接单" in timeline and "console-op" in timeline
    act(page, "resolve", note="双方达成协议")
    act(page, "follow_up")
    act(page, "evaluate", satisfaction=5)
    act(page, "close")
    page.wait_for_function("document.getElementById('case-status').textContent === '已结案'")
    assert page.evaluate("document.querySelectorAll('#actions button').length") == 0
    # Closing ends the orders: the lead and the assistant show 已撤销, on the console and on the phone.
    page.wait_for_function("(document.getElementById('orders')?.textContent || '').split('已撤销').length === 3")
    phone.wait_for_function("document.querySelector('#orders .status')?.textContent !== '已接单'")
    page.screenshot(path=str(ARTIFACTS / "console-closed.png"))
    assert external == []
    phone.context.close()
    page.context.close()


def test_staff_markers_move_and_overdue_case_is_pinned(browser: Browser, base_url: str,
                                                       db_settings: DatabaseSettings, crew: dict[str, int]) -> None:
    from gis.cases.book import load_rules
    from gis.cases.loop import sweep_deadlines

    external: list[str] = []
    make_person(db_settings, "console-op2", "operator")  # first: setting a password ends the account's tokens
    operator = make_token(db_settings, "console-op2", "operator")
    headers = {"Authorization": f"Bearer {operator}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as api:
        made = api.post("/api/v1/cases", headers={"Idempotency-Key": uuid.uuid4().hex},
                        json={"category": "0201", "source_channel": "walk_in",
                                                "description": "超期未办", "lon": 114.6371, "lat": 24.0788}).json()
        with connect(db_settings) as c:
            c.execute("UPDATE cases SET due_at = now() - interval '2 hours' WHERE id = %s", (made["id"],))
            c.commit()
            sweep_deadlines(c, rules=load_rules(), now=datetime.now(UTC))
            c.commit()
        staff_id = crew["BROWSER2"]
        first = api.post(f"/api/v1/staff/{staff_id}/positions", json={"lon": 114.6465, "lat": 24.0695})
        assert first.status_code == 200
        page = new_page(browser, base_url, external)
        sign_in(page, base_url, "console-op2")
        page.wait_for_selector("#live.on")
        page.wait_for_function(f"window.fengqiaoConsole.staff.markers.has({staff_id})")
        before = page.evaluate(f"window.fengqiaoConsole.staff.markers.get({staff_id}).getLatLng().lng")
        assert before == pytest.approx(114.6465)
        recorded = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
        assert api.post(f"/api/v1/staff/{staff_id}/positions",
                        json={"lon": 114.6501, "lat": 24.0712, "recorded_at": recorded}).status_code == 200
        page.wait_for_function(f"window.fengqiaoConsole.staff.markers.get({staff_id}).getLatLng().lng > 114.65")
    # The overdue case is pinned above the list with a red mark, whatever the list's filters.
    page.wait_for_selector(f"#watch-list a[data-case='{made['id']}']")
    row = page.text_content(f"#watch-list li:has(a[data-case='{made['id']}'])") or ""
    assert "已超期" in row and "红色预警" in row
    page.select_option("#filter-status", ["closed"])
    page.wait_for_timeout(300)
    assert page.is_visible(f"#watch-list a[data-case='{made['id']}']")
    page.evaluate("window.fengqiaoConsole.map.setView([24.0712, 114.6501], 15)")
    page.wait_for_timeout(800)
    page.screenshot(path=str(ARTIFACTS / "console-staff-overdue.png"))
    assert external == []
    page.context.close()


def test_the_session_warns_before_it_ends_and_signing_in_again_returns_to_the_case(
        browser: Browser, base_url: str, db_settings: DatabaseSettings) -> None:
    """Unused for 28 minutes (the live stream alone does not count): a banner with 继续 keeps the session;
    unused past 30 minutes: the console goes to /login and, signed in again, opens the same case."""
    machine = {"Authorization": f"Bearer {make_token(db_settings, 'console-idle-feed', 'operator')}"}
    with httpx.Client(base_url=base_url, headers=machine, timeout=30) as api:
        made = api.post("/api/v1/cases", headers={"Idempotency-Key": uuid.uuid4().hex},
                        json={"category": "0201", "source_channel": "walk_in", "description": "会话测试",
                              "lon": POINT[0], "lat": POINT[1]})
    assert made.status_code == 201, made.text
    case_id, case_no = made.json()["id"], made.json()["case_no"]
    make_person(db_settings, "console-idle", "operator")

    def idle_for(minutes: float) -> None:
        with connect(db_settings) as c:
            c.execute("UPDATE user_sessions SET last_seen_at = now() - make_interval(secs => %s) WHERE user_id ="
                      " (SELECT id FROM users WHERE username = 'console-idle') AND revoked_at IS NULL",
                      (minutes * 60,))
            c.commit()

    page = new_page(browser, base_url, [])
    sign_in(page, base_url, "console-idle")
    page.wait_for_selector("#live.on")
    page.evaluate(f"window.fengqiaoConsole.selectCase({case_id})")
    page.wait_for_function(f"document.getElementById('case-no').textContent === '{case_no}'")
    assert page.url.endswith(f"/#case={case_id}&tab=case")  # the selection is in the address
    # The case page reads its notes and attachments after it shows: let those requests (the person's own,
    # which keep the session alive) finish before the session is aged.
    page.wait_for_timeout(3000)
    idle_for(28.5)
    page.evaluate("window.dispatchEvent(new Event('focus'))")  # the page checks now rather than in a minute
    page.wait_for_selector("#session-warning #session-continue")
    assert "秒后结束" in (page.text_content("#session-warning") or "")
    assert page.text_content("#live") == "实时：已连接"  # the stream stayed open and did not keep the session
    page.screenshot(path=str(ARTIFACTS / "console-session-warning.png"))
    page.click("#session-continue")
    page.wait_for_selector("#session-warning", state="detached")
    with connect(db_settings) as c:
        fresh = c.execute("SELECT bool_and(last_seen_at > now() - interval '1 minute') FROM user_sessions WHERE"
                          " user_id = (SELECT id FROM users WHERE username = 'console-idle') AND revoked_at IS NULL"
                          ).fetchone()
    assert fresh == (True,)
    idle_for(31)
    page.evaluate("window.dispatchEvent(new Event('focus'))")
    page.wait_for_url("**/login?next=*", timeout=15_000)
    assert page.url.endswith("/login?next=" + quote(f"/#case={case_id}&tab=case", safe=""))
    page.fill("#username", "console-idle")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_function(f"document.getElementById('case-no') && document.getElementById('case-no').textContent"
                           f" === '{case_no}'")
    assert page.url.endswith(f"/#case={case_id}&tab=case")
    page.screenshot(path=str(ARTIFACTS / "console-signed-in-again.png"))
    page.context.close()


def test_a_live_change_keeps_a_dispatch_in_progress(browser: Browser, base_url: str, db_settings: DatabaseSettings,
                                                    app_client: TestClient, crew: dict[str, int]) -> None:
    """Another operator moves the open case on while this one is picking staff: the picks stay."""
    make_person(db_settings, "console-op-2", "operator")  # first: setting a password ends the account's tokens
    operator = make_token(db_settings, "console-op-2", "operator")
    headers = {"Authorization": f"Bearer {operator}"}
    body = {"category": "0201", "source_channel": "walk_in", "description": "并发派单测试", "lon": POINT[0],
            "lat": POINT[1]}
    created = app_client.post("/api/v1/cases", headers={**headers, "Idempotency-Key": str(uuid.uuid4())}, json=body)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    page = new_page(browser, base_url, [])
    sign_in(page, base_url, "console-op-2")
    page.wait_for_selector("#live.on")
    page.evaluate(f"window.fengqiaoConsole.selectCase({case_id})")
    page.click("#recommend")
    pick = f"li[data-staff='{crew['BROWSER1']}'] select.pick"
    page.select_option(pick, "lead")
    moved = app_client.post(f"/api/v1/cases/{case_id}/transitions", headers=headers, json={"action": "triage"})
    assert moved.status_code == 200, moved.text
    page.wait_for_function("document.getElementById('case-status').textContent === '已分流'")  # the refresh came
    assert page.input_value(pick) == "lead"
    assert page.is_enabled("#send-dispatch")
    page.context.close()
