"""Dispatchers' trial defects: one lead per case, plans that beat greedy and can be applied, a search that widens."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gis.settings import DatabaseSettings
from gis.staff.recommend import Place, Scoring, load_scoring, recommend
from gis.staff.roster import StaffRecord
from gis.storage import staff as staff_store
from gis.storage.pool import connect
from tests.conftest import make_token, settle

LON, LAT = 114.6471302, 24.0688967  # town 449901001000
KM_LON = 1 / (111.32 * 0.91360)  # degrees of longitude per km at this latitude


def east(km: float) -> tuple[float, float]:
    return LON + km * KM_LON, LAT


@pytest.fixture(scope="module")
def crew(db_settings: DatabaseSettings) -> Iterator[dict[str, Any]]:
    tag = uuid.uuid4().hex[:5]
    people = {
        # lawyers (county-level) for the plan: L1 close to case B, L2 far west
        f"L1{tag}": ("lawyer", 0.8, "on_duty"), f"L2{tag}": ("lawyer", -5.0, "on_duty"),
        # psychologists for the widening search: the two nearest are off duty
        f"Y1{tag}": ("psychologist", 0.1, "off_duty"), f"Y2{tag}": ("psychologist", 0.2, "off_duty"),
        f"Y3{tag}": ("psychologist", 3.0, "on_duty"),
        # mediators for the lead rule
        f"M1{tag}": ("mediator", 0.3, "on_duty"), f"M2{tag}": ("mediator", 0.4, "on_duty"),
    }
    records = [StaffRecord(staff_code=code, name=f"队员{code[:2]}", role=role, skills=("02",),
                           home_lon=east(km)[0], home_lat=east(km)[1], duty_status=duty, capacity=1)
               for code, (role, km, duty) in people.items()]
    with connect(db_settings) as c:
        staff_store.upsert_staff(c, records=records)
        c.commit()
        ids = {code[:2]: int(i) for code, i in c.execute("SELECT staff_code, id FROM staff WHERE staff_code LIKE %s",
                                                          (f"%{tag}",))}
    token = make_token(db_settings, f"trial-{tag}", "operator")
    yield {"ids": ids, "headers": {"Authorization": f"Bearer {token}"}}
    with connect(db_settings) as c:
        c.execute("UPDATE staff SET active = false WHERE staff_code LIKE %s", (f"%{tag}",))
        c.commit()


def new_case(client: TestClient, headers: dict[str, str], km: float, category: str = "0201") -> int:
    lon, lat = east(km)
    response = client.post("/api/v1/cases", headers={**headers, "Idempotency-Key": uuid.uuid4().hex}, json={
        "category": category, "source_channel": "walk_in", "description": "试点", "lon": lon, "lat": lat})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_one_lead_per_case_and_an_explicit_change(app_client: TestClient, crew: dict[str, Any]) -> None:
    headers, ids = crew["headers"], crew["ids"]
    case = new_case(app_client, headers, 0.3)
    send = f"/api/v1/cases/{case}/dispatches"
    first = app_client.post(send, headers=headers, json={"staff": [{"staff_id": ids["M1"], "role": "lead"}]})
    assert first.status_code == 201
    second = app_client.post(send, headers=headers, json={"staff": [{"staff_id": ids["M2"], "role": "lead"}]})
    assert second.status_code == 409 and second.json()["error"]["reason"] == "case_has_lead"
    assist = app_client.post(send, headers=headers, json={"staff": [{"staff_id": ids["M2"], "role": "assist"}]})
    assert assist.status_code == 201
    new_lead = assist.json()["orders"][0]["id"]
    changed = app_client.post(f"/api/v1/cases/{case}/lead", headers=headers, json={"dispatch_id": new_lead})
    assert changed.status_code == 200
    roles = {o["staff_id"]: o["role"] for o in changed.json()["orders"]}
    assert roles == {ids["M1"]: "assist", ids["M2"]: "lead"}
    detail = app_client.get(f"/api/v1/cases/{case}", headers=headers).json()
    assert detail["id"] == case
    for order in changed.json()["orders"]:  # free the mediators for other tests
        app_client.patch(f"/api/v1/dispatches/{order['id']}", headers=headers,
                         json={"status": "cancelled", "reason": "测试结束"})


def test_plan_beats_greedy_says_why_and_applies_atomically(app_client: TestClient, crew: dict[str, Any]) -> None:
    headers, ids = crew["headers"], crew["ids"]
    settle(app_client)
    a, b, c = new_case(app_client, headers, 0.0), new_case(app_client, headers, 2.0), new_case(app_client, headers, 6)
    plan = app_client.post("/api/v1/assignments/plan", headers=headers,
                           json={"case_ids": [a, b, c], "role": "lawyer"}).json()
    greedy = {p["case_id"]: p["staff_id"] for p in plan["greedy"]["pairs"]}
    optimal = {p["case_id"]: p["staff_id"] for p in plan["optimal"]["pairs"]}
    # greedy: A takes L1 (0.8 km), then B must take L2 (7 km) = 7.8 km; optimal: A-L2 5 km + B-L1 1.2 km = 6.2 km
    assert greedy == {a: ids["L1"], b: ids["L2"]} and optimal == {a: ids["L2"], b: ids["L1"]}
    assert plan["greedy"]["total_m"] == pytest.approx(7800, abs=30)
    assert plan["optimal"]["total_m"] == pytest.approx(6200, abs=30)
    assert plan["saving_m"] == pytest.approx(1600, abs=30)
    assert plan["optimal"]["unassigned"] == [{"case_id": c, "reason": "slots_taken_by_other_cases"}]
    pairs = [{"case_id": k, "staff_id": v} for k, v in optimal.items()]
    applied = app_client.post("/api/v1/assignments/apply", headers=headers, json={"pairs": pairs})
    assert applied.status_code == 201 and len(applied.json()["orders"]) == 2
    assert {o["role"] for o in applied.json()["orders"]} == {"lead"}
    again = app_client.post("/api/v1/assignments/apply", headers=headers,
                            json={"pairs": [{"case_id": c, "staff_id": ids["Y3"]}, *pairs]})
    assert again.status_code == 409 and again.json()["error"]["case_id"] == a
    orders_c = app_client.get(f"/api/v1/cases/{c}/dispatches", headers=headers).json()["orders"]
    assert orders_c == []  # the first pair was rolled back with the failing one
    full = app_client.post("/api/v1/assignments/plan", headers=headers, json={"case_ids": [c], "role": "lawyer"})
    assert full.json()["optimal"]["unassigned"] == [{"case_id": c, "reason": "no_eligible_staff"}]


def test_the_search_widens_until_k_are_available(db_settings: DatabaseSettings, app_client: TestClient,
                                                 crew: dict[str, Any]) -> None:
    settle(app_client)
    points = app_client.app.state.services.staff.current()  # type: ignore[attr-defined]
    narrow = Scoring(**{**load_scoring().__dict__, "candidates_per_role": 2})
    lon, lat = east(0.0)
    place = Place(lon, lat, "449901001008007", "449901001008", "449901001000", "0201")
    with connect(db_settings) as conn:
        ranking = recommend(conn, points=points, scoring=narrow, place=place, roles=["psychologist"], k=1,
                            now=datetime.now(UTC))["psychologist"]
    assert [c["staff_id"] for c in ranking["candidates"]] == [crew["ids"]["Y3"]]
    excluded = {c["staff_id"]: c["excluded_because"] for c in ranking["excluded"]}
    assert excluded[crew["ids"]["Y1"]] == ["off_duty"] and excluded[crew["ids"]["Y2"]] == ["off_duty"]
    assert ranking["searched"]["nearest_considered"] >= 3 and ranking["searched"]["radius_m"] >= 2990

