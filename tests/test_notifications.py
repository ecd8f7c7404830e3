"""Notifications: a row per recipient and channel, each person reads only their own; triggers and the outbox."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gis.cases.book import load_rules
from gis.cases.loop import sweep_deadlines
from gis.notify import kinds
from gis.notify.outbox import backoff, deliver_due, enqueue
from gis.notify.senders import local_senders
from gis.notify.triggers import on_rising_village
from gis.settings import DatabaseSettings
from gis.staff.roster import StaffRecord
from gis.storage import staff as staff_store
from gis.storage.pool import connect
from tests.conftest import make_token, settle

LON, LAT = 114.6471302, 24.0688967  # 隆联街道 / 坪湾社区 / 第7网格
TOWN = "449901001000"  # 隆联街道
KM_LON = 1000 / (111_320 * math.cos(math.radians(LAT)))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def user_id(db: DatabaseSettings, username: str) -> int:
    with connect(db) as c:
        row = c.execute("SELECT id FROM users WHERE username = %s", (username,)).fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture(scope="module")
def crew(db_settings: DatabaseSettings) -> Iterator[dict[str, int]]:
    records = [StaffRecord(staff_code=code, name=name, role="mediator", skills=("02",), territory=(),
                           home_lon=LON + km * KM_LON, home_lat=LAT, capacity=2)
               for code, name, km in (("NT1", "通知甲", 0.1), ("NT2", "通知乙", 0.2), ("NT3", "通知丙", 0.3))]
    with connect(db_settings) as c:
        staff_store.upsert_staff(c, records=records)
        c.commit()
        ids = {code: int(i) for code, i in c.execute("SELECT staff_code, id FROM staff WHERE staff_code LIKE 'NT%'")}
    yield ids
    with connect(db_settings) as c:
        c.execute("UPDATE staff SET active = false WHERE staff_code LIKE 'NT%'")
        c.commit()


def new_case(client: TestClient, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    settle(client, timeout=180)
    body = {"category": "0201", "source_channel": "walk_in", "description": "通知测试", "lon": LON, "lat": LAT,
            **extra}
    made = client.post("/api/v1/cases", json=body, headers={"Idempotency-Key": str(uuid.uuid4()), **headers})
    assert made.status_code == 201, made.text
    settle(client)
    return dict(made.json())


def mine(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    got = client.get("/api/v1/notifications", params=params, headers=headers)
    assert got.status_code == 200, got.text
    return dict(got.json())


def test_a_decline_notifies_the_dispatcher_and_the_towns_operators_only(
        app_client: TestClient, db_settings: DatabaseSettings, crew: dict[str, int]) -> None:
    dispatcher = bearer(make_token(db_settings, "nt-dispatcher", "operator"))
    town_op = bearer(make_token(db_settings, "nt-town-op", "operator", town_code=TOWN))
    other_town = bearer(make_token(db_settings, "nt-other-op", "operator", town_code="449901002000"))
    field = bearer(make_token(db_settings, "nt-field", "field", staff_code="NT2"))
    before = mine(app_client, town_op)["unread"]
    case = new_case(app_client, dispatcher)
    sent = app_client.post(f"/api/v1/cases/{case['id']}/dispatches", headers=dispatcher,
                           json={"staff": [{"staff_id": crew["NT1"], "role": "lead"},
                                           {"staff_id": crew["NT2"], "role": "assist"}]})
    assert sent.status_code == 201, sent.text
    order = next(o for o in sent.json()["orders"] if o["staff_code"] == "NT2")
    declined = app_client.patch(f"/api/v1/dispatches/{order['id']}", headers=field,
                                json={"status": "declined", "reason": "正在处理另一起纠纷"})
    assert declined.status_code == 200, declined.text
    for who in (dispatcher, town_op):
        got = mine(app_client, who)
        row = next(n for n in got["items"] if n["case_id"] == case["id"])
        assert (row["kind"], row["kind_label"], row["channel"]) == ("order_declined", "拒单", "console")
        assert row["title"] == f"通知乙（协办）拒单：{case['case_no']}" and row["body"] == "原因：正在处理另一起纠纷"
        assert row["case_no"] == case["case_no"] and row["status"] == "pending"
    assert mine(app_client, town_op)["unread"] == before + 1
    assert all(n["case_id"] != case["id"] for n in mine(app_client, other_town)["items"])
    assert all(n["case_id"] != case["id"] for n in mine(app_client, field)["items"])  # the decliner is not told


def test_each_person_reads_and_marks_only_their_own(app_client: TestClient, db_settings: DatabaseSettings) -> None:
    alice = bearer(make_token(db_settings, "nt-alice", "operator", town_code="449901003000"))
    bob = bearer(make_token(db_settings, "nt-bob", "operator", town_code="449901003000"))
    with connect(db_settings) as c:
        enqueue(c, kinds.Notice("case_new", "给甲的通知", dedup_key=f"own:{uuid.uuid4()}"),
                user_ids=[user_id(db_settings, "nt-alice")])
        c.commit()
    alices = mine(app_client, alice)
    row = next(n for n in alices["items"] if n["title"] == "给甲的通知")
    assert all(n["title"] != "给甲的通知" for n in mine(app_client, bob)["items"])
    # Bob names Alice's notification: nothing changes.
    assert app_client.post("/api/v1/notifications/read", json={"ids": [row["id"]]}, headers=bob).json()["marked"] == 0
    assert mine(app_client, alice, unread=True)["unread"] == alices["unread"]
    marked = app_client.post("/api/v1/notifications/read", json={"ids": [row["id"]]}, headers=alice).json()
    assert marked == {"marked": 1, "unread": alices["unread"] - 1}
    again = next(n for n in mine(app_client, alice)["items"] if n["id"] == row["id"])
    assert again["status"] == "read" and again["read_at"] is not None
    assert app_client.post("/api/v1/notifications/read", json={}, headers=alice).json()["unread"] == 0
    bad = app_client.post("/api/v1/notifications/read", json={"ids": "all"}, headers=alice)
    assert bad.status_code == 422
    # The sound setting is kept per person, off until turned on.
    assert app_client.get("/api/v1/notifications/preferences", headers=alice).json() == {"sound": False}
    assert app_client.put("/api/v1/notifications/preferences", json={"sound": True}, headers=alice).json() == \
        {"sound": True}
    assert app_client.get("/api/v1/notifications/preferences", headers=alice).json() == {"sound": True}
    assert app_client.get("/api/v1/notifications/preferences", headers=bob).json() == {"sound": False}
    assert app_client.get("/api/v1/notifications").status_code == 401


def test_red_case_supervision_and_a_field_case_notify_the_region(
        app_client: TestClient, db_settings: DatabaseSettings) -> None:
    operator = bearer(make_token(db_settings, "nt-red-op", "operator", town_code=TOWN))
    field = bearer(make_token(db_settings, "nt-finder", "field", staff_code="NT3"))
    found = new_case(app_client, field, source_channel="grid_worker")
    arrived = next(n for n in mine(app_client, operator)["items"] if n["case_id"] == found["id"])
    assert arrived["kind"] == "case_new" and arrived["title"] == f"新案件：{found['case_no']}（网格员上报）"
    walk_in = new_case(app_client, operator)
    assert all(n["case_id"] != walk_in["id"] for n in mine(app_client, operator)["items"])  # typed in: no news
    with connect(db_settings) as c:
        c.execute("UPDATE cases SET due_at = now() - interval '1 hour' WHERE id = %s", (walk_in["id"],))
        c.commit()
        sweep_deadlines(c, rules=load_rules(), now=datetime.now(UTC))
        c.commit()
        sweep_deadlines(c, rules=load_rules(), now=datetime.now(UTC) + timedelta(minutes=5))  # no second notice
        c.commit()
    red = [n for n in mine(app_client, operator)["items"] if n["case_id"] == walk_in["id"]]
    assert [(n["kind"], n["title"]) for n in red] == [("case_red", f"红色预警：{walk_in['case_no']} 已超期")]


def test_a_rising_village_notifies_its_towns_users(db_settings: DatabaseSettings, app_client: TestClient) -> None:
    town_user = bearer(make_token(db_settings, "nt-trend-sup", "supervisor", town_code=TOWN))
    with connect(db_settings) as c:
        made = on_rising_village(c, village_code="449901001008", village_name="坪湾社区", town_code=TOWN,
                                 week="2026-W40", recent=9, expected=2.5)
        again = on_rising_village(c, village_code="449901001008", village_name="坪湾社区", town_code=TOWN,
                                  week="2026-W40", recent=9, expected=2.5)
        c.commit()
    assert made >= 1 and again == 0
    row = next(n for n in mine(app_client, town_user)["items"] if n["kind"] == "trend_rising")
    assert row["title"] == "上升趋势预警：坪湾社区" and row["body"] == "2026-W40 前四周报告 9 件，按往期应约 2.5 件"


class Flaky:
    def __init__(self) -> None:
        self.calls = 0

    def send(self, row: dict[str, Any]) -> None:
        self.calls += 1
        raise ConnectionError("gateway down")


def test_the_outbox_delivers_to_the_sink_and_backs_off_on_failure(db_settings: DatabaseSettings,
                                                                  tmp_path: Path) -> None:
    make_token(db_settings, "nt-sms", "operator")
    uid = user_id(db_settings, "nt-sms")
    key = f"sink:{uuid.uuid4()}"
    now = datetime.now(UTC) + timedelta(seconds=5)
    with connect(db_settings) as c:
        c.execute("UPDATE notifications SET status = 'sent' WHERE status = 'pending'")  # earlier tests' rows
        enqueue(c, kinds.Notice("case_red", "短信通知", "正文", dedup_key=key), user_ids=[uid],
                channels=("console", "sms"))
        c.commit()
        done = deliver_due(c, senders=local_senders(tmp_path), max_attempts=3, backoff_s=30, now=now)
        c.commit()
        assert (done.sent, done.retrying, done.failed) == (2, 0, 0)
        files = list((tmp_path / "sms").glob("*.json"))
        assert len(files) == 1
        message = json.loads(files[0].read_text(encoding="utf-8"))
        assert (message["username"], message["title"], message["body"], message["channel"]) == \
            ("nt-sms", "短信通知", "正文", "sms")
        # A failing gateway: retried after 30 s, then 60 s, then given up (status failed) at the third try.
        enqueue(c, kinds.Notice("case_red", "网关故障", dedup_key=key + ":2"), user_ids=[uid], channels=("wecom",))
        c.commit()
        flaky = Flaky()
        outcomes = []
        for at in (now, now + timedelta(seconds=31), now + timedelta(seconds=92), now + timedelta(seconds=200)):
            d = deliver_due(c, senders={"wecom": flaky}, max_attempts=3, backoff_s=30, now=at)
            c.commit()
            outcomes.append((d.sent, d.retrying, d.failed))
        row = c.execute("SELECT status, attempts, last_error FROM notifications WHERE dedup_key = %s",
                        (key + ":2",)).fetchone()
    assert outcomes == [(0, 1, 0), (0, 1, 0), (0, 0, 1), (0, 0, 0)] and flaky.calls == 3
    assert row == ("failed", 3, "ConnectionError: gateway down")
    assert [backoff(n, 30).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
