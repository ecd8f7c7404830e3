"""考核 figures and the overdue board on a small hand-made dataset with literal answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import psycopg
import pytest

from gis.cases.book import load_rules
from gis.hotspots.kpi import facts_frame, figures
from gis.hotspots.overdue import board_filter, overdue_board, pending_states, supervision_list
from gis.hotspots.review import performance
from gis.models import Generation
from gis.policy import DatabaseScope
from gis.storage.row_security import scoped

T0 = datetime(2020, 3, 2, tzinfo=UTC)  # a Monday long before any other test's cases
UNTIL = T0 + timedelta(days=7)
H = timedelta(hours=1)
# The figures' overdue follows the workflow's states before resolution (fq_is_overdue).
perf = partial(performance, pending_states=load_rules().workflow.pending_states())
# The state each action leads to (the facts read a case's state at the period's end from its transitions).
TO_STATE = {"triage": "triaged", "accept": "handling", "resolve": "resolved", "escalate": "escalated",
            "follow_up": "follow_up", "evaluate": "evaluated", "return": "returned"}


def add_case(conn: psycopg.Connection, gen: Generation, user_id: int, *, town: str, village: str, grid: str,
             tier: int, status: str, created: datetime, due: datetime, satisfaction: int | None = None) -> int:
    row = conn.execute(
        "INSERT INTO cases (status, grid_code, village_code, town_code, county_code, generation_id, located_by,"
        " category_code, source_channel, description, severity, handling_tier, handling_unit, due_at,"
        " satisfaction, created_at, created_by) VALUES (%s, %s, %s, %s, 'KC', %s, 'grid_code', '0201', 'walk_in',"
        " '测试', 'medium', %s, '测试单位', %s, %s, %s, %s) RETURNING id",
        (status, grid, village, town, gen.id, tier, due, satisfaction, created, user_id)).fetchone()
    assert row is not None
    return int(row[0])


def steps(conn: psycopg.Connection, case_id: int, created: datetime, *actions: tuple[str, float]) -> None:
    conn.execute("INSERT INTO case_transitions (case_id, action, to_state, actor_name, at)"
                 " VALUES (%s, 'register', 'registered', 't', %s)", (case_id, created))
    for action, hours in actions:
        conn.execute("INSERT INTO case_transitions (case_id, action, to_state, actor_name, at)"
                     " VALUES (%s, %s, %s, 't', %s)", (case_id, action, TO_STATE[action], created + hours * H))


def lead(conn: psycopg.Connection, case_id: int, staff_id: int, status: str, at: datetime) -> None:
    conn.execute("INSERT INTO dispatch_orders (case_id, staff_id, slot, role, status, dispatched_at)"
                 " VALUES (%s, %s, 1, 'lead', %s, %s)", (case_id, staff_id, status, at))


@pytest.fixture
def dataset(conn: psycopg.Connection, active_generation: Generation) -> dict[str, Any]:
    gen = active_generation
    user = conn.execute("INSERT INTO users (username, role) VALUES ('kpi-test', 'operator') RETURNING id").fetchone()
    uid = int(user[0])  # type: ignore[index]
    s1, s2 = (int(conn.execute("INSERT INTO staff (staff_code, name, role) VALUES (%s, %s, 'mediator') RETURNING id",
                               (code, name)).fetchone()[0]) for code, name in (("KPI1", "甲"), ("KPI2", "乙")))  # type: ignore[index]
    conn.execute("SELECT fq_sync_staff_slots()")
    t = T0 + timedelta(hours=10)
    c1 = add_case(conn, gen, uid, town="KT1", village="KV1", grid="KG1", tier=4, status="closed", created=t,
                  due=t + 72 * H, satisfaction=5)
    steps(conn, c1, t, ("triage", 1), ("accept", 2), ("resolve", 24), ("follow_up", 30), ("evaluate", 31))
    lead(conn, c1, s1, "completed", t + 2 * H)
    c2 = add_case(conn, gen, uid, town="KT1", village="KV1", grid="KG2", tier=3, status="resolved", created=t,
                  due=t + 120 * H)
    steps(conn, c2, t, ("triage", 1), ("accept", 2), ("resolve", 150))  # resolved after its due time
    lead(conn, c2, s1, "completed", t + 2 * H)
    c3 = add_case(conn, gen, uid, town="KT1", village="KV2", grid="KG3", tier=2, status="closed", created=t,
                  due=t + 400 * H, satisfaction=3)
    steps(conn, c3, t, ("triage", 1), ("accept", 2), ("escalate", 10), ("accept", 12), ("resolve", 100),
          ("follow_up", 101), ("evaluate", 102))
    lead(conn, c3, s1, "returned", t + 2 * H)
    lead(conn, c3, s2, "completed", t + 12 * H)  # the latest lead order is the one credited
    c4 = add_case(conn, gen, uid, town="KT2", village="KV3", grid="KG4", tier=3, status="returned", created=t,
                  due=t + 168 * H)
    steps(conn, c4, t, ("triage", 1), ("return", 2))
    c5 = add_case(conn, gen, uid, town="KT2", village="KV3", grid="KG4", tier=3, status="handling",
                  created=t + 24 * H, due=t + 72 * H)
    steps(conn, c5, t + 24 * H, ("triage", 1), ("accept", 2))
    conn.execute("INSERT INTO case_supervisions (case_id, level, reason, handling_tier, at) VALUES"
                 " (%s, 'yellow', '办理时限已过三分之二', 3, %s), (%s, 'red', '已超期', 3, %s)",
                 (c5, t + 56 * H, c5, t + 72 * H))
    c6 = add_case(conn, gen, uid, town="KT2", village="KV3", grid="KG5", tier=3, status="resolved",
                  created=t + 48 * H, due=UNTIL + 100 * H)
    steps(conn, c6, t + 48 * H, ("triage", 1), ("accept", 2), ("resolve", 200))  # after the period's end
    return {"cases": [c1, c2, c3, c4, c5, c6], "staff": (s1, s2)}


def by_unit(rows: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    return {r["unit"]: r for r in rows}


def test_town_figures_have_literal_answers(conn: psycopg.Connection, dataset: dict[str, Any]) -> None:
    towns = by_unit(perf(conn, by="town", since=T0, until=UNTIL, units=None).rows)
    t1, t2 = towns["KT1"], towns["KT2"]
    assert (t1["received"], t1["eligible"], t1["resolved"]) == (3, 3, 3)
    assert t1["closure_rate"] == 1.0 and t1["on_time_rate"] == 0.666667
    assert t1["avg_hours"] == 91.333333 and t1["p90_hours"] == 140.0  # 24, 100, 150 hours
    assert t1["escalation_rate"] == 0.333333 and t1["grass_roots_share"] == 0.666667
    assert t1["follow_up_rate"] == 0.666667 and t1["satisfaction"] == 4.0 and t1["overdue_open"] == 0
    assert (t2["received"], t2["eligible"], t2["resolved"]) == (3, 2, 0)  # the returned case is not eligible
    assert t2["closure_rate"] == 0.0 and t2["on_time_rate"] is None and t2["avg_hours"] is None
    assert t2["escalation_rate"] == 0.0 and t2["satisfaction"] is None and t2["overdue_open"] == 1
    assert t1["received_prev"] is None and t1["received_change"] is None  # nothing the week before


def test_county_village_grid_and_staff_figures(conn: psycopg.Connection, dataset: dict[str, Any]) -> None:
    county = perf(conn, by="county", since=T0, until=UNTIL, units=None).rows
    assert [(r["received"], r["eligible"], r["resolved"], r["closure_rate"]) for r in county] == [(6, 5, 3, 0.6)]
    villages = by_unit(perf(conn, by="village", since=T0, until=UNTIL, units=None).rows)
    assert {k: v["received"] for k, v in villages.items()} == {"KV1": 2, "KV2": 1, "KV3": 3}
    grids = by_unit(perf(conn, by="grid", since=T0, until=UNTIL, units=None).rows)
    assert grids["KG2"]["on_time_rate"] == 0.0 and grids["KG1"]["avg_hours"] == 24.0
    s1, s2 = dataset["staff"]
    staff = by_unit(perf(conn, by="staff", since=T0, until=UNTIL, units=None).rows)
    assert (staff[s1]["received"], staff[s1]["resolved"], staff[s1]["on_time_rate"], staff[s1]["avg_hours"]) == (
        2, 2, 0.5, 87.0)
    assert (staff[s2]["received"], staff[s2]["escalation_rate"], staff[s2]["name"]) == (1, 1.0, "乙")


def test_previous_period_and_change(conn: psycopg.Connection, dataset: dict[str, Any]) -> None:
    later = perf(conn, by="town", since=UNTIL, until=UNTIL + timedelta(days=7), units=None).rows
    assert later == []  # nothing registered that week
    two_weeks = by_unit(perf(conn, by="town", since=T0, until=T0 + timedelta(days=14), units=None).rows)
    # As of two weeks on, case 6 is resolved too (200 h after registration, past nothing: due 268 h after)
    assert two_weeks["KT2"]["resolved"] == 1 and two_weeks["KT2"]["on_time_rate"] == 1.0
    assert two_weeks["KT2"]["received_prev"] is None


def test_a_town_limits_the_figures(conn: psycopg.Connection, dataset: dict[str, Any]) -> None:
    rows = perf(conn, by="town", since=T0, until=UNTIL, town_code="KT2", units=None).rows
    assert [r["unit"] for r in rows] == ["KT2"]
    with scoped(conn, DatabaseScope("supervisor", "KT1")):  # the connection's region narrows too
        assert [r["unit"] for r in perf(conn, by="town", since=T0, until=UNTIL, units=None).rows] == ["KT1"]


def test_figures_of_an_empty_frame_are_empty() -> None:
    assert figures(facts_frame([]), by="town", until=UNTIL).empty


def test_overdue_board_lists_pending_warning_cases_by_due_time(conn: psycopg.Connection,
                                                               dataset: dict[str, Any]) -> None:
    workflow = load_rules().workflow
    assert pending_states(workflow) == ["escalated", "handling", "registered", "triaged"]
    page = overdue_board(conn, workflow=workflow, flt=board_filter(town="KT2", category=None, tiers=()),
                         limit=10)
    assert page.total == 1 and [i["id"] for i in page.items] == [dataset["cases"][4]]
    assert page.items[0]["overdue"] is True and page.items[0]["supervisions"] == 2
    assert overdue_board(conn, workflow=workflow, flt=board_filter(town="KT2", category=None, tiers=(4,)),
                         ).total == 0
    with scoped(conn, DatabaseScope("supervisor", "KT1")):  # another town's region: nothing of KT2
        assert overdue_board(conn, workflow=workflow, flt=board_filter(town="KT2", category=None, tiers=())
                             ).total == 0
    sup = supervision_list(conn, flt=board_filter(town="KT2", category="02", tiers=()))
    assert [(s["level"], s["case_id"]) for s in sup.items] == [("red", dataset["cases"][4]),
                                                               ("yellow", dataset["cases"][4])]
