"""The administrator and the auditor in the browser, signed in through the /login form as people do.

The administrator creates a field account bound to a town and a staff member picked from the lists, disables it,
resets a password and revokes a phone's device sign-in; the auditor searches the log, verifies the chain and
exports CSV. Screenshots in var/artifacts/.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

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
    sign_in,
)

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "artifacts"
TOWN = "449901001000"  # 隆联街道


@pytest.fixture(scope="module")
def base_url(db_settings: DatabaseSettings) -> Iterator[str]:
    with live_server(db_settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def roster(db_settings: DatabaseSettings) -> Iterator[None]:
    with connect(db_settings) as c:
        staff_store.upsert_staff(c, records=[
            StaffRecord(staff_code="ADMBR1", name="孙网格", role="grid_worker", skills=("02",), territory=(),
                        home_lon=114.6301, home_lat=24.1301, capacity=3),
            StaffRecord(staff_code="ADMBR2", name="林调解", role="mediator", skills=("02",), territory=(),
                        home_lon=114.6311, home_lat=24.1311, capacity=3)])
        c.commit()
    yield
    with connect(db_settings) as c:
        c.execute("UPDATE staff SET active = false WHERE staff_code IN ('ADMBR1', 'ADMBR2')")
        c.commit()


def test_the_administrator_manages_accounts_and_device_sign_ins(browser: Browser, base_url: str, roster: None,
                                                                db_settings: DatabaseSettings) -> None:
    make_person(db_settings, "adm-admin", "admin", display="郑管理")
    phone_id = make_person(db_settings, "adm-phone", "field", staff_code="ADMBR2", display="林调解")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_context(viewport={"width": 1360, "height": 1000}).new_page()
    errors = page_errors(page)
    phone = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True).new_page()
    try:
        sign_in(page, base_url, "adm-admin")
        page.wait_for_url(base_url + "/")
        # The console issues a phone's sign-in link; the phone signs in with it.
        open_device_link(phone, issue_device_link(page, phone_id, label="林调解的手机"))
        page.click("a.role-link[href='/admin/users']")
        page.wait_for_url("**/admin/users")
        page.wait_for_selector("body[data-ready='1']")
        assert page.text_content("#who") == "郑管理 · 系统管理员 · 全县"

        page.fill("#new-username", "adm-new-field")
        page.fill("#new-display", "孙网格")
        page.select_option("#new-role", "field")
        page.select_option("#new-town", label="隆联街道（449901001000）")
        page.select_option("#new-staff", "ADMBR1")
        assert page.text_content("#new-staff option[value='ADMBR2']") == "林调解（ADMBR2，调解员，已关联 adm-phone）"
        page.fill("#new-password", "New-field-horse-5")
        page.click("#create-submit")
        page.wait_for_selector("#create-msg.ok")
        assert page.text_content("#create-msg") == "已创建用户 adm-new-field（一线工作人员，隆联街道（449901001000））"
        page.wait_for_selector("#link-table tr[data-user='adm-new-field']")
        row = page.locator("#user-table tr[data-user='adm-new-field'] td")
        assert row.all_text_contents()[:6] == ["adm-new-field", "孙网格", "一线工作人员", "隆联街道（449901001000）",
                                               "孙网格（ADMBR1）", "正常"]
        link = page.locator("#link-table tr[data-user='adm-new-field'] td").all_text_contents()
        assert link[:6] == ["adm-new-field", "孙网格", "ADMBR1", "孙网格", "网格员", "隆联街道（449901001000）"]
        page.screenshot(path=str(ARTIFACTS / "admin-created.png"), full_page=True)

        page.click("#user-table tr[data-user='adm-new-field'] button.disable")
        page.wait_for_selector("#user-table tr[data-user='adm-new-field'] button.enable")
        assert page.text_content("#users-msg") == "已停用用户 adm-new-field，其登录已全部结束"
        assert row.nth(5).text_content() == "已停用"

        page.select_option("#reset-user", label="adm-new-field（孙网格）")
        page.fill("#reset-password", "Reset-field-horse-6")
        page.click("#reset-submit")
        page.wait_for_selector("#reset-msg.ok")
        assert page.text_content("#reset-msg") == "已重置 adm-new-field（孙网格） 的密码，其原有登录已全部失效"

        device = page.locator("#session-table tr[data-user='adm-phone'][data-kind='device']")
        device.wait_for()
        assert device.locator("td").all_text_contents()[:4] == ["adm-phone（林调解）", "一线工作人员", "设备（扫码）",
                                                                 "林调解的手机"]
        mine = page.locator("#session-table tr[data-user='adm-admin'][data-kind='browser'] td")
        assert mine.nth(2).text_content() == "浏览器"
        page.screenshot(path=str(ARTIFACTS / "admin-sessions.png"), full_page=True)
        assert phone.request.get(base_url + "/api/v1/auth/me").status == 200
        device.locator("button.revoke").click()
        device.wait_for(state="detached")
        assert page.text_content("#sessions-msg") == "已撤销 adm-phone 的设备登录（林调解的手机）"
        # The phone is signed out at once: its next request goes to the sign-in page.
        assert phone.request.get(base_url + "/api/v1/auth/me").status == 401
        assert errors == []
    finally:
        page.context.close()
        phone.context.close()


def test_the_auditor_searches_verifies_and_exports(browser: Browser, base_url: str,
                                                   db_settings: DatabaseSettings) -> None:
    make_person(db_settings, "adm-auditor", "auditor", display="冯审计")
    page = browser.new_context(viewport={"width": 1360, "height": 1000}, accept_downloads=True).new_page()
    errors = page_errors(page)
    try:
        sign_in(page, base_url, "adm-auditor", password="Not-the-password-1")  # one refused sign-in first
        page.wait_for_url("**/login?error=invalid_credentials")
        sign_in(page, base_url, "adm-auditor")
        page.wait_for_url("**/audit")  # auditors land on their page
        page.wait_for_selector("body[data-ready='1']")
        assert page.text_content("#who") == "冯审计 · 安全审计员 · 全县"

        page.fill("#f-action", "auth.")
        page.select_option("#f-result", "refused")
        page.click("#search-run")
        page.wait_for_selector("#summary:has-text('共 ')")
        rows = [page.locator("#log tbody tr").nth(i).locator("td").all_text_contents()
                for i in range(page.locator("#log tbody tr").count())]
        # A refused sign-in names the account it tried (the row has no signed-in user).
        assert ["（未登录）", "登录（auth.sign_in）", "user adm-auditor", "被拒绝"] in [
            [r[1], r[2], r[3], r[5]] for r in rows]
        assert {r[5] for r in rows} == {"被拒绝"}

        page.click("#verify-run")
        page.wait_for_selector("#verify-summary:not(:has-text('正在校验'))")
        summary = page.text_content("#verify-summary") or ""
        assert summary.startswith("校验通过：日志链完整，未发现修改、删除或截断。 已核对 "), summary
        page.screenshot(path=str(ARTIFACTS / "audit-page.png"), full_page=True)

        with page.expect_download() as info:
            page.click("#export")
        download = info.value
        assert download.suggested_filename == "audit-log.csv"
        text = Path(download.path()).read_text(encoding="utf-8")
        table = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
        assert table[0] == ["时间", "用户", "操作", "对象类型", "对象", "来源地址", "结果", "链序号", "详情"]
        assert ("", "auth.sign_in", "user", "adm-auditor", "refused") in [tuple(r[1:5] + [r[6]]) for r in table[1:]]
        assert {(r[2].split(".")[0], r[6]) for r in table[1:]} == {("auth", "refused")}
        assert len(table) - 1 == int((page.text_content("#summary") or "").split()[1])
        assert errors == []
    finally:
        page.context.close()
