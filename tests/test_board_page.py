"""The dispatch board: every active order of the region, paged, filtered by status, role, town and case status,
stale orders marked by per-status thresholds."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from gis.settings import DatabaseSettings
from gis.staff.roster import StaffRecord
from gis.storage import staff as staff_store
from gis.storage.pool import connect
from tests.conftest import make_token, settle

LON, LAT = 114.6471302, 24.0688967  # 隆联街道
KM_LON = 1000 / (111_320 * math.cos(math.radians(LAT)))


@pytest.fixture(scope="module")
def crew(db_settings: DatabaseSettings) -> Iterator[list[int]]:
    records = [StaffRecord(staff_code=f"BP{i}", name=f"看板{i}", role="mediator", skills=("02",), territory=(),
                           home_lon=LON + 0.1 * i * KM_LON, home_lat=LAT, capacity=3) for i in range(1, 4)]
    with connect(db_settings) as c:
        staff_store.upsert_staff(c, records=records)
        c.commit()
        ids = [int(r[0]) for r in c.execute("SELECT id FROM staff WHERE staff_code LIKE 'BP%' ORDER BY staff_code")]
    yield ids
    with connect(db_settings) as c:
        c.execute("UPDATE staff SET active = false WHERE staff_code LIKE 'BP%'")
        c.commit()


def test_board_pages_filters_and_marks_stale_orders(app_client: TestClient, db_settings: DatabaseSettings,
                                                   crew: list[int]) -> None:
    op = {"Authorization": f"Bearer {make_token(db_settings, 'board-op', 'operator')}"}
    settle(app_client, timeout=180)
    made = []
    for _ in range(3):
        case = app_client.post("/api/v1/cases", headers={"Idempotency-Key": str(uuid.uuid4()), **op}, json={
            "category": "0201", "source_channel": "walk_in", "description": "看板", "lon": LON, "lat": LAT}).json()
        sent = app_client.post(f"/api/v1/cases/{case['id']}/dispatches", headers=op, json={"staff": [
            {"staff_id": crew[0], "role": "lead"}, {"staff_id": crew[1], "role": "assist"}]})
        assert sent.status_code == 201, sent.text
        made.append(case["id"])
    with connect(db_settings) as c:
        c.execute("UPDATE dispatch_orders SET dispatched_at = now() - interval '40 minutes'"
                  " WHERE case_id = %s AND role = 'lead'", (made[0],))
        c.commit()
    everything = app_client.get("/api/v1/dispatches", params={"limit": 1000}, headers=op).json()
    total = everything["total"]
    assert total == len(everything["orders"]) >= 6
    assert everything["stale_after_s"]["dispatched"] == 1800
    first = app_client.get("/api/v1/dispatches", params={"limit": 2}, headers=op).json()
    second = app_client.get("/api/v1/dispatches", params={"limit": 2, "offset": 2}, headers=op).json()
    assert first["total"] == second["total"] == total and len(first["orders"]) == len(second["orders"]) == 2
    assert not {o["id"] for o in first["orders"]} & {o["id"] for o in second["orders"]}
    leads = app_client.get("/api/v1/dispatches", params={"role": "lead", "limit": 1000}, headers=op).json()
    assert leads["orders"] and {o["role"] for o in leads["orders"]} == {"lead"}
    assert leads["total"] + app_client.get("/api/v1/dispatches", params={"role": "assist", "limit": 1},
                                           headers=op).json()["total"] == total
    mine = [o for o in everything["orders"] if o["case_id"] in made]
    assert [(o["case_id"], o["role"]) for o in mine if o["stale"]] == [(made[0], "lead")]
    town = app_client.get("/api/v1/dispatches", params={"town": "449901001000", "case_status": "triaged",
                                                        "status": "dispatched", "limit": 1000}, headers=op).json()
    assert {o["case_id"] for o in town["orders"]} >= set(made)
    assert {o["town_code"] for o in town["orders"]} == {"449901001000"}
    none = app_client.get("/api/v1/dispatches", params={"town": "449901002000", "limit": 1000}, headers=op).json()
    assert not {o["case_id"] for o in none["orders"]} & set(made)
    assert app_client.get("/api/v1/dispatches", params={"status": "cancelled"}, headers=op).status_code == 422
