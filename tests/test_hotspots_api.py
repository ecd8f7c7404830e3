"""Supervisors' API, pages, exported map (headless Chromium, no network) and weekly PDF over a sample history."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from api.cli import main as cli_main
from gis.cases.book import load_rules
from gis.sample.cases import HistorySpec
from gis.sample.load_cases import load_sample_cases
from gis.settings import DatabaseSettings
from gis.storage.pool import connect
from tests.browser_support import chromium
from tests.conftest import make_token, use_database

UNTIL = date(2023, 6, 25)  # a Sunday; the week 2023-W25 ends that day
WINDOW = "since=2023-05-26&until=2023-06-26"
TOWN = "449901110000"  # 永合镇, home of the 征地 village


@pytest.fixture(scope="module")
def history(db_settings: DatabaseSettings) -> Iterator[int]:
    """A small committed sample history in 2023 (no staff credited), removed after the module."""
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
def supervisor(db_settings: DatabaseSettings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db_settings, 'sup-county', 'supervisor')}"}


@pytest.fixture(scope="module")
def town_supervisor(db_settings: DatabaseSettings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db_settings, 'sup-town', 'supervisor', TOWN)}"}


def test_grid_hotspots_as_geojson(app_client: TestClient, history: int, supervisor: dict[str, str]) -> None:
    r = app_client.get(f"/api/v1/hotspots?tier=grid&{WINDOW}", headers=supervisor)
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    body = r.json()
    assert len(body["features"]) == 8535 and body["meta"]["levels"]["fdr"] is True
    props = {f["id"]: f["properties"] for f in body["features"]}
    assert sum(p["count"] for p in props.values()) == body["meta"]["cases"] > 500
    red = [code for code, p in props.items() if p["level"] == "red"]
    assert red and all(props[c]["z"] > 2.576 and props[c]["p_fdr"] <= 0.01 and props[c]["count"] >= 3 for c in red)
    assert {c[:12] for c in red} & {"449901110244"}  # the 征地 village's grids come out red
    first = body["features"][0]
    assert first["geometry"]["type"] in ("Polygon", "MultiPolygon")
    expected = {"per_1000", "per_km2", "expected", "p_sim", "trend", "trend_label", "week_change"}
    assert expected <= set(first["properties"])


def test_town_supervisor_sees_their_units_levels_and_counts_only(
        app_client: TestClient, history: int, supervisor: dict[str, str], town_supervisor: dict[str, str]) -> None:
    county = app_client.get(f"/api/v1/hotspots?tier=village&geometry=false&{WINDOW}", headers=supervisor).json()
    mine = app_client.get(f"/api/v1/hotspots?tier=village&geometry=false&{WINDOW}", headers=town_supervisor).json()
    assert mine["features"] and all(f["id"].startswith(TOWN[:9]) for f in mine["features"])
    counts = {f["id"]: f["properties"]["count"] for f in county["features"]}
    assert all(counts[f["id"]] == f["properties"]["count"] for f in mine["features"])  # own cases, same counts
    assert not {"z", "p", "p_fdr", "expected", "local_sum"} & set(mine["features"][0]["properties"])
    assert mine["features"][0]["geometry"] is None


def test_h3_and_csv(app_client: TestClient, history: int, supervisor: dict[str, str]) -> None:
    h3 = app_client.get(f"/api/v1/hotspots?h3=8&{WINDOW}", headers=supervisor).json()
    assert h3["features"] and all(len(f["id"]) == 15 for f in h3["features"])
    assert sum(f["properties"]["count"] for f in h3["features"]) > 500
    r = app_client.get(f"/api/v1/hotspots?tier=town&format=csv&{WINDOW}", headers=supervisor)
    assert r.headers["content-type"].startswith("text/csv") and r.text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert len(rows) == 17
    assert {"代码", "名称", "案件数", "Gi* z 值", "p 值（FDR 校正）", "风险等级", "趋势"} <= set(rows[0])


def test_filters_and_bad_input(app_client: TestClient, history: int, supervisor: dict[str, str]) -> None:
    whole = app_client.get(f"/api/v1/hotspots?tier=county&{WINDOW}", headers=supervisor).json()
    land = app_client.get(f"/api/v1/hotspots?tier=county&category=03&{WINDOW}", headers=supervisor).json()
    petitions = app_client.get(f"/api/v1/hotspots?tier=county&channel=petition&{WINDOW}", headers=supervisor).json()
    total = whole["features"][0]["properties"]["count"]
    assert 0 < land["features"][0]["properties"]["count"] < total
    assert 0 < petitions["features"][0]["properties"]["count"] < total
    for query, reason in (("tier=grid&h3=8", "tier_and_h3"), ("h3=12", "bad_h3_resolution"),
                          ("category=99", "unknown_category"), ("channel=fax", "unknown_channel"),
                          ("since=yesterday", "bad_window"), ("since=2023-06-01&until=2023-05-01", "bad_window"),
                          ("status=lost", "unknown_status")):
        r = app_client.get(f"/api/v1/hotspots?{query}", headers=supervisor)
        assert r.status_code == 422 and r.json()["error"]["reason"] == reason, query


def test_access_is_limited_to_supervisors_and_operators(app_client: TestClient, db_settings: DatabaseSettings
                                                        ) -> None:
    field = {"Authorization": f"Bearer {make_token(db_settings, 'field-hs', 'field')}"}
    assert app_client.get("/api/v1/hotspots").status_code == 401
    for path in ("/api/v1/hotspots", "/api/v1/stats/units", "/api/v1/overdue", "/maps/hotspots/render",
                 "/api/v1/reports/weekly?week=2023-W25"):
        r = app_client.get(path, headers=field)
        assert r.status_code == 403 and r.json()["error"]["reason"] == "role_not_allowed", path


def test_unit_staff_and_ranking_figures(app_client: TestClient, history: int, supervisor: dict[str, str],
                                        town_supervisor: dict[str, str]) -> None:
    towns = app_client.get(f"/api/v1/stats/units?tier=town&{WINDOW}", headers=supervisor).json()
    assert len(towns["units"]) == 17 and towns["previous"]["until"] == towns["since"]
    row = towns["units"][0]
    assert row["received"] >= row["eligible"] >= row["resolved"] and 0.5 < row["closure_rate"] <= 1
    assert {"on_time_rate", "p90_hours", "grass_roots_share", "received_prev", "received_change"} <= set(row)
    mine = app_client.get(f"/api/v1/stats/units?tier=village&{WINDOW}", headers=town_supervisor).json()
    assert mine["units"] and all(r["unit"].startswith(TOWN[:9]) for r in mine["units"])
    staff = app_client.get(f"/api/v1/stats/staff?{WINDOW}", headers=supervisor).json()
    assert staff["staff"] == []  # this history credits no staff (see test_kpi for staff figures)
    ranks = app_client.get("/api/v1/stats/rankings?since=2023-06-19&until=2023-06-26", headers=supervisor).json()
    assert set(ranks) == {"since", "until", "most_red", "fastest_rising", "lowest_on_time", "min_cases"}
    rates = [r["on_time_rate"] for r in ranks["lowest_on_time"]]
    assert rates == sorted(rates) and all(r < 1 for r in rates)
    assert all(r["resolved"] >= ranks["min_cases"] for r in ranks["lowest_on_time"])


def test_overdue_board_and_supervisions(app_client: TestClient, history: int, supervisor: dict[str, str]) -> None:
    page = app_client.get("/api/v1/overdue?limit=5", headers=supervisor).json()
    assert page["total"] >= 1 and len(page["items"]) <= 5
    dues = [i["due_at"] for i in page["items"]]
    assert dues == sorted(dues) and all(i["status_label"] for i in page["items"])
    second = app_client.get("/api/v1/overdue?limit=5&offset=5", headers=supervisor).json()
    assert not {i["id"] for i in page["items"]} & {i["id"] for i in second["items"]}
    assert app_client.get("/api/v1/overdue?tier=planet", headers=supervisor).json()["error"]["reason"] == "bad_tier"
    sup = app_client.get("/api/v1/supervisions?limit=3", headers=supervisor).json()
    assert sup["total"] >= 1 and {"case_no", "level", "reason", "title"} <= set(sup["items"][0])


def test_pages_are_served(app_client: TestClient, history: int, supervisor: dict[str, str]) -> None:
    assert "风险研判地图" in app_client.get("/maps/hotspots").text
    assert "/api/v1/overdue" in app_client.get("/static/supervisor/overdue.js").text
    assert "超期预警与督办" in app_client.get("/maps/overdue").text
    html = app_client.get(f"/maps/hotspots/render?{WINDOW}", headers=supervisor)
    assert html.status_code == 200 and "风险等级（蓝黄红）" in html.text


def test_exported_map_opens_offline_with_its_layers(history: int, db_settings: DatabaseSettings, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    use_database(monkeypatch, db_settings)
    out = tmp_path / "hotspots.html"
    assert cli_main(["map", "hotspots", "--since", "2023-05-26", "--until", "2023-06-26", "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert out.stat().st_size < 5 * 2**20
    assert not re.findall(r'<(?:script|link)[^>]+(?:src|href)="https?://', html)
    with chromium() as browser:
        context = browser.new_context(offline=True)
        page = context.new_page()
        errors: list[str] = []
        remote: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: remote.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
        page.goto(out.as_uri(), wait_until="load")
        page.wait_for_selector(".leaflet-overlay-pane canvas", timeout=60_000)  # polygons on a canvas renderer
        drawn = page.evaluate("Object.keys(window).filter(k => k.startsWith('geo_json_') && window[k]"
                              " && typeof window[k].getLayers === 'function').map(k => window[k].getLayers().length)")
        names = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
        page.locator(".leaflet-control-layers-overlays input").nth(4).check()  # the heat map
        heat = page.locator("canvas.leaflet-heatmap-layer").count()
        page.fill("#fq-week", "0")
        week = page.inner_text("#fq-week-label")
    assert errors == [] and remote == []
    assert sorted(drawn)[-1] == 8535 and len(drawn) == 4  # every grid of the risk layer; towns, villages, H3
    assert [n.strip() for n in names] == ["风险等级（蓝黄红）·网格", "案件数分级·乡镇（街道）", "案件数分级·村（社区）",
                                          "H3 密度（分辨率 8）", "案件热力图"]
    assert heat == 1 and week.endswith("起")


def test_weekly_pdf_has_its_pages_and_maps(app_client: TestClient, history: int, supervisor: dict[str, str],
                                           tmp_path: Path) -> None:
    r = app_client.get("/api/v1/reports/weekly?week=2023-W25", headers=supervisor)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "briefing.pdf"
    pdf.write_bytes(r.content)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Pages:\s+4", info) and "矛盾纠纷风险研判周报 2023-W25" in info
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for heading in ("一、本周总体情况", "二、网格风险地图（蓝黄红）", "本周红色、黄色网格", "三、村（社区）风险地图",
                    "“五情”来源与纠纷类别", "闭环考核", "周调度排名", "五、下周预测与上升预警", "下周（2023-W26）预测",
                    "（二）上升预警"):
        assert heading in text, heading
    # No file paths, no "top ten" heading over a short table, no statistics jargon in the headings.
    assert not re.search(r"\w+/\w+\.(?:md|toml|py)", text) and "前十" not in text
    assert shutil.which("pdftoppm")
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "page")], check=True,
                   capture_output=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 4 and all(p.stat().st_size > 2000 for p in pages)
    assert app_client.get("/api/v1/reports/weekly?week=2023-53", headers=supervisor).status_code == 422


def test_weekly_pdf_of_a_week_not_ended_is_refused_in_chinese(app_client: TestClient,
                                                             supervisor: dict[str, str]) -> None:
    for week in ("2099-W01", "{}-W{:02d}".format(*datetime.now(ZoneInfo("Asia/Shanghai")).isocalendar()[:2])):
        r = app_client.get("/api/v1/reports/weekly", params={"week": week}, headers=supervisor)
        assert r.status_code == 422, week
        assert r.json()["error"]["reason"] == "week_not_ended"
        assert "尚未结束" in r.json()["error"]["message"]
