"""The case loop over HTTP: intake, routing, the state machine, idempotency, scope, warnings, related cases."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from gis.cases.book import load_rules
from gis.cases.loop import sweep_deadlines
from gis.settings import DatabaseSettings
from gis.storage.pool import connect
from tests.conftest import make_token

POINT = {"lon": 114.6471302, "lat": 24.0688967}  # 隆联街道 / 坪湾社区 / 第7网格
TOWN = "449901001000"
OTHER_TOWN = "449901100000"


@pytest.fixture(scope="module")
def operator(db_settings: DatabaseSettings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db_settings, 'case-operator', 'operator')}"}


@pytest.fixture(scope="module")
def town_operator(db_settings: DatabaseSettings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db_settings, 'town-op', 'operator', TOWN)}"}


@pytest.fixture(scope="module")
def other_town_operator(db_settings: DatabaseSettings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db_settings, 'other-town-op', 'operator', OTHER_TOWN)}"}


def new_case(client: TestClient, headers: dict[str, str], **overrides: Any) -> Any:
    body = {"category": "0201", "source_channel": "walk_in", "description": "楼上装修噪音扰民", **POINT}
    body.update(overrides)
    response = client.post("/api/v1/cases", json=body, headers=with_key(headers))
    assert response.status_code == 201, response.text
    return response.json()


def with_key(headers: dict[str, str]) -> dict[str, str]:
    """Every new case is posted with an Idempotency-Key (required: 428 without)."""
    return {"Idempotency-Key": str(uuid.uuid4()), **headers}


def count_cases(db: DatabaseSettings) -> int:
    with connect(db) as c:
        row = c.execute("SELECT count(*) FROM cases").fetchone()
        assert row is not None
        return int(row[0])


def test_intake_locates_and_routes(app_client: TestClient, operator: dict[str, str]) -> None:
    case = new_case(app_client, operator, parties=[{"name": "王小明", "id_number": "441624199001011234",
                                                    "phone": "13800001234"}])
    assert (case["grid_code"], case["village_code"], case["town_code"], case["county_code"]) == (
        "449901001008007", "449901001008", "449901001000", "449901")
    assert case["status"] == "registered" and case["status_label"] == "登记受理"
    assert case["located_by"] == "point" and case["locate_evidence"]["method"] == "raster"
    assert case["handling_tier"] == 3 and case["handling_unit"] == "坪湾社区人民调解委员会"
    assert case["case_no"] == f"AJ{case['id']:08d}"
    labour = new_case(app_client, operator, category="0401", severity="high")
    assert labour["handling_tier"] == 2 and labour["handling_unit"] == "隆联街道（人社所）"
    mass = new_case(app_client, operator, category="1002")
    assert mass["handling_tier"] == 1


def test_intake_by_grid_code_only(app_client: TestClient, operator: dict[str, str]) -> None:
    case = new_case(app_client, operator, lon=None, lat=None, grid_code="449901100001001")
    assert case["located_by"] == "grid_code" and case["lon"] is None
    assert (case["village_code"], case["town_code"]) == ("449901100001", "449901100000")
    bad = app_client.post("/api/v1/cases", headers=with_key(operator), json={
        "category": "0201", "source_channel": "walk_in", "description": "x", "grid_code": "449901100001"})
    assert bad.status_code == 422 and bad.json()["error"]["reason"] == "not_a_grid"


def test_gcj02_intake_lands_in_the_same_grid(app_client: TestClient, operator: dict[str, str]) -> None:
    from gis.crs import wgs84_to_gcj02

    lon, lat = wgs84_to_gcj02(POINT["lon"], POINT["lat"])
    case = new_case(app_client, operator, lon=float(lon), lat=float(lat), crs="gcj02")
    assert case["grid_code"] == "449901001008007"
    assert case["lon"] == pytest.approx(POINT["lon"], abs=1e-8)


def move(client: TestClient, headers: dict[str, str], case_id: int, action: str, **fields: Any) -> Any:
    return client.post(f"/api/v1/cases/{case_id}/transitions", json={"action": action, **fields}, headers=headers)


def test_full_loop_with_escalation(app_client: TestClient, operator: dict[str, str]) -> None:
    case = new_case(app_client, operator)
    cid = case["id"]
    assert move(app_client, operator, cid, "triage").json()["status"] == "triaged"
    assert move(app_client, operator, cid, "accept").json()["status"] == "handling"
    escalated = move(app_client, operator, cid, "escalate", note="村级调解不成，上报镇").json()
    assert (escalated["status"], escalated["handling_tier"], escalated["handling_unit"]) == (
        "escalated", 2, "隆联街道人民调解委员会")
    assert escalated["due_at"] > case["due_at"]
    for action, fields, state in [("accept", {}, "handling"), ("resolve", {"note": "双方达成协议"}, "resolved"),
                                  ("follow_up", {}, "follow_up"), ("evaluate", {"satisfaction": 5}, "evaluated"),
                                  ("close", {}, "closed")]:
        response = move(app_client, operator, cid, action, **fields)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == state
    detail = app_client.get(f"/api/v1/cases/{cid}", headers=operator).json()
    assert [(t["action"], t["to_state"]) for t in detail["timeline"]] == [
        ("register", "registered"), ("triage", "triaged"), ("accept", "handling"), ("escalate", "escalated"),
        ("accept", "handling"), ("resolve", "resolved"), ("follow_up", "follow_up"), ("evaluate", "evaluated"),
        ("close", "closed")]
    assert all(t["actor_name"] == "case-operator" for t in detail["timeline"])
    assert detail["satisfaction"] == 5 and detail["closed_at"] is not None
    assert detail["allowed_actions"] == []


def test_illegal_moves(app_client: TestClient, operator: dict[str, str]) -> None:
    cid = new_case(app_client, operator)["id"]
    illegal = move(app_client, operator, cid, "resolve", note="x")
    assert illegal.status_code == 409
    assert illegal.json()["error"] == {
        "reason": "illegal_transition", "message": "案件当前状态下不能进行该操作",
        "detail": "cannot resolve a case that is registered", "state": "registered",
        "allowed": ["triage", "return", "mark_duplicate"]}
    assert move(app_client, operator, cid, "return").json()["error"]["reason"] == "missing_field"
    assert move(app_client, operator, cid, "fly").json()["error"]["reason"] == "unknown_action"
    returned = move(app_client, operator, cid, "return", note="不属于受理范围")
    assert returned.json()["status"] == "returned"
    again = move(app_client, operator, cid, "triage")
    assert again.status_code == 409 and again.json()["error"]["state"] == "returned"
    cid2 = new_case(app_client, operator)["id"]
    for action in ("triage", "accept", "resolve"):
        move(app_client, operator, cid2, action, note="办结")
    move(app_client, operator, cid2, "follow_up")
    no_score = move(app_client, operator, cid2, "evaluate")
    assert no_score.status_code == 422 and no_score.json()["error"]["missing"] == ["satisfaction"]
    assert move(app_client, operator, cid2, "evaluate", satisfaction=9).json()["error"]["reason"] == (
        "invalid_satisfaction")


def test_idempotent_retries(app_client: TestClient, operator: dict[str, str], db_settings: DatabaseSettings) -> None:
    body = {"category": "0501", "source_channel": "hotline_12345", "description": "借款纠纷", **POINT}
    headers = {**operator, "Idempotency-Key": "retry-1"}
    first = app_client.post("/api/v1/cases", json=body, headers=headers)
    second = app_client.post("/api/v1/cases", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"] and second.json()["created"] is False
    changed = app_client.post("/api/v1/cases", json={**body, "description": "另一件事"}, headers=headers)
    assert changed.status_code == 409 and changed.json()["error"]["reason"] == "idempotency_key_reused"
    before = count_cases(db_settings)
    results: list[Any] = []
    barrier = threading.Barrier(2)

    def post() -> None:
        barrier.wait()
        results.append(app_client.post("/api/v1/cases", json=body, headers={**operator, "Idempotency-Key": "race"}))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in results) == [200, 201]
    assert len({r.json()["id"] for r in results}) == 1
    assert count_cases(db_settings) == before + 1


def test_town_scope_and_audit(app_client: TestClient, operator: dict[str, str], town_operator: dict[str, str],
                              other_town_operator: dict[str, str], conn: psycopg.Connection) -> None:
    cid = new_case(app_client, operator, parties=[{"name": "李四", "phone": "13912345678"}])["id"]
    assert app_client.get(f"/api/v1/cases/{cid}", headers=town_operator).status_code == 200
    hidden = app_client.get(f"/api/v1/cases/{cid}", headers=other_town_operator)
    assert hidden.status_code == 404 and hidden.json()["error"]["reason"] == "case_not_found"
    assert move(app_client, other_town_operator, cid, "triage").status_code == 404
    listed = app_client.get("/api/v1/cases", headers=other_town_operator).json()
    assert all(item["town_code"] == OTHER_TOWN for item in listed["items"])
    assert cid not in {item["id"] for item in listed["items"]}
    mine = app_client.get("/api/v1/cases", params={"limit": 500}, headers=town_operator).json()
    assert cid in {item["id"] for item in mine["items"]}
    outside = app_client.post("/api/v1/cases", headers=with_key(other_town_operator), json={
        "category": "0201", "source_channel": "walk_in", "description": "x", **POINT})
    assert outside.status_code == 422 and outside.json()["error"]["reason"] == "outside_scope"
    audit = conn.execute("SELECT username, detail->>'parties' FROM audit_log WHERE action = 'case.read'"
                         " AND object_id = %s ORDER BY id", (str(cid),)).fetchall()
    assert audit == [("town-op", "full")]
    assert app_client.get("/api/v1/cases/1", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_masked_parties_for_field_staff(app_client: TestClient, operator: dict[str, str],
                                        db_settings: DatabaseSettings) -> None:
    field = {"Authorization": f"Bearer {make_token(db_settings, 'field-1', 'field')}"}
    # a grid worker registers a case on the spot: they see it again, parties masked
    cid = new_case(app_client, field, parties=[{"name": "欧阳春花", "phone": "13912345678",
                                                "id_number": "44162419800101567X"}])["id"]
    parties = app_client.get(f"/api/v1/cases/{cid}", headers=field).json()["parties"]
    assert [{k: v for k, v in p.items() if k != "id"} for p in parties] == [
        {"role": "applicant", "name": "欧**花", "id_masked": "4416**********567X",
                        "phone": "139****5678", "village_code": None}]


def test_deadline_warnings_and_overdue(app_client: TestClient, operator: dict[str, str],
                                       conn: psycopg.Connection) -> None:
    case = new_case(app_client, operator, category="0202", severity="low")
    row = conn.execute("SELECT created_at, due_at FROM cases WHERE id = %s", (case["id"],)).fetchone()
    assert row is not None
    created, due = row
    assert due - created == timedelta(hours=72)  # 邻里 low severity stays in the grid: 72 h
    rules = load_rules()
    yellow_at = created + (due - created) * 0.7
    counts = sweep_deadlines(conn, rules=rules, now=yellow_at)
    assert counts["yellow"] >= 1
    assert conn.execute("SELECT warning_level FROM cases WHERE id = %s", (case["id"],)).fetchone() == ("yellow",)
    counts = sweep_deadlines(conn, rules=rules, now=due + timedelta(minutes=1))
    assert counts["red"] >= 1
    records = conn.execute("SELECT level, reason FROM case_supervisions WHERE case_id = %s ORDER BY id",
                           (case["id"],)).fetchall()
    assert records == [("yellow", "办理时限已用67%"), ("red", "已超期")]  # yellow_fraction 0.67 in routing.toml
    assert sweep_deadlines(conn, rules=rules, now=due + timedelta(hours=2))["red"] == 0  # once per tier
    conn.execute("UPDATE cases SET due_at = now() - interval '1 hour' WHERE id = %s", (case["id"],))
    conn.commit()
    overdue = app_client.get("/api/v1/cases", params={"overdue": "true", "limit": 500}, headers=operator).json()
    assert case["id"] in {item["id"] for item in overdue["items"]}
    assert all(item["due_at"] for item in overdue["items"])


def test_nearby_and_repeat_cases(app_client: TestClient, operator: dict[str, str]) -> None:
    party = [{"name": "赵六", "id_number": "441624197001011111"}]
    first = new_case(app_client, operator, category="0601", parties=party)
    nearby_point = {"lon": POINT["lon"] + 0.001, "lat": POINT["lat"]}  # ~100 m east
    second = new_case(app_client, operator, category="0602", parties=party, **nearby_point)
    near = {c["id"]: c for c in second["related"]["nearby"]}
    assert first["id"] in near and near[first["id"]]["distance_m"] == pytest.approx(101.7, abs=2)
    assert first["id"] in {c["id"] for c in second["related"]["same_party"]}
    far = new_case(app_client, operator, category="0601", lon=114.58683794, lat=23.92621415)
    assert first["id"] not in {c["id"] for c in far["related"]["nearby"]}
    dup = move(app_client, operator, second["id"], "mark_duplicate", duplicate_of=first["id"])
    assert dup.json()["status"] == "duplicate" and dup.json()["duplicate_of"] == first["id"]


@pytest.mark.parametrize("body, status, reason", [
    ({"lon": 24.0688967, "lat": 114.6471302}, 422, "lat_lon_swapped"),
    ({"lon": 2.35, "lat": 48.85}, 422, "outside_china"),
    ({"lon": 114.0, "lat": 24.0}, 422, "outside_coverage"),
    ({"category": "9999"}, 422, "unknown_category"),
    ({"source_channel": "pigeon"}, 422, "unknown_source_channel"),
    ({"description": "长" * 200_000}, 422, "description_too_long"),  # 600 KB: under the body limit (2 MB)
    ({"lon": None, "lat": None}, 422, "missing_location"),
    ({"severity": "apocalyptic"}, 422, "unknown_severity"),
])
def test_bad_intake_writes_nothing(app_client: TestClient, operator: dict[str, str], db_settings: DatabaseSettings,
                                   body: dict[str, Any], status: int, reason: str) -> None:
    before = count_cases(db_settings)
    full = {"category": "0201", "source_channel": "walk_in", "description": "x", **POINT, **body}
    response = app_client.post("/api/v1/cases", json=full, headers=with_key(operator))
    assert response.status_code == status and response.json()["error"]["reason"] == reason
    assert count_cases(db_settings) == before


def test_nan_and_missing_fields(app_client: TestClient, operator: dict[str, str]) -> None:
    raw = '{"category": "0201", "source_channel": "walk_in", "description": "x", "lon": NaN, "lat": 24.1}'
    nan = app_client.post("/api/v1/cases", content=raw,
                          headers={**with_key(operator), "Content-Type": "application/json"})
    assert nan.status_code == 422 and nan.json()["error"]["problems"][0]["field"] == "body.lon"
    missing = app_client.post("/api/v1/cases", json={"source_channel": "walk_in", "description": "x"},
                              headers=with_key(operator))
    assert missing.status_code == 422
    assert {p["field"] for p in missing.json()["error"]["problems"]} == {"body.category"}
