"""The Python predicates used on rows in memory (staff trees, plans, live events) equal the SQL policy functions.

Every role x region (none, the county, two towns) x the caller's staff code x staff town (none, two towns of the
county, a town of another county) x staff role (each roster role: county-level or not) x staff code is asked of
PostgreSQL in one query and of gis.policy, and the answers are compared; the same for live events.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import psycopg

from gis.models import Tier
from gis.policy import COUNTY_LEVEL_STAFF_ROLES, DatabaseScope, Role, manages_staff, sees_event, sees_staff
from gis.staff.roster import STAFF_ROLE_LABELS

COUNTY, TOWN_A, TOWN_B, ELSEWHERE = "449901", "449901001000", "449901100000", "449902001000"
ROLES = ["", *(str(r) for r in Role)]
REGIONS: list[tuple[str | None, Tier]] = [(None, Tier.TOWN), (COUNTY, Tier.COUNTY), (TOWN_A, Tier.TOWN),
                                          (TOWN_B, Tier.TOWN)]
CALLER_STAFF = [None, "ME"]
STAFF_TOWNS = [None, TOWN_A, TOWN_B, ELSEWHERE]
STAFF_ROLES = sorted(STAFF_ROLE_LABELS)
STAFF_CODES = ["ME", "OTHER"]
EVENT_KINDS = ["case.created", "dispatch.status", "staff.position", "staff.updated", "boundaries.activated",
               "unknown.kind"]
PAYLOADS: list[dict[str, Any]] = [{}, {"staff_code": "ME"}, {"staff_code": "OTHER"}]

# Sets the scope's settings as gis.storage.row_security does, then asks the policy functions (schema 150).
PROBE = """
CREATE FUNCTION pg_temp.probe(p_role text, p_region text, p_town text, p_staff text, p_kind text, p_s_town text,
                              p_s_role text, p_s_code text, p_payload jsonb) RETURNS boolean[]
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('fengqiao.role', p_role, true), set_config('fengqiao.region', coalesce(p_region, ''), true),
            set_config('fengqiao.town', coalesce(p_town, ''), true), set_config('fengqiao.user', '', true),
            set_config('fengqiao.staff', coalesce(p_staff, ''), true);
    IF p_kind IS NULL THEN
        RETURN ARRAY[coalesce(fq_sees_staff(p_s_town, p_s_role, p_s_code), false),
                     coalesce(fq_manages_staff(p_s_town, p_s_role, p_s_code), false)];
    END IF;
    RETURN ARRAY[coalesce(fq_sees_event(p_kind, p_s_town, p_payload), false)];
END $$
"""


def scope(role: str, region: str | None, tier: Tier, staff: str | None) -> DatabaseScope:
    return DatabaseScope(role, region, None, staff, region_tier=tier)


def ask(conn: psycopg.Connection, rows: list[tuple[Any, ...]]) -> list[list[bool]]:
    """The probe over every row in one query (VALUES joined in order)."""
    answers = conn.execute(
        "SELECT pg_temp.probe(r.role, r.region, r.town, r.staff, r.kind, r.s_town, r.s_role, r.s_code, r.payload)"
        " FROM jsonb_to_recordset(%s::jsonb) AS r(n integer, role text, region text, town text, staff text,"
        " kind text, s_town text, s_role text, s_code text, payload jsonb) ORDER BY r.n",
        (json.dumps([dict(zip(("n", "role", "region", "town", "staff", "kind", "s_town", "s_role", "s_code",
                               "payload"), (n, *row), strict=True)) for n, row in enumerate(rows)]),)).fetchall()
    return [list(a[0]) for a in answers]


def test_staff_predicates_equal_the_sql_functions(conn: psycopg.Connection) -> None:
    conn.execute(PROBE)
    combos = list(itertools.product(ROLES, REGIONS, CALLER_STAFF, STAFF_TOWNS, STAFF_ROLES, STAFF_CODES))
    assert len(combos) == 7 * 4 * 2 * 4 * 6 * 2 and COUNTY_LEVEL_STAFF_ROLES < set(STAFF_ROLES)
    rows = []
    for role, (region, tier), staff, s_town, s_role, s_code in combos:
        db = scope(role, region, tier, staff)
        rows.append((role, region, db.town_code, staff, None, s_town, s_role, s_code, None))
    in_sql = ask(conn, rows)
    in_python = [[sees_staff(scope(role, region, tier, staff), staff_town=s_town, staff_role=s_role,
                             staff_code=s_code),
                  manages_staff(scope(role, region, tier, staff), staff_town=s_town, staff_role=s_role,
                                staff_code=s_code)]
                 for role, (region, tier), staff, s_town, s_role, s_code in combos]
    differ = [(c, s, p) for c, s, p in zip(combos, in_sql, in_python, strict=True) if s != p]
    assert differ == []
    # the comparison is not between two constant answers: each predicate says yes and no
    assert {a[0] for a in in_sql} == {a[1] for a in in_sql} == {True, False}
    conn.rollback()


def test_event_predicate_equals_the_sql_function(conn: psycopg.Connection) -> None:
    conn.execute(PROBE)
    combos = list(itertools.product(ROLES, REGIONS, CALLER_STAFF, EVENT_KINDS, STAFF_TOWNS, PAYLOADS))
    rows = [(role, region, scope(role, region, tier, staff).town_code, staff, kind, town, None, None, payload)
            for role, (region, tier), staff, kind, town, payload in combos]
    in_sql = [a[0] for a in ask(conn, rows)]
    in_python = [sees_event(scope(role, region, tier, staff), kind=kind, town_code=town, payload=payload)
                 for role, (region, tier), staff, kind, town, payload in combos]
    differ = [(c, s, p) for c, s, p in zip(combos, in_sql, in_python, strict=True) if s != p]
    assert differ == []
    assert set(in_sql) == {True, False}
    conn.rollback()


def test_a_county_region_holds_its_towns_and_a_town_region_only_itself(conn: psycopg.Connection) -> None:
    """Known answers of the tiers: a town user of A, a county-tier user, nobody limited."""
    conn.execute(PROBE)
    rows = [(role, region, town, None, None, s_town, "grid_worker", "OTHER", None)
            for role, region, town in (("operator", TOWN_A, TOWN_A), ("operator", COUNTY, None),
                                       ("operator", None, None))
            for s_town in (TOWN_A, TOWN_B, ELSEWHERE)]
    seen = [a[0] for a in ask(conn, rows)]
    assert seen == [True, False, False, True, True, False, True, True, True]
    conn.rollback()
