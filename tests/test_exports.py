"""Downloads (CSV with BOM, Excel via openpyxl) with Chinese headers, and 考核 league tables, over a hand-made week.

The week 2019-03-04..10 (Beijing time) holds cases of three towns with literal answers:

- 永合镇 (TOWN): 6 resolved, 4 on time (0.666667); the week before 5 resolved, all on time;
- 隆联街道 (SMALL): 2 resolved, both late (0.0): the lowest rate, but under the minimum of 5: not ranked;
- a third town (OTHER): 5 resolved, all on time (1.0); the week before 5 resolved, 3 on time (0.6).

So on on_time_rate: OTHER ranks 1 (was 2), TOWN ranks 2 (was 1), SMALL has no rank; the weekly "lowest on
time" list names TOWN only. A pending 永合镇 case long past due, titled like a formula, sits on the overdue board.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from gis.export_tables import FIELD_NAMES, csv_bytes, header, parse_format, table, xlsx_bytes
from gis.hotspots.kpi import DEFINITIONS, FIGURES, LeagueRules, league, load_league_rules, rankable
from gis.settings import DatabaseSettings
from gis.storage.pool import connect
from tests.browser_support import chromium, live_server, make_person, page_errors, sign_in
from tests.conftest import make_token
from tests.test_console_browser import ARTIFACTS

TOWN = "449901110000"  # 永合镇
SMALL = "449901001000"  # 隆联街道
WINDOW = "since=2019-03-04&until=2019-03-11"
NOW = datetime(2019, 3, 5, 2, tzinfo=UTC)  # inside the week
BEFORE = datetime(2019, 2, 26, 2, tzinfo=UTC)  # inside the week before
H = timedelta(hours=1)
FORMULA = "=cmd|' /C calc'!A0"
HEADERS = ("代码", "名称", "案件数", "按期办结率", "按期办结率较上期变化", "办理期限", "是否超期", "风险等级")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# -- the helper on its own ----------------------------------------------------------------------------------

ROWS = [{"code": "T1", "name": FORMULA, "count": 7, "on_time_rate": 0.5, "on_time_rate_change": -0.25,
         "due_at": datetime(2026, 1, 1, 16, 30, tzinfo=UTC), "overdue": True, "level_label": "红色（高风险）"},
        {"code": "T2", "name": "@SUM(1)\x01", "count": -3, "on_time_rate": None}]


def test_csv_has_a_bom_chinese_headers_and_escaped_cells() -> None:
    data = csv_bytes(table("样表", ROWS))
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8").removeprefix("\ufeff"))))
    assert rows[0] == list(HEADERS)
    assert rows[1] == ["T1", "'" + FORMULA, "7", "0.5", "-0.25", "2026-01-02 00:30", "是", "红色（高风险）"]
    assert rows[2] == ["T2", "'@SUM(1)", "-3", "", "", "", "", ""]  # control character dropped, then escaped


def test_xlsx_has_a_bold_frozen_chinese_header_numbers_and_escaped_text() -> None:
    book = load_workbook(io.BytesIO(xlsx_bytes(table("样表", ROWS), table("第二[表]", []))))
    assert book.sheetnames == ["样表", "第二_表_"]
    sheet = book["样表"]
    assert sheet.freeze_panes == "A2" and all(c.font.b for c in sheet[1])
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == HEADERS
    assert values[1] == ("T1", "'" + FORMULA, 7, 0.5, -0.25, datetime(2026, 1, 2, 0, 30), "是", "红色（高风险）")
    assert values[2] == ("T2", "'@SUM(1)", -3, None, None, None, None, None)
    assert sheet["B2"].data_type == "s" and sheet["D2"].number_format == "0.0%"
    assert book["第二_表_"].max_row == 1  # the header row alone


def test_headers_come_from_one_place() -> None:
    assert header("on_time_rate") == "按期办结率" and header("received_prev") == "上期受理数"
    assert header("closure_rate_change") == "化解率（办结率）较上期变化" and header("level_label") == "风险等级"
    assert header("count") == "案件数" and header("no_such_field") == "no_such_field"
    assert set(FIGURES) <= set(FIELD_NAMES) and set(FIGURES) <= set(DEFINITIONS)
    with pytest.raises(ValueError) as caught:
        parse_format("pdf")
    assert getattr(caught.value, "reason", "") == "unknown_export_format"


def test_league_ranks_best_first_and_leaves_small_units_unranked() -> None:
    rows = [{"unit": "A", "resolved": 6, "on_time_rate": 0.666667, "resolved_prev": 5, "on_time_rate_prev": 1.0},
            {"unit": "B", "resolved": 2, "on_time_rate": 0.0},
            {"unit": "C", "resolved": 5, "on_time_rate": 1.0, "resolved_prev": 5, "on_time_rate_prev": 0.6},
            {"unit": "D", "resolved": 9, "on_time_rate": 1.0}]
    ranked = league(rows, figure="on_time_rate", rules=LeagueRules(min_cases=5))
    assert [(r["unit"], r["rank"], r["rank_prev"], r["rank_change"]) for r in ranked] == [
        ("D", 1, None, None), ("C", 1, 2, 1), ("A", 3, 1, -2), ("B", None, None, None)]
    assert [r["unit"] for r in rankable(rows, "on_time_rate", LeagueRules(min_cases=3))] == ["A", "C", "D"]
    hours = league([{"unit": "A", "resolved": 5, "avg_hours": 30.0}, {"unit": "B", "resolved": 5, "avg_hours": 10.0}],
                   figure="avg_hours", rules=LeagueRules(min_cases=5))
    assert [(r["unit"], r["rank"]) for r in hours] == [("B", 1), ("A", 2)]  # fewer hours is better
    assert load_league_rules().min_cases == 5


# -- the routes over the hand-made week ---------------------------------------------------------------------

def _add(conn: Any, gen: int, user: int, place: tuple[str, str, str], created: datetime, resolve_h: float | None,
         due_h: float, *, status: str = "closed", title: str = "", warning: str = "none") -> int:
    grid, village, town = place
    row = conn.execute(
        "INSERT INTO cases (status, grid_code, village_code, town_code, county_code, generation_id, located_by,"
        " category_code, source_channel, title, description, severity, handling_tier, handling_unit, due_at,"
        " warning_level, created_at, created_by) VALUES (%s, %s, %s, %s, '449901', %s, 'grid_code', '0303',"
        " 'walk_in', %s, '导出测试', 'medium', 3, '测试调委会', %s, %s, %s, %s) RETURNING id",
        (status, grid, village, town, gen, title, created + due_h * H, warning, created, user)).fetchone()
    case_id = int(row[0])
    conn.execute("INSERT INTO case_transitions (case_id, action, to_state, actor_name, at)"
                 " VALUES (%s, 'register', 'registered', 't', %s)", (case_id, created))
    if resolve_h is not None:
        conn.execute("INSERT INTO case_transitions (case_id, action, to_state, actor_name, at)"
                     " VALUES (%s, 'resolve', 'resolved', 't', %s)", (case_id, created + resolve_h * H))
    return case_id


@pytest.fixture(scope="module")
def week(db_settings: DatabaseSettings) -> Iterator[dict[str, Any]]:
    """The hand-made cases (committed), removed after the module."""
    with connect(db_settings) as conn:
        gen = int(conn.execute("SELECT id FROM generations WHERE is_active").fetchone()[0])  # type: ignore[index]
        towns = {str(c): str(n) for c, n in conn.execute(
            "SELECT code, name FROM areas WHERE generation_id = %s AND tier = 2 ORDER BY code", (gen,))}
        other = next(c for c in towns if c not in (TOWN, SMALL))

        def place(town: str) -> tuple[str, str, str]:
            row = conn.execute(
                "SELECT g.code, v.code FROM areas g JOIN areas v ON v.id = g.parent_id"
                " JOIN areas t ON t.id = v.parent_id"
                " WHERE g.generation_id = %s AND g.tier = 4 AND t.code = %s ORDER BY g.code LIMIT 1",
                (gen, town)).fetchone()
            return str(row[0]), str(row[1]), town  # type: ignore[index]

        user = int(conn.execute("INSERT INTO users (username, role) VALUES ('export-week', 'operator')"
                                " ON CONFLICT (username) DO UPDATE SET role = 'operator' RETURNING id").fetchone()[0])  # type: ignore[index]
        staff = int(conn.execute("INSERT INTO staff (staff_code, name, role) VALUES ('EXPW1', '导出测试员', 'mediator')"
                                 " RETURNING id").fetchone()[0])  # type: ignore[index]
        conn.execute("SELECT fq_sync_staff_slots()")
        a, b, c = place(TOWN), place(SMALL), place(other)
        led = []
        for i, late in enumerate([False] * 4 + [True] * 2):  # 永合镇: 4 of 6 on time
            led.append(_add(conn, gen, user, a, NOW + i * H, 10, 5 if late else 48))
        for i in range(5):  # 永合镇 the week before: 5 of 5 on time
            _add(conn, gen, user, a, BEFORE + i * H, 10, 48)
        for i in range(2):  # 隆联街道: 2 late
            _add(conn, gen, user, b, NOW + i * H, 10, 5)
        for i in range(5):  # the third town: 5 of 5 on time; the week before 3 of 5
            _add(conn, gen, user, c, NOW + i * H, 10, 48)
            _add(conn, gen, user, c, BEFORE + i * H, 10, 48 if i < 3 else 5)
        pending = _add(conn, gen, user, a, datetime(2019, 1, 7, 2, tzinfo=UTC), None, 72, status="handling",
                       title=FORMULA, warning="red")
        conn.execute("INSERT INTO case_supervisions (case_id, level, reason, handling_tier, at)"
                     " VALUES (%s, 'red', '已超期', 3, %s)", (pending, datetime(2019, 1, 10, 2, tzinfo=UTC)))
        for case_id in led:
            conn.execute("INSERT INTO dispatch_orders (case_id, staff_id, slot, role, status, dispatched_at)"
                         " VALUES (%s, %s, 1, 'lead', 'completed', %s)", (case_id, staff, NOW))
        conn.commit()
    yield {"other": other, "towns": towns, "pending": pending}
    with connect(db_settings) as conn:
        conn.execute("DELETE FROM dispatch_orders WHERE staff_id = %s", (staff,))
        conn.execute("DELETE FROM cases WHERE created_by = %s", (user,))
        conn.execute("UPDATE staff SET active = false WHERE id = %s", (staff,))
        conn.commit()


@pytest.fixture(scope="module")
def county(db_settings: DatabaseSettings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db_settings, 'export-county', 'supervisor')}"}


@pytest.fixture(scope="module")
def town_user(db_settings: DatabaseSettings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db_settings, 'export-town', 'supervisor', TOWN)}"}


def _sheet(content: bytes) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return rows[0], rows[1:]


def _csv(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_league_table_json_and_xlsx_agree_with_literal_answers(app_client: TestClient, county: dict[str, str],
                                                                week: dict[str, Any]) -> None:
    path = f"/api/v1/stats/units?tier=town&rank_by=on_time_rate&{WINDOW}"
    body = app_client.get(path, headers=county).json()
    by_unit = {r["unit"]: r for r in body["units"]}
    mine, small, other = by_unit[TOWN], by_unit[SMALL], by_unit[week["other"]]
    assert (mine["received"], mine["resolved"], mine["on_time_rate"]) == (6, 6, 0.666667)
    assert (mine["rank"], mine["rank_prev"], mine["rank_change"]) == (2, 1, -1)
    assert (other["on_time_rate"], other["rank"], other["rank_prev"], other["rank_change"]) == (1.0, 1, 2, 1)
    assert (small["on_time_rate"], small["rank"]) == (0.0, None)  # lowest, but 2 cases: not ranked
    assert [r["unit"] for r in body["units"]] == [week["other"], TOWN, SMALL]
    assert body["league"] == {"by": "on_time_rate", "basis": "resolved", "min_cases": 5, "ranked": True,
                              "order": "descending"}
    assert body["definitions"]["on_time_rate"].startswith("按期办结率：") and "5 件" in body["definitions"]["rank"]
    assert body["labels"]["rank"] == "名次" and body["labels"]["on_time_rate_change"] == "按期办结率较上期变化"

    r = app_client.get(path + "&format=xlsx", headers=county)
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    assert "filename*=UTF-8''" in r.headers["content-disposition"]
    head, rows = _sheet(r.content)
    assert head[:6] == ("单位代码", "名称", "名次", "上期名次", "名次变化（正数为上升）", "受理数")
    assert list(head) == [body["labels"][k] for k in body["labels"]]
    table_rows = [dict(zip(body["labels"], row, strict=True)) for row in rows]
    assert len(table_rows) == len(body["units"])
    for got, want in zip(table_rows, body["units"], strict=True):
        assert got == {k: want.get(k) for k in body["labels"]}  # the very numbers of the JSON route
    assert table_rows[1]["name"] == "永合镇" and table_rows[1]["on_time_rate"] == 0.666667


def test_units_csv_has_a_bom_and_chinese_headers(app_client: TestClient, county: dict[str, str],
                                                 week: dict[str, Any]) -> None:
    r = app_client.get(f"/api/v1/stats/units?tier=town&format=csv&{WINDOW}", headers=county)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = {row["单位代码"]: row for row in _csv(r.text)}
    assert rows[TOWN]["名称"] == "永合镇" and rows[TOWN]["受理数"] == "6" and rows[TOWN]["按期办结率"] == "0.666667"
    assert rows[SMALL]["按期办结率"] == "0.0" and "名次" not in rows[TOWN]  # no rank_by: no rank column


def test_a_town_users_exports_hold_their_units_only(app_client: TestClient, county: dict[str, str],
                                                    town_user: dict[str, str], week: dict[str, Any]) -> None:
    _, everywhere = _sheet(app_client.get(f"/api/v1/stats/units?tier=village&format=xlsx&{WINDOW}",
                                          headers=county).content)
    assert {str(r[0])[:9] for r in everywhere} >= {TOWN[:9], SMALL[:9]}
    _, villages = _sheet(app_client.get(f"/api/v1/stats/units?tier=village&rank_by=on_time_rate&format=xlsx&{WINDOW}",
                                        headers=town_user).content)
    assert villages and all(str(r[0]).startswith(TOWN[:9]) for r in villages)
    assert villages[0][2] == 1  # ranked among their own villages
    towns = _csv(app_client.get(f"/api/v1/stats/units?tier=town&rank_by=on_time_rate&format=csv&{WINDOW}",
                                headers=town_user).text)
    assert [(t["单位代码"], t["名次"]) for t in towns] == [(TOWN, "")]  # their town, no rank among towns
    hot = _csv(app_client.get(f"/api/v1/hotspots?tier=village&format=csv&{WINDOW}", headers=town_user).text)
    assert hot and all(h["代码"].startswith(TOWN[:9]) for h in hot) and "Gi* z 值" not in hot[0]
    board = _csv(app_client.get("/api/v1/overdue?limit=500&format=csv", headers=town_user).text)
    assert board and {b["乡镇（街道）"] for b in board} == {"永合镇"}


def test_rankings_leave_out_towns_under_the_minimum(app_client: TestClient, county: dict[str, str],
                                                    week: dict[str, Any]) -> None:
    ranks = app_client.get(f"/api/v1/stats/rankings?{WINDOW}", headers=county).json()
    assert ranks["lowest_on_time"] == [{"code": TOWN, "name": "永合镇", "on_time_rate": 0.666667, "resolved": 6}]
    assert ranks["min_cases"] == 5
    book = load_workbook(io.BytesIO(app_client.get(f"/api/v1/stats/rankings?format=xlsx&{WINDOW}",
                                                   headers=county).content))
    assert book.sheetnames == ["红色网格最多的乡镇", "上升最快的网格", "按期办结率最低的乡镇"]
    low = list(book["按期办结率最低的乡镇"].iter_rows(values_only=True))
    assert low == [("榜单", "名次", "代码", "名称", "按期办结率", "办结数"),
                   ("按期办结率最低的乡镇", 1, TOWN, "永合镇", 0.666667, 6)]
    flat = _csv(app_client.get(f"/api/v1/stats/rankings?format=csv&{WINDOW}", headers=county).text)
    assert [r["名称"] for r in flat if r["榜单"] == "按期办结率最低的乡镇"] == ["永合镇"]


def test_staff_and_hotspot_downloads_match_their_json(app_client: TestClient, county: dict[str, str],
                                                      week: dict[str, Any]) -> None:
    staff = app_client.get(f"/api/v1/stats/staff?rank_by=on_time_rate&{WINDOW}", headers=county).json()
    me = next(s for s in staff["staff"] if s["staff_code"] == "EXPW1")
    assert (me["received"], me["on_time_rate"], me["role_label"], me["rank"]) == (6, 0.666667, "调解员", 1)
    head, rows = _sheet(app_client.get(f"/api/v1/stats/staff?rank_by=on_time_rate&format=xlsx&{WINDOW}",
                                       headers=county).content)
    assert head[:4] == ("人员编号", "名称", "岗位", "名次")
    assert [r for r in rows if r[0] == "EXPW1"][0][:7] == ("EXPW1", "导出测试员", "调解员", 1, None, None, 6)
    geo = app_client.get(f"/api/v1/hotspots?tier=town&geometry=false&{WINDOW}", headers=county).json()
    counts = {f["id"]: f["properties"]["count"] for f in geo["features"]}
    assert counts[TOWN] == 6 and counts[SMALL] == 2
    head, rows = _sheet(app_client.get(f"/api/v1/hotspots?tier=town&format=xlsx&{WINDOW}", headers=county).content)
    assert head[:3] == ("代码", "名称", "案件数") and "风险等级" in head
    assert {r[0]: r[2] for r in rows} == counts


def test_overdue_board_and_supervisions_in_chinese_with_names_as_filters(
        app_client: TestClient, county: dict[str, str], week: dict[str, Any]) -> None:
    by_name = app_client.get("/api/v1/overdue?town=永合镇&category=征地拆迁补偿纠纷&tier=村（社区）&limit=500",
                             headers=county).json()
    by_code = app_client.get(f"/api/v1/overdue?town={TOWN}&category=0303&tier=3&limit=500", headers=county).json()
    assert by_name["total"] == by_code["total"] >= 1
    assert [i["id"] for i in by_name["items"]] == [i["id"] for i in by_code["items"]]
    case = next(i for i in by_name["items"] if i["id"] == week["pending"])
    assert (case["status"], case["status_label"], case["town_name"], case["tier_label"]) == (
        "handling", "调处中", "永合镇", "村（社区）")
    assert case["category_name"] == "征地拆迁补偿纠纷" and case["warning_label"] in ("红色预警", "黄色预警", "正常")
    sup = app_client.get("/api/v1/supervisions?town=永合镇&limit=500", headers=county).json()
    record = next(s for s in sup["items"] if s["case_id"] == week["pending"] and s["level"] == "red")
    assert (record["supervision_label"], record["status_label"]) == ("红色督办", "调处中")
    assert record["town_name"] == "永合镇"

    text = app_client.get(f"/api/v1/overdue?town={TOWN}&category=0303&limit=500&format=csv", headers=county).text
    row = next(r for r in _csv(text) if r["标题"].endswith(FORMULA))
    assert row["标题"] == "'" + FORMULA and row["状态"] == "调处中" and row["是否超期"] == "是"
    head, rows = _sheet(app_client.get(f"/api/v1/overdue?town={TOWN}&category=0303&limit=500&format=xlsx",
                                       headers=county).content)
    assert head[:4] == ("案件编号", "标题", "类别", "乡镇（街道）")
    assert "'" + FORMULA in [r[1] for r in rows] and len(rows) == by_code["total"]
    path = "/api/v1/supervisions?town=永合镇&limit=500&format=xlsx"
    _, records = _sheet(app_client.get(path, headers=county).content)
    assert ("红色督办", "已超期") in [(r[1], r[2]) for r in records]


def test_unknown_formats_figures_and_towns_are_refused(app_client: TestClient, county: dict[str, str]) -> None:
    for path, reason in (("/api/v1/stats/units?format=pdf", "unknown_export_format"),
                         ("/api/v1/stats/staff?format=xls", "unknown_export_format"),
                         ("/api/v1/stats/rankings?format=docx", "unknown_export_format"),
                         ("/api/v1/hotspots?format=xls", "unknown_export_format"),
                         ("/api/v1/overdue?format=html", "unknown_export_format"),
                         ("/api/v1/supervisions?format=json5", "unknown_export_format"),
                         ("/api/v1/stats/units?rank_by=luck", "unknown_figure"),
                         ("/api/v1/overdue?town=火星镇", "town_not_found"),
                         ("/api/v1/overdue?category=外星纠纷", "unknown_category"),
                         ("/api/v1/overdue?tier=天庭", "bad_tier")):
        r = app_client.get(path, headers=county)
        assert r.status_code == 422, path
        error = r.json()["error"]
        assert error["reason"] == reason and "\u4e00" <= error["message"][0] <= "\u9fff", (path, error)


@pytest.mark.browser
def test_a_supervisor_downloads_the_board_as_excel_from_the_page(db_settings: DatabaseSettings, week: dict[str, Any],
                                                                  tmp_path: Path) -> None:
    make_person(db_settings, "export-page", "supervisor", display="钱督查")
    with live_server(db_settings) as base_url, chromium() as browser:
        context = browser.new_context(viewport={"width": 1360, "height": 860}, accept_downloads=True)
        page = context.new_page()
        errors = page_errors(page)
        sign_in(page, base_url, "export-page", next_path="/maps/overdue")
        page.wait_for_selector("#summary:has-text('共 ')")
        page.fill("input[name=town]", "永合镇")
        page.fill("input[name=category]", "征地拆迁补偿纠纷")
        page.click("#filters button")
        page.wait_for_selector(f"#board td:has-text('{FORMULA[:4]}')")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "page-overdue-export.png"))
        with page.expect_download() as caught:
            page.click("#export-xlsx")
        saved = tmp_path / caught.value.suggested_filename
        caught.value.save_as(saved)
        answer = page.request.get(base_url + "/api/v1/overdue?town=永合镇&category=征地拆迁补偿纠纷&limit=500").json()
        assert errors == []
        context.close()
    assert saved.name == "超期预警.xlsx"
    head, rows = _sheet(saved.read_bytes())
    assert head[0] == "案件编号" and len(rows) == answer["total"] >= 1
    assert [(r[0], r[1], r[7]) for r in rows] == [
        (i["case_no"], "'" + i["title"] if i["title"].startswith("=") else i["title"], i["status_label"])
        for i in answer["items"]]
