"""The supervisor's week in the workspace, signed in at /login as people do: the risk map drawn over the tiles,
a drill-down from a town to the cases behind a number, the forecast layer, a 考核 league table and its Excel
download checked against the API, the overdue board, and last week's 周报 PDF with its forecast section.
Screenshots and a rendered PDF page in var/artifacts/."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page

from gis.cases.book import load_rules
from gis.sample.cases import HistorySpec
from gis.sample.load_cases import load_sample_cases
from gis.settings import DatabaseSettings
from gis.storage.pool import connect
from tests.browser_support import chromium, live_server, make_person, page_errors, sign_in
from tests.test_console_browser import ARTIFACTS

pytestmark = pytest.mark.browser


def china_today() -> date:
    return (datetime.now(UTC) + timedelta(hours=8)).date()


def last_week() -> str:
    year, week, _ = (china_today() - timedelta(days=7)).isocalendar()
    return f"{year}-W{week:02d}"


@pytest.fixture(scope="module")
def recent_history(db_settings: DatabaseSettings) -> Iterator[datetime]:
    """Sixteen weeks of sample cases up to today (China time), removed after the module."""
    start = datetime.now(UTC) - timedelta(days=113)
    with connect(db_settings) as conn:
        load_sample_cases(conn, rules=load_rules(), spec=HistorySpec(until=china_today(), days=112, scale=0.3),
                          credit_staff=False)
        conn.commit()
    yield start
    with connect(db_settings) as conn:
        conn.execute("DELETE FROM cases c USING users u WHERE u.id = c.created_by AND u.username = 'sample'"
                     " AND c.created_at >= %s", (start,))
        conn.commit()


def painted_pixels(page: Page) -> int:
    """Pixels drawn on the map's overlay canvas (the hotspot polygons): zero means a blank map."""
    return int(page.evaluate("""() => {
        const c = document.querySelector('#ws-map .leaflet-overlay-pane canvas');
        if (!c) return 0;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 16) if (d[i] > 0) n++; return n; }"""))


def test_a_supervisors_week_in_the_workspace(db_settings: DatabaseSettings, recent_history: datetime,
                                             tmp_path: Path) -> None:
    make_person(db_settings, "ws-sup", "supervisor", display="李督导")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with live_server(db_settings) as base_url, chromium() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(300_000)  # the county's grid analysis on a busy two-core machine
        errors = page_errors(page)
        sign_in(page, base_url, "ws-sup")
        assert page.url == base_url + "/maps/workspace"  # the supervisor's landing page

        # The map: the town tier of last week drawn over the boundary tiles, names from the tiles.
        page.wait_for_selector("#ws-map[data-drawn='17']")
        page.wait_for_selector("#ws-map .leaflet-tile-container canvas, #ws-map .leaflet-tile-loaded",
                               state="attached")
        page.wait_for_timeout(1500)
        assert painted_pixels(page) > 1000
        assert page.locator("#ws-units tbody tr").count() == 17
        assert "红色（高风险）" in page.inner_text("#ws-legend")
        page.click("#ws-method summary")
        assert "相邻" in page.inner_text("#ws-method-text")
        page.screenshot(path=str(ARTIFACTS / "workspace-map.png"))
        week_label = page.inner_text("#ws-week-label")
        assert week_label.startswith(last_week())

        # Drill down: a town, one of its villages, a grid with cases, the cases behind its number.
        town = page.locator("#ws-units a.drill").first
        town_name = town.inner_text()
        town.click()
        page.wait_for_selector(f"#ws-crumbs a:has-text('{town_name}')")
        page.wait_for_selector("#ws-units h3:has-text('各村')")
        page.locator("#ws-units a.drill").first.click()
        page.wait_for_selector("#ws-units h3:has-text('各网格')")
        grid_count = page.locator("#ws-units a.cases").first
        expected = int(grid_count.inner_text())
        grid_count.click()
        page.wait_for_selector("#ws-case-table tbody tr")
        assert page.locator("#ws-case-table tbody tr").count() == expected
        first_case = page.locator("#ws-case-table a.case-link").first.get_attribute("href") or ""
        assert first_case.startswith("/#case=")
        page.screenshot(path=str(ARTIFACTS / "workspace-drill-cases.png"))

        # The forecast layer: rising-trend alerts and next week's expected cases, on and off.
        page.check("#ws-forecast")
        page.wait_for_selector("#ws-forecast-top li")
        panel = page.inner_text("#ws-forecast-panel")
        assert "预警：上升趋势" in panel and "下周（" in panel
        page.wait_for_timeout(800)
        page.screenshot(path=str(ARTIFACTS / "workspace-forecast.png"))
        page.uncheck("#ws-forecast")
        assert page.locator("#ws-forecast-panel").is_hidden()

        # A 考核 league table of the towns: sorted by rank, definitions on hover, Excel equal to the API.
        page.click("#tabs .tab[data-tab=league]")
        page.wait_for_selector("#league tbody tr")
        assert "按期办结率" in (page.get_attribute("#league th[data-figure=on_time_rate]", "title") or "")
        ranks = page.locator("#league tbody tr:not(.unranked) td:first-child").all_inner_texts()
        assert ranks and [int(r) for r in ranks] == sorted(int(r) for r in ranks)
        page.screenshot(path=str(ARTIFACTS / "workspace-league.png"), full_page=True)
        with page.expect_download() as caught:
            page.click("#league-xlsx")
        saved = tmp_path / caught.value.suggested_filename
        caught.value.save_as(saved)
        answer = page.request.get(base_url + "/api/v1/stats/units?tier=town&rank_by=on_time_rate&since=30d").json()

        # The overdue board: pickers by name, case numbers that open the case, Chinese statuses.
        page.click("#tabs .tab[data-tab=board]")
        page.wait_for_selector("#board-summary:has-text('件')")
        towns = page.locator("#board-form select[name=town] option").all_inner_texts()
        assert len(towns) == 18 and town_name in towns
        page.screenshot(path=str(ARTIFACTS / "workspace-board.png"))

        # Last week's 周报.
        page.click("#tabs .tab[data-tab=report]")
        assert page.input_value("#report-week") == last_week()
        page.screenshot(path=str(ARTIFACTS / "workspace-report.png"))
        with page.expect_download() as caught:
            page.click("#report-link")
        pdf = tmp_path / "briefing.pdf"
        caught.value.save_as(pdf)
        assert errors == []
        context.close()

    wb = load_workbook(io.BytesIO(saved.read_bytes()), read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    head, body = rows[0], rows[1:]
    assert head[:4] == ("单位代码", "名称", "名次", "上期名次")
    received = head.index("受理数")
    assert [(r[1], r[2], r[received]) for r in body] == [
        (u["name"], u["rank"], u["received"]) for u in answer["units"]]
    assert len(body) == 17

    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "矛盾纠纷风险研判周报" in text and last_week() in text
    assert "五、下周预测与上升预警" in text and "（二）上升预警" in text
    subprocess.run(["pdftoppm", "-r", "70", "-png", "-f", "1", "-l", "1", str(pdf), str(ARTIFACTS / "workspace-pdf")],
                   check=True, capture_output=True)
    subprocess.run(["pdftoppm", "-r", "70", "-png", "-f", "4", "-l", "4", str(pdf), str(ARTIFACTS / "workspace-pdf")],
                   check=True, capture_output=True)
