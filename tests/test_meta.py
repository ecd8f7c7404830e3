"""One source of truth: the schema's CHECK constraints and /api/v1/meta say what the code defines once."""

from __future__ import annotations

import re

import psycopg
import pytest
from fastapi.testclient import TestClient

from gis.cases.models import SEVERITY_LABELS, WARNING_LABELS
from gis.policy import Role
from gis.staff.orders import ORDER_ROLES, ORDER_STATUSES
from gis.staff.roster import DUTY_LABELS, STAFF_ROLE_LABELS


def check_values(conn: psycopg.Connection, table: str, column: str) -> set[str]:
    rows = conn.execute(
        "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid"
        " WHERE t.relname = %s AND c.contype = 'c'", (table,)).fetchall()
    for (definition,) in rows:
        if not re.search(rf"\b{column}\b", definition):
            continue
        if "ARRAY" in definition:
            return set(re.findall(r"'([a-z_0-9]+)'::text", definition))
        rendered = re.search(r"= ANY \((fq_[a-z_]+)\(\)\)", definition)  # a list rendered from Python
        if rendered:
            row = conn.execute(f"SELECT {rendered.group(1)}()").fetchone()
            assert row is not None
            return set(row[0])
    raise AssertionError(f"no CHECK on {table}.{column}")


@pytest.mark.parametrize("table, column, expected", [
    ("users", "role", {str(r) for r in Role}),
    ("cases", "severity", set(SEVERITY_LABELS)),
    ("cases", "warning_level", set(WARNING_LABELS)),
    ("dispatch_orders", "status", set(ORDER_STATUSES)),
    ("dispatch_orders", "role", set(ORDER_ROLES)),
    ("staff", "role", set(STAFF_ROLE_LABELS)),
    ("staff", "duty_status", set(DUTY_LABELS)),
])
def test_check_constraints_match_the_code(conn: psycopg.Connection, table: str, column: str,
                                          expected: set[str]) -> None:
    assert check_values(conn, table, column) == expected


def test_meta_serves_every_label_from_its_one_definition(app_client: TestClient) -> None:
    meta = app_client.get("/api/v1/meta")
    assert meta.status_code == 200
    body = meta.json()
    assert body["open_states"] == ["registered", "triaged", "handling", "escalated", "resolved", "follow_up",
                                   "evaluated"]
    assert {s["code"]: s["label"] for s in body["states"]}["closed"] == "已结案"
    assert {a["name"] for a in body["actions"]} == {"triage", "accept", "resolve", "escalate", "follow_up",
                                                    "evaluate", "close", "reopen", "return", "mark_duplicate"}
    assert {s["code"]: s["active"] for s in body["order_statuses"]} == {
        "dispatched": True, "accepted": True, "en_route": True, "on_scene": True, "completed": False,
        "declined": False, "returned": False, "cancelled": False}
    assert body["roles"]["auditor"] == "安全审计员"
    assert [t["label"] for t in body["tiers"]] == ["县（区）", "乡镇（街道）", "村（社区）", "网格"]
    assert {c["code"]: c["group_label"] for c in body["channels"]} == {
        "walk_in": "民情", "hotline_12345": "民情", "grid_worker": "民情", "app": "民情", "police_110": "警情",
        "petition": "访情", "online_opinion": "舆情", "court_referral": "诉情"}
    assert body["yellow_fraction"] == 0.67
