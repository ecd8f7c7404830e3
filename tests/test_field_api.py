"""The field worker's phone through the API: the order card (the job, the team, the parties' phones for the
staff member sent, audited), progress notes queued on the phone, the history of completed orders, and
navigation links converted by the server to GCJ-02 and BD-09."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gis.settings import DatabaseSettings
from gis.staff.navigation import navigation
from gis.staff.roster import StaffRecord
from gis.storage import staff as staff_store
from gis.storage.pool import connect
from tests.conftest import make_token, settle

LON, LAT = 114.6471302, 24.0688967  # 隆联街道 / 坪湾社区 / 第7网格


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def world(app_client: TestClient, db_settings: DatabaseSettings, row_security_enforced: None
          ) -> Iterator[dict[str, Any]]:
    """A case with two parties; FC1 sent as lead (主办), FC2 as assistant (协办); FC3 not sent."""
    with connect(db_settings) as c:
        staff_store.upsert_staff(c, records=[
            StaffRecord(staff_code=code, name=name, role=role, skills=("02",), territory=(),
                        home_lon=LON + 0.001, home_lat=LAT, capacity=3)
            for code, name, role in (("FC1", "卡片甲", "grid_worker"), ("FC2", "卡片乙", "mediator"),
                                     ("FC3", "卡片丙", "grid_worker"))])
        c.commit()
        ids = {code: int(i) for code, i in c.execute("SELECT staff_code, id FROM staff WHERE staff_code LIKE 'FC%'")}
    operator = bearer(make_token(db_settings, "card-operator", "operator"))
    body = {"category": "0201", "source_channel": "walk_in", "description": "邻居院墙倒塌压坏菜地", "severity": "high",
            "lon": LON, "lat": LAT, "parties": [
                {"name": "张建国", "role": "applicant", "phone": "13812345678"},
                {"name": "李秀英", "role": "respondent", "phone": "13987654321"}]}
    made = app_client.post("/api/v1/cases", json=body, headers={"Idempotency-Key": uuid.uuid4().hex, **operator})
    assert made.status_code == 201, made.text
    case = made.json()
    settle(app_client)
    sent = app_client.post(f"/api/v1/cases/{case['id']}/dispatches", headers=operator, json={"staff": [
        {"staff_id": ids["FC1"], "role": "lead"}, {"staff_id": ids["FC2"], "role": "assist"}]})
    assert sent.status_code == 201, sent.text
    orders = {o["staff_code"]: o["id"] for o in sent.json()["orders"]}
    with connect(db_settings) as c:
        other_town = c.execute("SELECT code FROM areas a JOIN generations g ON g.id = a.generation_id"
                               " WHERE g.activated_at IS NOT NULL AND a.tier = 2 AND a.code <> %s ORDER BY code"
                               " LIMIT 1", (case["town_code"],)).fetchone()[0]  # type: ignore[index]
    yield {
        "case": case, "orders": orders, "operator": operator,
        "lead": bearer(make_token(db_settings, "card-lead", "field", staff_code="FC1")),
        "assist": bearer(make_token(db_settings, "card-assist", "field", staff_code="FC2")),
        "stranger": bearer(make_token(db_settings, "card-stranger", "field", staff_code="FC3")),
        "other_town": bearer(make_token(db_settings, "card-other", "operator", town_code=other_town)),
    }
    with connect(db_settings) as c:
        c.execute("UPDATE staff SET active = false WHERE staff_code LIKE 'FC%'")
        c.commit()


def phone_views(db_settings: DatabaseSettings, order_id: int) -> list[list[int]]:
    with connect(db_settings) as c:
        return [r[0]["party_ids"] for r in c.execute(
            "SELECT detail FROM audit_log WHERE action = 'party.phone_view' AND object_id = %s ORDER BY id",
            (str(order_id),))]


def test_the_card_holds_the_job_the_team_and_the_parties_phones_for_the_one_sent(
        app_client: TestClient, world: dict[str, Any], db_settings: DatabaseSettings) -> None:
    order_id = world["orders"]["FC1"]
    got = app_client.get(f"/api/v1/dispatches/{order_id}/card", headers=world["lead"])
    assert got.status_code == 200, got.text
    card = got.json()
    assert card["case"]["case_no"] == world["case"]["case_no"]
    assert card["case"]["category"]["code"] == "0201" and card["case"]["category"]["name"]
    assert (card["case"]["description"], card["case"]["severity_label"]) == ("邻居院墙倒塌压坏菜地", "重大")
    assert card["case"]["due_at"] == world["case"]["due_at"]
    assert [(t["staff_name"], t["role_label"], t["staff_role_label"], t["status_label"], t["me"])
            for t in card["team"]] == [("卡片甲", "主办", "网格员", "已派单", True),
                                       ("卡片乙", "协办", "调解员", "已派单", False)]
    assert [(p["name"], p["role_label"], p["phone"]) for p in card["parties"]] == [
        ("张建国", "申请人", "13812345678"), ("李秀英", "被申请人", "13987654321")]
    assert [(s["code"], s["action"]) for s in card["order"]["steps"]] == [("accepted", "接单"), ("declined", "拒单")]
    party_ids = [p["id"] for p in card["parties"]]
    assert phone_views(db_settings, order_id) == [party_ids]  # the view is audited, naming the parties
    app_client.get(f"/api/v1/dispatches/{order_id}/card", headers=world["lead"])
    assert phone_views(db_settings, order_id) == [party_ids, party_ids]  # each view


def test_others_see_masked_phones_or_nothing(app_client: TestClient, world: dict[str, Any],
                                            db_settings: DatabaseSettings) -> None:
    order_id = world["orders"]["FC1"]
    before = len(phone_views(db_settings, order_id))
    # The centre sees the card with masks (it reveals a value with a reason, audited on its own).
    card = app_client.get(f"/api/v1/dispatches/{order_id}/card", headers=world["operator"]).json()
    assert [p["phone"] for p in card["parties"]] == ["138****5678", "139****4321"]
    assert len(phone_views(db_settings, order_id)) == before
    # Another town's operator, the assistant (someone else's order) and a worker never sent: no such order.
    for who in ("other_town", "assist", "stranger"):
        assert app_client.get(f"/api/v1/dispatches/{order_id}/card", headers=world[who]).status_code == 404
    # The assistant's own card shows the phones (they are sent to meet the parties too).
    own = app_client.get(f"/api/v1/dispatches/{world['orders']['FC2']}/card", headers=world["assist"]).json()
    assert [p["phone"] for p in own["parties"]] == ["13812345678", "13987654321"]


def test_navigation_links_carry_gcj02_and_bd09_points(app_client: TestClient, world: dict[str, Any]) -> None:
    nav = app_client.get(f"/api/v1/dispatches/{world['orders']['FC1']}/card", headers=world["lead"]).json()[
        "navigation"]
    assert nav["wgs84"] == {"lon": 114.64713, "lat": 24.068897}
    assert nav["gcj02"] == {"lon": 114.651751, "lat": 24.06603}
    assert nav["bd09"] == {"lon": 114.65831, "lat": 24.071716}
    assert nav["links"]["amap"].startswith("https://uri.amap.com/marker?position=114.651751,24.06603&")
    assert "coordinate=gaode" in nav["links"]["amap"]
    assert nav["links"]["baidu"].startswith("https://api.map.baidu.com/marker?location=24.071716,114.65831&")
    assert "coord_type=bd09ll" in nav["links"]["baidu"]
    assert nav["links"]["geo"].startswith("geo:24.068897,114.64713?q=24.068897,114.64713(")


def test_navigation_outside_china_is_left_in_wgs84() -> None:
    nav = navigation(2.3522, 48.8566, "Paris")
    assert nav["gcj02"] == {"lon": 2.3522, "lat": 48.8566}  # GCJ-02 is China's only


def test_notes_are_kept_once_and_only_for_readers_of_the_case(app_client: TestClient, world: dict[str, Any]) -> None:
    case_id = world["case"]["id"]
    key = uuid.uuid4().hex
    note = {"body": "已到现场，双方情绪平稳", "dispatch_id": world["orders"]["FC1"], "client_key": key,
            "written_at": "2026-05-01T10:00:00+08:00"}
    first = app_client.post(f"/api/v1/cases/{case_id}/notes", json=note, headers=world["lead"])
    assert first.status_code == 201, first.text
    again = app_client.post(f"/api/v1/cases/{case_id}/notes", json=note, headers=world["lead"])
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    changed = app_client.post(f"/api/v1/cases/{case_id}/notes", json={**note, "body": "别的内容"},
                              headers=world["lead"])
    assert (changed.status_code, changed.json()["error"]["reason"]) == (409, "client_key_reused")
    listed = app_client.get(f"/api/v1/cases/{case_id}/notes", headers=world["operator"]).json()["notes"]
    assert [n["body"] for n in listed] == ["已到现场，双方情绪平稳"]
    for who in ("stranger", "other_town"):
        assert app_client.post(f"/api/v1/cases/{case_id}/notes", json={"body": "x"},
                               headers=world[who]).status_code == 404
        assert app_client.get(f"/api/v1/cases/{case_id}/notes", headers=world[who]).status_code == 404
    blank = app_client.post(f"/api/v1/cases/{case_id}/notes", json={"body": "   "}, headers=world["lead"])
    assert (blank.status_code, blank.json()["error"]["reason"]) == (422, "note_empty")
    card = app_client.get(f"/api/v1/dispatches/{world['orders']['FC1']}/card", headers=world["lead"]).json()
    assert [n["body"] for n in card["notes"]] == ["已到现场，双方情绪平稳"]


def test_history_lists_my_completed_orders_only(app_client: TestClient, world: dict[str, Any]) -> None:
    order_id = world["orders"]["FC2"]
    assert app_client.get("/api/v1/field/history", headers=world["assist"]).json()["orders"] == []
    for status in ("accepted", "en_route", "on_scene", "completed"):
        step = app_client.patch(f"/api/v1/dispatches/{order_id}", json={"status": status}, headers=world["assist"])
        assert step.status_code == 200, step.text
    done = app_client.get("/api/v1/field/history", headers=world["assist"]).json()["orders"]
    assert [(o["id"], o["case_no"], o["status_label"], o["role_label"]) for o in done] == [
        (order_id, world["case"]["case_no"], "已完成", "协办")]
    assert app_client.get("/api/v1/field/history", headers=world["lead"]).json()["orders"] == []
    assert app_client.get("/api/v1/field/history", headers=world["stranger"]).json()["orders"] == []
    # A completed order no longer shows the parties' phones in full: the job is done.
    card = app_client.get(f"/api/v1/dispatches/{order_id}/card", headers=world["assist"]).json()
    assert [p["phone"] for p in card["parties"]] == ["138****5678", "139****4321"]
    assert card["order"]["steps"] == []


def test_the_field_page_is_installable_with_a_worker_scoped_to_it(app_client: TestClient) -> None:
    worker = app_client.get("/field/sw.js")
    assert worker.status_code == 200
    assert worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["service-worker-allowed"] == "/field"  # the script lives under /field/, the page at /field
    manifest = app_client.get("/field/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert (body["start_url"], body["scope"], body["display"]) == ("/field", "/field", "standalone")
    for icon in body["icons"]:
        got = app_client.get(icon["src"])
        assert got.status_code == 200 and got.content.startswith(b"\x89PNG")
    assert 'rel="manifest" href="/field/manifest.webmanifest"' in app_client.get("/field").text
