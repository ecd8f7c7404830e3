"""An operator's shift in a real headless Chromium, signed in through the /login form.

The operator searches (a phone number opens its case), clicks the map with the 案件 layer on (a click on a case
opens it, a click elsewhere locates), registers a case and is shown the earlier one as a possible duplicate
before saving, dispatches a lead and two assistants, gets a notification (the bell) when one declines (the
decline comes through the API as the field user would send it), closes the case and sees the orders end.
Screenshots go to var/artifacts/journey-*.png.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page

from gis.settings import DatabaseSettings
from gis.staff.roster import StaffRecord
from gis.storage import staff as staff_store
from gis.storage.pool import connect
from tests.browser_support import chromium, live_server, make_person, page_errors, sign_in
from tests.conftest import make_token

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "artifacts"
POINT = (114.6471302, 24.0688967)  # 坪湾社区第7网格, 隆联街道
M_LON = 1 / (111_320 * math.cos(math.radians(POINT[1])))
ELSEWHERE = (POINT[0] + 150 * M_LON, POINT[1])  # 150 m east: no case there


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
    """A mediator, a police officer and a lawyer next to POINT."""
    records = [StaffRecord(staff_code=code, name=name, role=role, skills=("02",), territory=(),
                           home_lon=POINT[0] + dx * M_LON, home_lat=POINT[1], capacity=2, phone=phone)
               for code, name, role, dx, phone in (("JR1", "郑调解", "mediator", 60, "13900003331"),
                                                   ("JR2", "冯民警", "police", 90, "13900003332"),
                                                   ("JR3", "褚律师", "lawyer", 120, "13900003333"))]
    with connect(db_settings) as c:
        staff_store.upsert_staff(c, records=records)
        c.commit()
        ids = {r.staff_code: staff_store.get_staff(c, staff_code=r.staff_code)["id"] for r in records}
    yield ids
    with connect(db_settings) as c:
        c.execute("UPDATE staff SET active = false WHERE staff_code IN ('JR1', 'JR2', 'JR3')")
        c.commit()


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


def test_an_operators_shift(browser: Browser, base_url: str, db_settings: DatabaseSettings,
                            crew: dict[str, int]) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    make_person(db_settings, "journey-op", "operator", display="韩值班")
    make_person(db_settings, "journey-field", "field", staff_code="JR2", display="冯民警")
    feeder = {"Authorization": f"Bearer {make_token(db_settings, 'journey-feed', 'operator')}"}
    field = {"Authorization": f"Bearer {make_token(db_settings, 'journey-field', 'field', staff_code='JR2')}"}
    with httpx.Client(base_url=base_url, timeout=60) as api:
        key = uuid.uuid4().hex
        for _ in range(360):  # the live server loads its locate index in the background (503 until then)
            earlier = api.post("/api/v1/cases", headers={"Idempotency-Key": key, **feeder}, json={
                "category": "0201", "source_channel": "hotline_12345", "description": "楼上装修噪音扰民",
                "lon": POINT[0], "lat": POINT[1], "parties": [{"name": "陈重复", "phone": "13800138000"}]})
            if earlier.status_code != 503:
                break
            time.sleep(0.5)
        assert earlier.status_code == 201, earlier.text
        case_a = earlier.json()
        # The hotspot weights are built by the first request in tests (servers build them at start): build them
        # now, so the console's hotspot layer does not keep the two-core test machine busy during the journey.
        assert api.get("/api/v1/hotspots", params={"tier": "grid"}, headers=feeder, timeout=600).status_code == 200
        ctx = browser.new_context(viewport={"width": 1360, "height": 860}, bypass_csp=True)
        page = ctx.new_page()
        page.set_default_timeout(90_000)  # a loaded machine: steps wait longer, none is skipped
        errors = page_errors(page)
        refused: list[str] = []
        page.on("response", lambda r: refused.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        try:
            shift(page, api, base_url, feeder, field, crew, case_a)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "journey-failure.png"))  # what the operator saw when it broke
            print("page errors:", errors, "refused:", refused)
            print("state:", page.evaluate("(() => { const s = window.fengqiaoConsole.state; return JSON.stringify({tab:"
                                          " s.tab, selected: s.selected, notes: s.notes.map((n) => n.text)}); })()"))
            print("window errors:", page.evaluate("JSON.stringify(window.__errs)"))
            print("render:", page.evaluate("""(async () => {
                const v = await import('/static/console/view.js');
                const m = await import('/static/console/panels/case.js');
                const d = document.createElement('div');
                try { v.render(v.html`<${m.CasePanel} state=${window.fengqiaoConsole.state} />`, d);
                      return 'OK ' + d.innerHTML.slice(0, 300); } catch (e) { return 'ERR ' + e.stack; } })()"""))
            print("fetch:", page.evaluate("Promise.race([fetch('/api/v1/cases/" + str(case_a["id"]) + "')"
                                          ".then((r) => r.status), new Promise((r) => setTimeout(() => r('timeout'),"
                                          " 20000))])"))
            raise
        assert errors == []
        ctx.close()


def shift(page: Page, api: httpx.Client, base_url: str, feeder: dict[str, str], field: dict[str, str],
          crew: dict[str, int], case_a: dict[str, Any]) -> None:
    """The operator's part of the journey, in one signed-in page."""
    sign_in(page, base_url, "journey-op")
    page.wait_for_selector("#live.on")
    page.evaluate("window.__errs = []; window.addEventListener('error', (e) => __errs.push(String(e.error"
                  " && e.error.stack || e.message))); window.addEventListener('unhandledrejection', (e) =>"
                  " __errs.push(String(e.reason && e.reason.stack || e.reason)))")
    assert page.is_visible("#bell") and page.text_content("#bell-count") == "0"
    # 1. One search box: the phone number finds the case and opens it.
    page.fill("#search", "138 0013 8000")
    page.press("#search", "Enter")
    # A single hit opens the case at once (the list had it as its only row).
    page.wait_for_function(f"document.getElementById('case-no')?.textContent === '{case_a['case_no']}'")
    page.wait_for_function("document.querySelector('.selected-case') !== null")  # the map rings the case
    page.screenshot(path=str(ARTIFACTS / "journey-search.png"))
    # 2. Clicking the map with the 案件 layer on: elsewhere locates, on the case opens it.
    assert page.evaluate("window.fengqiaoConsole.map.hasLayer(window.fengqiaoConsole.overlays['案件'])")
    page.evaluate(f"window.fengqiaoConsole.map.setView([{POINT[1]}, {POINT[0]}], 17)")
    page.wait_for_timeout(600)
    click_map_at(page, *ELSEWHERE)
    page.wait_for_selector("#info dl.chain")
    assert "坪湾社区第7网格" in (page.text_content("#info") or "")
    page.click("button[data-tab=cases]")
    click_map_at(page, *POINT)
    page.wait_for_function("document.querySelector('button[data-tab=case]').classList.contains('on')")
    assert page.text_content("#case-no") == case_a["case_no"]
    # 3. Register a case there: before saving, the earlier case is offered as a possible duplicate.
    click_map_at(page, *ELSEWHERE)
    page.wait_for_selector("#case-form")
    page.select_option("#case-category", "0201")
    page.fill("#case-description", "装修噪音，再次来电")
    page.click("#add-party")
    page.fill(".party-name", "陈重复")
    page.fill(".party-phone", "13800138000")
    page.wait_for_selector(f"#duplicates li[data-case='{case_a['id']}']")
    hint = page.text_content("#duplicates") or ""
    assert case_a["case_no"] in hint and "同一电话" in hint and "附近同类同名当事人" in hint
    page.screenshot(path=str(ARTIFACTS / "journey-duplicate.png"))
    page.click("#case-submit")
    page.wait_for_selector("#created a")
    page.click("#created a")
    page.wait_for_selector("#case-no")
    page.wait_for_function(f"document.getElementById('case-no').textContent !== '{case_a['case_no']}'")
    case_b_no = page.text_content("#case-no") or ""
    # 4. A lead and two assistants in one action.
    page.click("#recommend")
    for code, pick in (("JR1", "lead"), ("JR2", "assist"), ("JR3", "assist")):
        page.wait_for_selector(f"li[data-staff='{crew[code]}'] select.pick")
        page.select_option(f"li[data-staff='{crew[code]}'] select.pick", pick)
    page.click("#send-dispatch")
    page.wait_for_function("document.querySelectorAll('#orders li').length >= 3")
    orders_text = page.text_content("#orders") or ""
    assert all(name in orders_text for name in ("郑调解", "冯民警", "褚律师"))
    case_b = api.get("/api/v1/cases", params={"search": case_b_no}, headers=feeder).json()["items"][0]
    # 5. The police officer declines on their phone: the operator's bell rings with it.
    order = next(o for o in api.get(f"/api/v1/cases/{case_b['id']}/dispatches", headers=feeder).json()["orders"]
                 if o["staff_code"] == "JR2")
    declined = api.patch(f"/api/v1/dispatches/{order['id']}", headers=field,
                         json={"status": "declined", "reason": "正在处置另一警情"})
    assert declined.status_code == 200, declined.text
    page.wait_for_function("Number(document.getElementById('bell-count').textContent) >= 1", timeout=20_000)
    page.click("#bell")
    page.wait_for_selector("#notices li.notice.unread")
    notice = page.text_content("#notices li.notice.unread") or ""
    assert f"冯民警（协办）拒单：{case_b_no}" in notice and "正在处置另一警情" in notice and "拒单" in notice
    page.screenshot(path=str(ARTIFACTS / "journey-notification.png"))
    page.click("#notices li.notice.unread a")
    page.wait_for_function("document.getElementById('bell-count').textContent === '0'")
    page.click("#bell")  # close the list
    # 6. Round the loop and close: the lead's and the other assistant's orders end; the decline stays.
    page.wait_for_function(f"document.getElementById('case-no').textContent === '{case_b_no}'")
    page.wait_for_function("document.getElementById('case-status').textContent === '已分流'")
    act(page, "accept")
    act(page, "resolve", note="双方达成协议")
    act(page, "follow_up")
    act(page, "evaluate", satisfaction=5)
    act(page, "close")
    page.wait_for_function("document.getElementById('case-status').textContent === '已结案'")
    page.wait_for_function("(document.getElementById('orders')?.textContent || '').split('已撤销').length === 3")
    assert "已拒单" in (page.text_content("#orders") or "")
    page.screenshot(path=str(ARTIFACTS / "journey-closed.png"))
    ended = api.get(f"/api/v1/cases/{case_b['id']}/dispatches", headers=feeder).json()["orders"]
    assert sorted((o["staff_code"], o["status"]) for o in ended) == [
        ("JR1", "cancelled"), ("JR2", "declined"), ("JR3", "cancelled")]
