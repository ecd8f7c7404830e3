"""The early-warning routes over a stored sample history: county-wide answers, a town's cut, roles and bad input."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient

from gis.cases.book import load_rules
from gis.sample.cases import HistorySpec
from gis.sample.load_cases import load_sample_cases
from gis.settings import DatabaseSettings
from gis.storage.pool import connect
from tests.conftest import make_token

UNTIL = date(2022, 11, 27)  # a Sunday: the week 2022-W47 ends that day, and with it the 征地 ramp
TOWN = "449901110000"  # 永合镇
STORY_VILLAGE = "449901110244"  # the village whose land-acquisition disputes rise over the last 8 weeks


@pytest.fixture(scope="module")
def history(db_settings: DatabaseSettings) -> Iterator[int]:
    """A committed sample history in 2022 (no staff credited), removed after the module."""
    with connect(db_settings) as conn:
        loaded = load_sample_cases(conn, rules=load_rules(), spec=HistorySpec(until=UNTIL, days=182, scale=0.5),
                                   credit_staff=False)
        conn.commit()
    yield loaded.cases
    with connect(db_settings) as conn:
        conn.execute("DELETE FROM cases c USING users u WHERE u.id = c.created_by AND u.username = 'sample'"
                     " AND c.created_at >= '2022-01-01' AND c.created_at < '2023-01-01'")
        conn.commit()


def bearer(db_settings: DatabaseSettings, name: str, role: str, town: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db_settings, name, role, town)}"}


def test_forecast_county_wide_and_reconciled(app_client: TestClient, history: int,
                                             db_settings: DatabaseSettings) -> None:
    headers = bearer(db_settings, "fc-sup", "supervisor")
    villages = app_client.get("/api/v1/forecast?tier=village&week=2022-W48", headers=headers)
    assert villages.status_code == 200, villages.text
    body = villages.json()
    assert body["data_until"] == "2022-11-27" and len(body["units"]) == 1026
    weekly = history / 26
    assert 0.6 * weekly < body["forecast_total"] < 1.5 * weekly  # about one week's cases
    towns = app_client.get("/api/v1/forecast?tier=town&week=2022-W48", headers=headers).json()
    town_total = {u["code"]: u["forecast"] for u in towns["units"]}
    in_town = sum(u["forecast"] for u in body["units"] if u["town_code"] == TOWN)
    assert town_total[TOWN] == pytest.approx(in_town, abs=0.01)  # villages add up to their town
    assert sum(town_total.values()) == pytest.approx(body["forecast_total"], abs=0.05)


def _neighbour_town(db_settings: DatabaseSettings) -> str:
    """A town whose outline touches TOWN (its border grids are spatial-lag neighbours of TOWN's)."""
    with connect(db_settings) as conn:
        row = conn.execute(
            "SELECT o.code FROM areas t JOIN generations g ON g.id = t.generation_id AND g.is_active"
            " JOIN areas o ON o.generation_id = t.generation_id AND o.tier = 2 AND o.code <> t.code"
            "  AND ST_Intersects(o.geom, t.geom) WHERE t.tier = 2 AND t.code = %s ORDER BY o.code LIMIT 1",
            (TOWN,)).fetchone()
    assert row is not None
    return str(row[0])


def _shift_town_history(db_settings: DatabaseSettings, town: str, years: int) -> int:
    """Move a town's 2022 sample cases out of (or back into) the history window; returns the cases moved."""
    with connect(db_settings) as conn:
        moved = conn.execute(
            "UPDATE cases SET created_at = created_at + make_interval(years => %s), updated_at = now()"
            " WHERE town_code = %s AND created_at >= make_date(2022 - greatest(%s, 0), 1, 1)"
            " AND created_at < make_date(2023 - greatest(%s, 0), 1, 1)", (years, town, years, years)).rowcount
        conn.commit()
    return moved


def test_town_user_sees_its_own_units_only(app_client: TestClient, history: int,
                                           db_settings: DatabaseSettings) -> None:
    town_headers = bearer(db_settings, "fc-town", "supervisor", TOWN)
    mine = app_client.get("/api/v1/forecast?tier=grid&week=2022-W48", headers=town_headers).json()
    assert mine["units"] and {u["town_code"] for u in mine["units"]} == {TOWN}
    assert all(set(u) == {"code", "name", "town_code", "forecast"} for u in mine["units"])
    alerts = app_client.get("/api/v1/forecast/alerts?tier=village&week=2022-W47", headers=town_headers).json()
    assert alerts["units"] and {u["town_code"] for u in alerts["units"]} == {TOWN}
    assert not any({"p", "q", "expected"} & set(u) for u in alerts["units"])  # no test statistics for a town
    assert [u["code"] for u in alerts["units"] if u["alert"]] == [STORY_VILLAGE]
    county_of_town = app_client.get("/api/v1/forecast?tier=county&week=2022-W48", headers=town_headers).json()
    assert county_of_town["units"] == [] and county_of_town["forecast_total"] == 0


def test_a_neighbouring_towns_cases_change_nothing_a_town_user_sees(app_client: TestClient, history: int,
                                                                    db_settings: DatabaseSettings) -> None:
    town_headers = bearer(db_settings, "fc-town", "supervisor", TOWN)
    county_headers = bearer(db_settings, "fc-sup", "supervisor")
    paths = ["/api/v1/forecast?tier=grid&week=2022-W48", "/api/v1/forecast?tier=village&week=2022-W48",
             "/api/v1/forecast/alerts?tier=village&week=2022-W47", "/api/v1/forecast/alerts?tier=town&week=2022-W47"]
    before = [app_client.get(p, headers=town_headers).content for p in paths]
    county_before = app_client.get(paths[0], headers=county_headers).json()["forecast_total"]
    neighbour = _neighbour_town(db_settings)
    moved = _shift_town_history(db_settings, neighbour, -3)
    try:
        assert moved > 100
        county_after = app_client.get(paths[0], headers=county_headers).json()["forecast_total"]
        assert county_after < county_before  # the county's model saw the neighbour's cases go
        after = [app_client.get(p, headers=town_headers).content for p in paths]
    finally:
        assert _shift_town_history(db_settings, neighbour, 3) == moved
    for path, old, new in zip(paths, before, after, strict=True):
        assert old == new, path


def test_rising_village_is_alerted_county_wide(app_client: TestClient, history: int,
                                               db_settings: DatabaseSettings) -> None:
    r = app_client.get("/api/v1/forecast/alerts?tier=village&week=2022-W47",
                       headers=bearer(db_settings, "fc-op", "operator"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["rule"] == {"recent_weeks": 4, "baseline_weeks": 13, "fdr": 0.01, "min_count": 5}
    flagged = {u["code"]: u for u in body["units"] if u["alert"]}
    assert STORY_VILLAGE in flagged and body["alerted"] <= 10  # at most 1 % of 1,026 villages
    story = flagged[STORY_VILLAGE]
    assert story["q"] <= 0.01 and story["recent"] >= 5 and story["recent"] > 2 * story["expected"]
    before = app_client.get("/api/v1/forecast/alerts?tier=village&week=2022-W38",
                            headers=bearer(db_settings, "fc-op", "operator")).json()
    assert STORY_VILLAGE not in {u["code"] for u in before["units"] if u["alert"]}  # before the ramp began


def test_roles_and_bad_input(app_client: TestClient, history: int, db_settings: DatabaseSettings) -> None:
    field = bearer(db_settings, "fc-field", "field", TOWN)
    r = app_client.get("/api/v1/forecast?tier=village", headers=field)
    assert r.status_code == 403 and r.json()["error"]["reason"] == "role_not_allowed"
    assert app_client.get("/api/v1/forecast/alerts").status_code == 401
    sup = bearer(db_settings, "fc-sup", "supervisor")
    r = app_client.get("/api/v1/forecast/alerts?tier=village&week=2999-W01", headers=sup)
    assert r.status_code == 422 and r.json()["error"]["reason"] == "week_not_ended"
    r = app_client.get("/api/v1/forecast?tier=village&week=2999-W01", headers=sup)
    assert r.status_code == 422 and r.json()["error"]["reason"] == "week_not_forecastable"
    assert app_client.get("/api/v1/forecast/alerts?tier=grid", headers=sup).status_code == 422
    r = app_client.get("/api/v1/forecast?tier=village&week=2022-W60", headers=sup)
    assert r.status_code == 422 and r.json()["error"]["reason"] == "bad_week"


def test_van_route_visits_the_rising_village_first_in_priority(app_client: TestClient, history: int,
                                                              db_settings: DatabaseSettings) -> None:
    sup = bearer(db_settings, "fc-sup", "supervisor")
    r = app_client.get("/api/v1/forecast/van-route?day=2022-11-28&category=0303", headers=sup)
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["category_name"] == "征地拆迁补偿纠纷" and plan["forecast_week"] == "2022-W48"
    assert plan["alert_week"] == "2022-W47" and plan["mode_label"] == "调解车"
    codes = [s["code"] for s in plan["stops"]]
    assert STORY_VILLAGE in codes
    story = next(s for s in plan["stops"] if s["code"] == STORY_VILLAGE)
    assert story["alerted"] is True
    everyone = plan["stops"] + plan["left_out"]
    assert max(everyone, key=lambda s: s["priority"])["code"] == STORY_VILLAGE
    assert 1 <= len(plan["stops"]) <= 15 and len(everyone) <= 15
    assert plan["back_at"] <= "17:30" and plan["stops"][0]["arrive"] > "08:30"
    assert plan["route"]["coordinates"][0] == plan["route"]["coordinates"][-1] == plan["centre"]
    assert plan["total_km"] == pytest.approx(sum(s["leg_km"] for s in plan["stops"]) + plan["return_km"], abs=0.05)


def test_a_town_plans_its_own_villages_from_the_town(app_client: TestClient, history: int,
                                                     db_settings: DatabaseSettings) -> None:
    town = bearer(db_settings, "fc-town", "supervisor", TOWN)
    plan = app_client.get("/api/v1/forecast/van-route?day=2022-11-28&mode=foot&visit_minutes=45",
                          headers=town).json()
    assert plan["centre_name"] == "永合镇" and plan["mode_label"] == "步行" and plan["stops"]
    assert all(s["code"].startswith(TOWN[:9]) for s in plan["stops"] + plan["left_out"])


def test_van_route_bad_input(app_client: TestClient, history: int, db_settings: DatabaseSettings) -> None:
    sup = bearer(db_settings, "fc-sup", "supervisor")
    cases = [("day=2022-11-28&category=9999", "unknown_category"), ("day=2999-01-01", "plan_too_far_ahead"),
             ("day=2022-11-28&start=17:00&end=09:00", "bad_working_hours"),
             ("day=2022-11-28&start=25:00", "validation_failed")]
    for query, reason in cases:
        r = app_client.get(f"/api/v1/forecast/van-route?{query}", headers=sup)
        assert r.status_code == 422 and r.json()["error"]["reason"] == reason, (query, r.text)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["error"]["message"]), r.text
    field = bearer(db_settings, "fc-field", "field", TOWN)
    assert app_client.get("/api/v1/forecast/van-route?day=2022-11-28", headers=field).status_code == 403
