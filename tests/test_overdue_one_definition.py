"""One definition of overdue: the console's list, the overdue board, the statistics and the weekly briefing agree.

A database of its own holds only the cases built here, so every figure is a known answer.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from gis.cases.book import load_rules
from gis.hotspots.briefing import weekly_briefing
from gis.hotspots.filters import iso_week_window
from gis.hotspots.levels import load_level_rules
from gis.hotspots.service import weights_now
from gis.settings import AppSettings, DatabaseSettings
from gis.storage.database import drop_database
from gis.storage.pool import connect
from tests.conftest import make_token, sample_database, settle

LON, LAT = 114.6471302, 24.0688967  # 隆联街道 / 坪湾社区 / 第7网格
H = timedelta(hours=1)


@pytest.fixture(scope="module")
def own_db() -> Iterator[DatabaseSettings]:
    settings = sample_database(f"fengqiao_test_overdue_{os.getpid()}")
    yield settings
    drop_database(settings)


@pytest.fixture(scope="module")
def client(own_db: DatabaseSettings) -> Iterator[TestClient]:
    with TestClient(create_app(AppSettings(), own_db)) as c:
        yield c


def new_case(client: TestClient, headers: dict[str, str], *actions: dict[str, Any]) -> int:
    body = {"category": "0201", "source_channel": "walk_in", "description": "邻里纠纷", "lon": LON, "lat": LAT}
    made = client.post("/api/v1/cases", json=body, headers={"Idempotency-Key": str(uuid.uuid4()), **headers})
    assert made.status_code == 201, made.text
    case_id = int(made.json()["id"])
    for action in actions:
        moved = client.post(f"/api/v1/cases/{case_id}/transitions", json=action, headers=headers)
        assert moved.status_code == 200, moved.text
    return case_id


def test_console_board_statistics_and_briefing_count_the_same_overdue_cases(
        client: TestClient, own_db: DatabaseSettings) -> None:
    operator = {"Authorization": f"Bearer {make_token(own_db, 'overdue-operator', 'operator')}"}
    settle(client)
    triage, accept = {"action": "triage"}, {"action": "accept"}
    resolve = {"action": "resolve", "note": "已调解"}
    cases = {
        "registered_late": (new_case(client, operator), -2 * H, "none"),
        "handling_late": (new_case(client, operator, triage, accept), -1 * H, "red"),
        "triaged_late": (new_case(client, operator, triage), -3 * H, "none"),
        # Resolved late: waiting for the follow-up is not overdue (a separate figure).
        "resolved_late": (new_case(client, operator, triage, accept, resolve), -2 * H, "none"),
        # A yellow warning is on the board but not overdue.
        "handling_yellow": (new_case(client, operator, triage, accept), 30 * 24 * H, "yellow"),
        "returned_late": (new_case(client, operator, {"action": "return", "note": "不属于受理范围"}), -5 * H, "none"),
    }
    now = datetime.now(UTC)
    with connect(own_db) as conn:
        for case_id, due_in, warning in cases.values():
            conn.execute("UPDATE cases SET due_at = %s, warning_level = %s WHERE id = %s",
                         (now + due_in, warning, case_id))
        conn.commit()
    since = (now - 24 * H).isoformat()

    console = client.get("/api/v1/cases", params={"overdue": "true", "since": since, "limit": 1}, headers=operator)
    assert console.status_code == 200, console.text
    assert console.json()["total"] == 3  # a total, not the length of a page
    listed = client.get("/api/v1/cases", params={"overdue": "true", "limit": 50}, headers=operator).json()
    late = {cases[k][0] for k in ("registered_late", "handling_late", "triaged_late")}
    assert {item["id"] for item in listed["items"]} == late
    not_late = client.get("/api/v1/cases", params={"overdue": "false", "limit": 50}, headers=operator).json()
    assert not_late["total"] == 3

    board = client.get("/api/v1/overdue", params={"limit": 2}, headers=operator).json()
    assert (board["total"], board["overdue"]) == (4, 3)
    assert len(board["items"]) == 2
    full = client.get("/api/v1/overdue", params={"limit": 50}, headers=operator).json()
    assert {item["id"] for item in full["items"] if item["overdue"]} == late

    units = client.get("/api/v1/stats/units", params={"tier": "county", "since": since}, headers=operator)
    assert units.status_code == 200, units.text
    assert [u["overdue_open"] for u in units.json()["units"]] == [3]

    week = "{}-W{:02d}".format(*datetime.now(ZoneInfo("Asia/Shanghai")).isocalendar()[:2])
    with connect(own_db) as conn:
        briefing = weekly_briefing(conn, week=week, rules=load_rules(), level_rules=load_level_rules(),
                                   weights=weights_now(conn), now=iso_week_window(week)[1])
    assert [row["overdue_open"] for row in briefing.county.rows] == [3]
