"""What a town user sees of statistics and of county-level staff; spreadsheet-safe CSV cells.

The rule (gis/stats_cut.py, README "what a town user sees of statistics"): own units' levels and counts only,
computed from the town's own cases, over at least a week; every export follows the caller's region.
"""

from __future__ import annotations

import csv
import io
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gis.cases.book import load_rules
from gis.export_cells import csv_text, safe_cell
from gis.export_tables import header as export_header
from gis.sample.cases import HistorySpec
from gis.sample.load_cases import load_sample_cases
from gis.settings import DatabaseSettings
from gis.staff.roster import StaffRecord
from gis.stats_cut import TOWN_FIELDS, check_window, cut, own_units
from gis.storage import staff as store
from gis.storage.pool import connect
from tests.conftest import make_token, settle

UNTIL = date(2023, 6, 25)
WINDOW = "since=2023-05-26&until=2023-06-26"
TOWN = "449901110000"  # 永合镇: red grids in the sample history
HOME_TOWN = "449901001000"  # 隆联街道 (the staff and neighbour tests)
LON, LAT = 114.6471302, 24.0688967  # a point of 隆联街道
HIDDEN = {"z", "p", "p_fdr", "p_sim", "expected", "local_sum", "trend_z", "trend_p"}


def bearer(db_settings: DatabaseSettings, name: str, role: str, town: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db_settings, name, role, town)}"}


@pytest.fixture(scope="module")
def history(db_settings: DatabaseSettings) -> Iterator[int]:
    """A small committed sample history in 2023, removed after the module."""
    with connect(db_settings) as conn:
        loaded = load_sample_cases(conn, rules=load_rules(), spec=HistorySpec(until=UNTIL, days=120, scale=0.3),
                                   credit_staff=False)
        conn.commit()
    yield loaded.cases
    with connect(db_settings) as conn:
        conn.execute("DELETE FROM cases c USING users u WHERE u.id = c.created_by AND u.username = 'sample'"
                     " AND c.created_at < '2023-07-01'")
        conn.commit()


@pytest.fixture(scope="module")
def towns(db_settings: DatabaseSettings) -> dict[str, str]:
    """Town code -> name of the active generation."""
    with connect(db_settings) as conn:
        return {str(c): str(n) for c, n in conn.execute(
            "SELECT a.code, a.name FROM areas a JOIN generations g ON g.id = a.generation_id AND g.is_active"
            " WHERE a.tier = 2")}


# -- the cut itself ----------------------------------------------------------------------------------------

def test_the_cut_keeps_own_units_and_allowed_fields_only() -> None:
    rows = [{"code": "g1", "name": "甲", "count": 4, "level": "red", "z": 3.1, "expected": 1.2, "local_sum": 9.0},
            {"code": "g2", "name": "乙", "count": 7, "level": "blue", "z": 0.1, "expected": 2.0, "local_sum": 3.0}]
    towns = {"g1": "T1", "g2": "T2"}
    assert cut(None, rows, own=own_units(None, towns)) == rows
    assert cut("T1", rows, own=own_units("T1", towns)) == [{"code": "g1", "name": "甲", "count": 4, "level": "red"}]
    assert cut("T1", [{"code": "g9", "count": 1}], own=own_units("T1", towns)) == []  # unknown unit: denied
    assert not HIDDEN & TOWN_FIELDS


def test_town_users_need_a_week() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    check_window(None, start, start + timedelta(days=1))
    check_window(TOWN, start, start + timedelta(days=7))
    with pytest.raises(ValueError) as caught:
        check_window(TOWN, start, start + timedelta(days=6, hours=23))
    assert getattr(caught.value, "reason", "") == "window_too_short" and "至少为 7 天" in str(caught.value)


# -- hotspots, rankings, maps and the weekly PDF over a sample history ---------------------------------------

def test_town_hotspots_carry_own_units_levels_and_counts_only(
        app_client: TestClient, db_settings: DatabaseSettings, history: int) -> None:
    town = bearer(db_settings, "cut-sup-town", "supervisor", TOWN)
    for tier in ("grid", "village", "town"):
        body = app_client.get(f"/api/v1/hotspots?tier={tier}&geometry=false&{WINDOW}", headers=town).json()
        assert body["features"], tier
        assert all(f["id"].startswith(TOWN[:9]) for f in body["features"]), tier
        for feature in body["features"]:
            assert not HIDDEN & set(feature["properties"]), (tier, feature["properties"])
            assert {"count", "level"} <= set(feature["properties"])
    assert app_client.get(f"/api/v1/hotspots?tier=county&{WINDOW}", headers=town).json()["features"] == []
    red = app_client.get(f"/api/v1/hotspots?tier=grid&geometry=false&{WINDOW}", headers=town).json()
    assert any(f["properties"]["level"] == "red" for f in red["features"])  # the 征地 village is still hot
    table = app_client.get(f"/api/v1/hotspots?tier=grid&format=csv&{WINDOW}", headers=town).text
    header = next(csv.reader(io.StringIO(table.lstrip("\ufeff"))))
    assert "风险等级" in header and not {export_header(h) for h in HIDDEN} & set(header)
    short = app_client.get("/api/v1/hotspots?since=2023-06-20&until=2023-06-26", headers=town)
    assert short.status_code == 422 and short.json()["error"]["reason"] == "window_too_short"
    county = bearer(db_settings, "cut-sup-county", "supervisor", None)
    assert app_client.get("/api/v1/hotspots?since=2023-06-20&until=2023-06-26&geometry=false",
                          headers=county).status_code == 200


def test_town_rankings_and_map_show_no_other_town(app_client: TestClient, db_settings: DatabaseSettings,
                                                  history: int) -> None:
    town = bearer(db_settings, "cut-sup-town", "supervisor", TOWN)
    ranks = app_client.get("/api/v1/stats/rankings?since=2023-06-12&until=2023-06-26", headers=town).json()
    for name in ("most_red", "fastest_rising", "lowest_on_time"):
        assert all(r["code"].startswith(TOWN[:9]) for r in ranks[name]), (name, ranks[name])
    assert ranks["most_red"] and ranks["most_red"][0]["code"] == TOWN
    units = app_client.get(f"/api/v1/stats/units?tier=village&{WINDOW}", headers=town).json()["units"]
    assert units and all(r["unit"].startswith(TOWN[:9]) for r in units)
    page = app_client.get(f"/maps/hotspots/render?{WINDOW}", headers=town)
    assert page.status_code == 200 and "风险等级" in page.text
    for hidden in ("Gi* z", "期望值", "邻域合计", "置换检验"):
        assert hidden not in page.text, hidden


def test_town_weekly_pdf_holds_no_other_town(app_client: TestClient, db_settings: DatabaseSettings, history: int,
                                            towns: dict[str, str], tmp_path: Path) -> None:
    town = bearer(db_settings, "cut-sup-town", "supervisor", TOWN)
    r = app_client.get("/api/v1/reports/weekly?week=2023-W25", headers=town)
    assert r.status_code == 200
    pdf = tmp_path / "town.pdf"
    pdf.write_bytes(r.content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())
    assert towns[TOWN] in flat and "周调度" in flat
    others = [name for code, name in towns.items() if code != TOWN and name in flat]
    assert others == []
    for hidden in ("期望值", "Giz", "p（FDR）"):
        assert hidden not in flat, hidden
    county = bearer(db_settings, "cut-sup-county", "supervisor", None)
    whole = app_client.get("/api/v1/reports/weekly?week=2023-W25", headers=county)
    (tmp_path / "county.pdf").write_bytes(whole.content)
    county_text = "".join(subprocess.run(["pdftotext", str(tmp_path / "county.pdf"), "-"], capture_output=True,
                                         text=True, check=True).stdout.split())
    assert sum(name in county_text for name in towns.values()) > 3  # the county's briefing still ranks towns


# -- a new case in a neighbouring town changes nothing a town user sees ----------------------------------------

def _neighbour_point(db_settings: DatabaseSettings) -> tuple[str, float, float]:
    """A point in a grid of another town that touches HOME_TOWN."""
    with connect(db_settings) as conn:
        row = conn.execute(
            "SELECT g.code, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom))"
            " FROM areas t JOIN generations gen ON gen.id = t.generation_id AND gen.is_active"
            " JOIN areas g ON g.generation_id = t.generation_id AND g.tier = 4 AND left(g.code, 9) <> left(t.code, 9)"
            "  AND ST_Intersects(g.geom, t.geom)"
            " WHERE t.tier = 2 AND t.code = %s ORDER BY g.code LIMIT 1", (HOME_TOWN,)).fetchone()
    assert row is not None
    return str(row[0]), float(row[1]), float(row[2])


def test_a_case_next_door_changes_nothing_a_town_user_sees(app_client: TestClient,
                                                           db_settings: DatabaseSettings) -> None:
    town = bearer(db_settings, "cut-sup-home", "supervisor", HOME_TOWN)
    county = bearer(db_settings, "cut-op-county", "operator", None)
    today = datetime.now(UTC).date()
    window = f"since={today - timedelta(days=13)}&until={today + timedelta(days=2)}"
    grid, lon, lat = _neighbour_point(db_settings)
    paths = [f"/api/v1/hotspots?tier=grid&geometry=false&{window}", f"/api/v1/hotspots?tier=village&{window}",
             f"/api/v1/hotspots?h3=8&{window}", f"/api/v1/hotspots?tier=grid&format=csv&{window}",
             f"/api/v1/stats/units?tier=grid&{window}", f"/api/v1/stats/rankings?{window}"]
    before = [app_client.get(p, headers=town).content for p in paths]
    county_before = app_client.get(f"/api/v1/hotspots?tier=grid&geometry=false&{window}", headers=county).json()
    body = {"category": "0201", "source_channel": "walk_in", "description": "邻镇新案", "lon": lon, "lat": lat}
    created = app_client.post("/api/v1/cases", json=body, headers={**county, "Idempotency-Key": str(uuid.uuid4())})
    assert created.status_code == 201, created.text
    county_after = app_client.get(f"/api/v1/hotspots?tier=grid&geometry=false&{window}", headers=county).json()
    count = {f["id"]: f["properties"]["count"] for f in county_before["features"]}
    assert next(f for f in county_after["features"] if f["id"] == grid)["properties"]["count"] == count[grid] + 1
    after = [app_client.get(p, headers=town).content for p in paths]
    for path, old, new in zip(paths, before, after, strict=True):
        assert old == new, path


# -- county-level staff seen by a town operator ---------------------------------------------------------------

POLICE = StaffRecord(staff_code="CUTP1", name="测试民警", role="police", phone="13800001234", skills=("10",),
                     home_lon=LON + 0.01, home_lat=LAT, home_village_code="449901001008", capacity=3)


@pytest.fixture(scope="module")
def police(db_settings: DatabaseSettings) -> Iterator[int]:
    with connect(db_settings) as c:
        store.upsert_staff(c, records=[POLICE])
        c.commit()
        staff_id = int(c.execute("SELECT id FROM staff WHERE staff_code = 'CUTP1'").fetchone()[0])  # type: ignore[index]
    yield staff_id
    with connect(db_settings) as c:
        c.execute("UPDATE staff SET active = false WHERE staff_code = 'CUTP1'")
        c.commit()


def _seen(client: TestClient, headers: dict[str, str], staff_id: int) -> tuple[dict[str, object], bool]:
    listed = client.get("/api/v1/staff?role=police&limit=1000", headers=headers).json()["items"]
    row = next(r for r in listed if r["id"] == staff_id)
    on_map = any(r["id"] == staff_id for r in client.get("/api/v1/positions", headers=headers).json()["staff"])
    return row, on_map


def test_town_operator_sees_county_staff_contact_only_while_serving(
        app_client: TestClient, db_settings: DatabaseSettings, police: int) -> None:
    town = bearer(db_settings, "cut-op-town", "operator", HOME_TOWN)
    county = bearer(db_settings, "cut-op-county", "operator", None)
    _, lon, lat = _neighbour_point(db_settings)  # on duty, but in another town
    fix = app_client.post(f"/api/v1/staff/{police}/positions", headers=county, json={"lon": lon, "lat": lat})
    assert fix.status_code == 200, fix.text
    full, _ = _seen(app_client, county, police)
    assert full["phone"] == "13800001234" and full["home_lon"] is not None and full["position_lon"] is not None

    row, on_map = _seen(app_client, town, police)
    assert row["name"] == "测试民警" and row["duty_status"] == "on_duty" and "active_orders" in row
    assert row["phone"] != "13800001234" and "1234" in str(row["phone"])
    assert not {"home_lon", "home_lat", "home_village_code", "position_lon", "position_lat"} & set(row)
    assert not on_map
    one = app_client.get(f"/api/v1/staff/{police}", headers=town).json()
    assert one["phone"] != "13800001234" and "home_lon" not in one and "position_lon" not in one

    body = {"category": "0201", "source_channel": "walk_in", "description": "需要民警", "lon": LON, "lat": LAT}
    created = app_client.post("/api/v1/cases", json=body, headers={**town, "Idempotency-Key": str(uuid.uuid4())})
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    settle(app_client)
    ranked = app_client.get(f"/api/v1/cases/{case_id}/recommendations?role=police&k=50", headers=town).json()
    candidate = next(c for c in ranked["roles"]["police"]["candidates"] if c["staff_id"] == police)
    assert "distance_m" in candidate and not {"phone", "home_lon", "position_lon"} & set(candidate)
    sent = app_client.post(f"/api/v1/cases/{case_id}/dispatches", headers=town,
                           json={"staff": [{"staff_id": police, "role": "assist"}]})
    assert sent.status_code == 201, sent.text

    row, on_map = _seen(app_client, town, police)
    assert row["phone"] == "13800001234" and row["position_lon"] == pytest.approx(lon)
    assert not {"home_lon", "home_lat", "home_village_code"} & set(row)  # homes never
    assert on_map


# -- spreadsheet formula injection ---------------------------------------------------------------------------

def test_csv_cells_that_a_spreadsheet_would_run_are_escaped() -> None:
    for cell in ("=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=HYPERLINK(\"http://x\")"):
        assert safe_cell(cell) == "'" + cell
    for cell in ("-3", "-1.5e-3", "+7", "永合镇", "a=b", "", "0.25"):
        assert safe_cell(cell) == cell
    assert safe_cell(-3) == -3 and safe_cell(None) is None
    text = csv_text([{"name": "=cmd|' /C calc'!A0", "change": -2}], ["name", "change"])
    assert text == "\ufeffname,change\r\n'=cmd|' /C calc'!A0,-2\r\n"


def test_batch_locate_csv_escapes_formula_cells(app_client: TestClient, admin_headers: dict[str, str]) -> None:
    rows = f"经度,纬度,名称\n{LON},{LAT},=cmd|' /C calc'!A0\n-200,24.0,@SUM(1)\n"
    r = app_client.post("/api/v1/locate/batch", content=rows.encode("utf-8"),
                        headers={**admin_headers, "Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    out = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert [o["名称"] for o in out] == ["'=cmd|' /C calc'!A0", "'@SUM(1)"]
    assert out[0]["town_code"] == HOME_TOWN and out[1]["经度"] == "-200"
