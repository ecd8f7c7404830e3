"""The supervisor plans the mediation van's day in the browser, signed in through the /login form.

A recent history is loaded (scale 0.2, the last 120 days with the sample's stories); the supervisor opens the
van page from the workspace's header, plans a day for land disputes and sees the route drawn and the
timetable. Screenshot in var/artifacts/van.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from gis.cases.book import load_rules
from gis.sample.cases import HistorySpec
from gis.sample.load_cases import load_sample_cases
from gis.settings import DatabaseSettings
from gis.storage.pool import connect
from tests.browser_support import chromium, live_server, make_person, page_errors, sign_in

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "artifacts"


@pytest.fixture(scope="module")
def recent_history(db_settings: DatabaseSettings) -> Iterator[int]:
    until = date.today() - timedelta(days=1)
    with connect(db_settings) as conn:
        loaded = load_sample_cases(conn, rules=load_rules(), spec=HistorySpec(until=until, days=120, scale=0.2),
                                   credit_staff=False)
        conn.commit()
    yield loaded.cases
    with connect(db_settings) as conn:
        conn.execute("DELETE FROM cases c USING users u WHERE u.id = c.created_by AND u.username = 'sample'"
                     " AND c.created_at >= %s", (until - timedelta(days=121),))
        conn.commit()


@pytest.fixture(scope="module")
def base_url(db_settings: DatabaseSettings, recent_history: int) -> Iterator[str]:
    with live_server(db_settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def test_supervisor_plans_the_vans_day(base_url: str, browser: Browser, db_settings: DatabaseSettings,
                                       recent_history: int) -> None:
    assert recent_history > 1000
    make_person(db_settings, "van-sup", "supervisor", display="赵研判")
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors = page_errors(page)
    sign_in(page, base_url, "van-sup")  # a supervisor lands on the workspace and follows its link
    page.wait_for_url("**/maps/workspace")
    page.click("header a[href='/maps/van']")
    page.wait_for_url("**/maps/van")
    page.wait_for_selector("select[name=category] option[value='0303']", state="attached")
    page.select_option("select[name=category]", "03")
    page.fill("input[name=visit_minutes]", "45")
    page.click("#plan-form button[type=submit]")
    page.wait_for_selector("#stops tbody tr:nth-child(2)", timeout=180_000)  # a cold forecast takes seconds
    title = page.text_content("#plan-title") or ""
    assert "调解车路线" in title and "土地" in title
    rows = page.query_selector_all("#stops tbody tr")
    assert 3 <= len(rows) <= 16  # the stops and the way back
    assert (rows[-1].text_content() or "").startswith("—返回")
    summary = page.text_content("#plan-summary") or ""
    assert "每村停留 45 分钟" in summary and "公里" in summary
    assert page.locator("#map .stop-label").count() == len(rows) - 1
    assert page.locator("#map path.leaflet-interactive").count() >= 1  # the route line
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "van.png"))
    page.select_option("select[name=mode]", "foot")
    page.fill("input[name=end]", "08:40")  # ten minutes: no village fits
    page.click("#plan-form button[type=submit]")
    page.locator("#status", has_text="没有可排入").wait_for()
    assert errors == []
    page.close()
