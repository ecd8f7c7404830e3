"""A case that ends (结案, 退回, 重复件) ends its orders: staff freed, phones told, no new orders on it."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gis.settings import DatabaseSettings
from gis.staff.roster import StaffRecord
from gis.storage import staff as store
from gis.storage.pool import connect
from tests.conftest import make_token, settle

LON, LAT = 114.6471302, 24.0688967  # 隆联街道 / 坪湾社区 / 第7网格
KM_LON = 1000 / (111_320 * math.cos(math.radians(LAT)))
ROSTER = [StaffRecord(staff_code=code, name=f"闭环{code}", role="mediator", skills=("02",), territory=(),
                      home_lon=LON + km * KM_LON, home_lat=LAT, capacity=1)
          for code, km in (("LE1", 0.1), ("LE2", 0.2), ("LE3", 0.3))]


@pytest.fixture(scope="module")
def staff_ids(db_settings: DatabaseSettings) -> Iterator[dict[str, int]]:
    with connect(db_settings) as c:
        store.upsert_staff(c, records=ROSTER)
        c.commit()
        ids = {code: int(i) for code, i in c.execute("SELECT staff_code, id FROM staff WHERE staff_code LIKE 'LE%'")}
    yield ids
    with connect(db_settings) as c:
        c.execute("UPDATE staff SET active = false WHERE staff_code LIKE 'LE%'")
        c.commit()


@pytest.fixture(scope="module")
def operator(db_settings: DatabaseSettings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db_settings, 'loop-operator', 'operator')}"}


def new_case(client: TestClient, headers: dict[str, str]) -> int:
    body = {"category": "0201", "source_channel": "walk_in", "description": "邻里纠纷", "lon": LON, "lat": LAT}
    response = client.post("/api/v1/cases", json=body, headers={"Idempotency-Key": str(uuid.uuid4()), **headers})
    assert response.status_code == 201, response.text
    settle(client)
    return int(response.json()["id"])


def dispatch(client: TestClient, headers: dict[str, str], case_id: int, *staff: tuple[int, str]) -> Any:
    return client.post(f"/api/v1/cases/{case_id}/dispatches", headers=headers,
                       json={"staff": [{"staff_id": s, "role": r} for s, r in staff]})


def move(client: TestClient, headers: dict[str, str], case_id: int, action: str, **fields: Any) -> None:
    response = client.post(f"/api/v1/cases/{case_id}/transitions", json={"action": action, **fields},
                           headers=headers)
    assert response.status_code == 200, response.text


def orders(client: TestClient, headers: dict[str, str], case_id: int) -> list[tuple[str, str, str | None]]:
    body = client.get(f"/api/v1/cases/{case_id}/dispatches", headers=headers).json()
    return [(o["role"], o["status"], o["end_reason"]) for o in body["orders"]]


def test_closing_ends_lead_and_assists_frees_staff_and_refuses_new_orders(
        app_client: TestClient, operator: dict[str, str], staff_ids: dict[str, int]) -> None:
    case_id = new_case(app_client, operator)
    made = dispatch(app_client, operator, case_id, (staff_ids["LE1"], "lead"), (staff_ids["LE2"], "assist"),
                    (staff_ids["LE3"], "assist"))
    assert made.status_code == 201, made.text
    # Sending the lead hands the registered case on (分流).
    assert app_client.get(f"/api/v1/cases/{case_id}", headers=operator).json()["status"] == "triaged"
    start = app_client.get("/api/v1/events", params={"once": True, "after": 0}, headers=operator).text
    last_id = max(int(line[4:]) for line in start.splitlines() if line.startswith("id: "))
    for action, fields in (("accept", {}), ("resolve", {"note": "已调解"}), ("follow_up", {}),
                           ("evaluate", {"satisfaction": 5}), ("close", {})):
        move(app_client, operator, case_id, action, **fields)
    assert orders(app_client, operator, case_id) == [("lead", "cancelled", "case_closed"),
                                                     ("assist", "cancelled", "case_closed"),
                                                     ("assist", "cancelled", "case_closed")]
    # The phones and consoles learn it from the live stream.
    replay = app_client.get("/api/v1/events", params={"once": True, "after": last_id}, headers=operator).text
    assert replay.count("case_closed") == 3
    # Each had capacity 1: the slots are free again for another case.
    other = new_case(app_client, operator)
    again = dispatch(app_client, operator, other, (staff_ids["LE1"], "lead"), (staff_ids["LE2"], "assist"),
                     (staff_ids["LE3"], "assist"))
    assert again.status_code == 201, again.text
    # Nobody is sent to the closed case.
    refused = dispatch(app_client, operator, case_id, (staff_ids["LE1"], "assist"))
    assert refused.status_code == 409
    assert refused.json()["error"]["reason"] == "case_ended"
    move(app_client, operator, other, "return", note="不属于受理范围")
    assert {o[2] for o in orders(app_client, operator, other)} == {"case_returned"}


def test_returning_and_marking_duplicate_end_orders_with_their_reason(
        app_client: TestClient, operator: dict[str, str], staff_ids: dict[str, int]) -> None:
    first = new_case(app_client, operator)
    returned = new_case(app_client, operator)
    assert dispatch(app_client, operator, returned, (staff_ids["LE2"], "assist")).status_code == 201
    # An assistant alone does not hand the case on.
    assert app_client.get(f"/api/v1/cases/{returned}", headers=operator).json()["status"] == "registered"
    move(app_client, operator, returned, "return", note="不属于受理范围")
    assert orders(app_client, operator, returned) == [("assist", "cancelled", "case_returned")]
    duplicate = new_case(app_client, operator)
    assert dispatch(app_client, operator, duplicate, (staff_ids["LE2"], "lead")).status_code == 201
    move(app_client, operator, duplicate, "mark_duplicate", duplicate_of=first)
    assert orders(app_client, operator, duplicate) == [("lead", "cancelled", "case_duplicate")]
    body = app_client.get(f"/api/v1/cases/{duplicate}/dispatches", headers=operator).json()
    assert body["orders"][0]["reason"] == "案件状态变为“重复件”，派单随之撤销"
    # An open case's orders are untouched by another case ending.
    assert dispatch(app_client, operator, first, (staff_ids["LE2"], "assist")).status_code == 201
    assert orders(app_client, operator, first) == [("assist", "dispatched", None)]
