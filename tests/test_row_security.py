"""The database enforces the region too (schema 110): row-level security for the application's role.

Queries here deliberately have no WHERE clause: what comes back is what the policies let through. The
same rows must come back as gis.policy's predicates give on the rows in memory (one rule, two statements).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest
from fastapi.security import HTTPAuthorizationCredentials
from starlette.requests import Request

from api.deps import identify
from gis.errors import Unavailable
from gis.models import User
from gis.policy import (
    ANONYMOUS,
    COUNTY_LEVEL_STAFF_ROLES,
    PERSONAL_DATA_ROLES,
    RULES,
    SYSTEM,
    DatabaseScope,
    Scope,
    database_scope,
)
from gis.settings import DatabaseSettings
from gis.staff.roster import StaffRecord
from gis.storage import access
from gis.storage import staff as staff_store
from gis.storage.pool import connect, make_pool
from gis.storage.roles import role_of
from gis.storage.row_security import ScopedConnection, apply_scope
from tests.conftest import make_token

pytestmark = pytest.mark.usefixtures("row_security_enforced")  # the server under test enforces it

TOWN_A, TOWN_B = "449901001000", "449901100000"
POLICED = ("cases", "case_parties", "case_transitions", "case_supervisions", "staff", "staff_positions",
           "staff_positions_latest", "dispatch_orders", "events", "audit_log")
# Policed too, with their own tests (test_attachments, test_field_api, test_notifications).
POLICED_ELSEWHERE = ("attachments", "case_notes", "notifications", "notification_prefs")


@pytest.fixture(scope="module")
def world(db_settings: DatabaseSettings) -> Iterator[dict[str, Any]]:
    """Rows in two towns written as the owner: cases with parties, staff (town and county-level), an order
    each, positions, events of every kind and an audit row; users for the scopes below."""
    with connect(db_settings) as c:
        staff_store.upsert_staff(c, records=[
            StaffRecord("RLSA1", "甲镇网格员", "grid_worker", territory=(TOWN_A,), home_lon=114.647, home_lat=24.069),
            StaffRecord("RLSB1", "乙镇网格员", "grid_worker", territory=(TOWN_B,), home_lon=114.9, home_lat=24.3),
            StaffRecord("RLSP1", "县公安民警", "police", territory=(TOWN_B,), home_lon=114.8, home_lat=24.2)])
        users = {name: access.upsert_user(c, username=f"rls-{name}", role=role, town_code=town, staff_code=code)
                 for name, role, town, code in (
                     ("county-op", "operator", None, None), ("a-op", "operator", TOWN_A, None),
                     ("b-sup", "supervisor", TOWN_B, None), ("a-field", "field", TOWN_A, "RLSA1"),
                     ("auditor", "auditor", None, None), ("gis", "gis", None, None))}
        staff = {code: int(i) for code, i in c.execute("SELECT staff_code, id FROM staff WHERE staff_code LIKE 'RLS%'")}
        generation = c.execute("SELECT id FROM generations WHERE is_active").fetchone()
        assert generation is not None
        cases: dict[str, int] = {}
        for key, town, creator in (("a1", TOWN_A, "a-op"), ("a2", TOWN_A, "a-op"), ("b1", TOWN_B, "b-sup"),
                                   ("a-by-field", TOWN_A, "a-field")):
            row = c.execute(
                "INSERT INTO cases (status, grid_code, village_code, town_code, county_code, generation_id, located_by,"
                " category_code, source_channel, description, severity, handling_tier, handling_unit, due_at,"
                " created_by) VALUES ('registered', %s, %s, %s, '449901', %s, 'grid_code', '0201', 'walk_in',"
                " '行级安全测试', 'low', 4, %s, now() + interval '3 days', %s) RETURNING id",
                (town[:9] + "001001", town[:9] + "001", town, generation[0], town, users[creator].id)).fetchone()
            assert row is not None
            cases[key] = int(row[0])
            c.execute("INSERT INTO case_parties (case_id, name, phone) VALUES (%s, '当事人', '13900000000')", (row[0],))
            c.execute("INSERT INTO case_transitions (case_id, action, to_state, actor_name)"
                      " VALUES (%s, 'register', 'registered', '测试')", (row[0],))
            c.execute("INSERT INTO case_supervisions (case_id, level, reason, handling_tier, at)"
                      " VALUES (%s, 'yellow', '测试', 4, now())", (row[0],))
        for case, code in (("a2", "RLSA1"), ("b1", "RLSB1"), ("b1", "RLSP1")):
            c.execute("INSERT INTO dispatch_orders (case_id, staff_id, slot, role, status)"
                      " VALUES (%s, %s, 1, %s, 'dispatched')",
                      (cases[case], staff[code], "lead" if code != "RLSP1" else "assist"))
        for code in ("RLSA1", "RLSB1", "RLSP1"):
            c.execute("INSERT INTO staff_positions_latest (staff_id, lon, lat, geom, recorded_at) VALUES"
                      " (%s, 114.7, 24.1, ST_SetSRID(ST_MakePoint(114.7, 24.1), 4326), now())"
                      " ON CONFLICT (staff_id) DO UPDATE SET recorded_at = now()", (staff[code],))
            c.execute("INSERT INTO staff_positions (staff_id, lon, lat, recorded_at) VALUES (%s, 114.7, 24.1, now())",
                      (staff[code],))
        for kind, town, payload in (("case.created", TOWN_A, {}), ("case.created", TOWN_B, {}),
                                    ("boundaries.activated", None, {}),
                                    ("staff.position", None, {"staff_code": "RLSA1"}),
                                    ("dispatch.status", TOWN_A, {"staff_code": "RLSA1"}),
                                    ("dispatch.status", TOWN_B, {"staff_code": "RLSB1"})):
            c.execute("INSERT INTO events (kind, town_code, payload) VALUES (%s, %s, %s)",
                      (kind, town, json.dumps(payload)))
        access.audit(c, user=users["a-op"], action="rls.test")
        c.commit()
    yield {"users": users, "cases": cases, "staff": staff}
    with connect(db_settings) as c:  # later modules rank the roster: these leave it
        c.execute("UPDATE staff SET active = false WHERE staff_code LIKE 'RLS%'")
        c.commit()


@pytest.fixture(scope="module")
def app_conn(db_settings: DatabaseSettings) -> Iterator[psycopg.Connection]:
    """A connection as the application's role (what the server's pool uses)."""
    with psycopg.connect(db_settings.url) as conn:
        yield conn


def seen(conn: psycopg.Connection, scope: DatabaseScope, query: str) -> set[Any]:
    """What one query without a WHERE clause returns under a scope (then rolled back)."""
    try:
        apply_scope(conn, scope)
        return {row[0] if len(row) == 1 else tuple(row) for row in conn.execute(query)}  # type: ignore[arg-type]
    finally:
        conn.rollback()


def test_the_application_role_owns_nothing_and_bypasses_nothing(db_settings: DatabaseSettings,
                                                                app_conn: psycopg.Connection) -> None:
    assert role_of(db_settings.url) != role_of(db_settings.owner_url)
    row = app_conn.execute("SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles"
                           " WHERE rolname = current_user").fetchone()
    assert row == (False, False, False, False)
    owned = app_conn.execute("SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles"
                             " WHERE rolname = current_user)").fetchone()
    assert owned == (0,)
    policed = app_conn.execute("SELECT relname FROM pg_class WHERE relrowsecurity"
                               " AND relnamespace = 'public'::regnamespace").fetchall()
    assert {r[0] for r in policed} == set(POLICED) | set(POLICED_ELSEWHERE)
    app_conn.rollback()


@pytest.mark.parametrize("table", POLICED)
def test_an_unscoped_transaction_sees_no_row(world: dict[str, Any], db_settings: DatabaseSettings,
                                             app_conn: psycopg.Connection, table: str) -> None:
    with connect(db_settings) as owner:
        present = owner.execute(f"SELECT count(*) > 0 FROM {table}").fetchone()
    assert present == (True,)
    assert app_conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)
    assert seen(app_conn, database_scope(None), f"SELECT count(*) FROM {table}") == {0}
    app_conn.rollback()


def test_a_query_without_where_returns_only_the_towns_rows(world: dict[str, Any], app_conn: psycopg.Connection) -> None:
    users, cases, staff = world["users"], world["cases"], world["staff"]
    a_op, b_sup, field = (database_scope(users[n]) for n in ("a-op", "b-sup", "a-field"))
    assert seen(app_conn, a_op, "SELECT DISTINCT town_code FROM cases") == {TOWN_A}
    assert seen(app_conn, b_sup, "SELECT DISTINCT town_code FROM cases") == {TOWN_B}
    assert seen(app_conn, a_op, "SELECT DISTINCT c.town_code FROM case_parties p JOIN cases c ON c.id = p.case_id"
                ) == {TOWN_A}
    mine = {cases["a1"], cases["a2"], cases["a-by-field"], cases["b1"]}
    assert seen(app_conn, a_op, "SELECT id FROM cases") & mine == {cases["a1"], cases["a2"], cases["a-by-field"]}
    # field users: what they were sent to and what they registered, nothing else of their town
    assert seen(app_conn, field, "SELECT id FROM cases") == {cases["a2"], cases["a-by-field"]}
    assert seen(app_conn, field, "SELECT staff_id FROM dispatch_orders") == {staff["RLSA1"]}
    assert seen(app_conn, field, "SELECT staff_code FROM staff") == {"RLSA1"}
    # town B sees its own grid worker and the county-level police, not town A's grid worker
    rls_staff = seen(app_conn, b_sup, "SELECT staff_code FROM staff")
    assert {"RLSB1", "RLSP1"} <= rls_staff and "RLSA1" not in rls_staff
    assert seen(app_conn, a_op, "SELECT case_id FROM dispatch_orders") & mine == {cases["a2"]}
    # the police officer's order in town B is invisible in town A, but the officer's load counts it there too
    assert seen(app_conn, a_op, f"SELECT fq_active_orders({staff['RLSP1']})") == {1}
    assert seen(app_conn, a_op, "SELECT count(*) FROM audit_log") == {0}
    assert seen(app_conn, database_scope(users["auditor"]), "SELECT action FROM audit_log") >= {"rls.test"}
    assert seen(app_conn, database_scope(users["auditor"]), "SELECT count(*) FROM cases") == {0}


def test_writes_outside_the_region_touch_nothing(world: dict[str, Any], app_conn: psycopg.Connection) -> None:
    users, cases, staff = world["users"], world["cases"], world["staff"]
    a_op = database_scope(users["a-op"])
    try:
        apply_scope(app_conn, a_op)
        assert app_conn.execute("UPDATE cases SET status = 'closed' WHERE id = %s", (cases["b1"],)).rowcount == 0
        assert app_conn.execute("DELETE FROM case_parties WHERE case_id = %s", (cases["b1"],)).rowcount == 0
        # a county-level unit is visible to the town but managed by the county centre
        assert app_conn.execute("UPDATE staff SET capacity = 5 WHERE id = %s", (staff["RLSP1"],)).rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # moving a case out of the town
            app_conn.execute("UPDATE cases SET town_code = %s WHERE id = %s", (TOWN_B, cases["a1"]))
    finally:
        app_conn.rollback()


def test_audit_rows_cannot_be_changed_by_the_application(world: dict[str, Any], app_conn: psycopg.Connection) -> None:
    for statement in ("UPDATE audit_log SET result = 'forged'", "DELETE FROM audit_log", "TRUNCATE audit_log",
                      "DELETE FROM audit_chain", "SELECT audit_purge(1, ''::bytea, ''::bytea)",
                      "ALTER TABLE cases DISABLE ROW LEVEL SECURITY", "CREATE TABLE leak (x int)"):
        try:
            apply_scope(app_conn, SYSTEM)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app_conn.execute(statement)  # type: ignore[arg-type]
        finally:
            app_conn.rollback()


SCOPES = {
    "county-op": RULES["cases.read"], "a-op": RULES["cases.read"], "b-sup": RULES["cases.read"],
    "a-field": RULES["cases.read"], "gis": RULES["boundaries.read"],
}


@pytest.mark.parametrize("who", sorted(SCOPES))
def test_policies_and_the_python_predicates_agree(world: dict[str, Any], db_settings: DatabaseSettings,
                                                   app_conn: psycopg.Connection, who: str) -> None:
    """Every case, staff member and event: visible under the policy exactly when gis.policy says so."""
    user: User = world["users"][who]
    scope = Scope(SCOPES[who], user)
    with connect(db_settings) as owner:
        mine = {int(r[0]) for r in owner.execute(  # what a field user registered or was sent to
            "SELECT c.id FROM cases c WHERE c.created_by = %s OR EXISTS (SELECT 1 FROM dispatch_orders d JOIN staff s"
            " ON s.id = d.staff_id WHERE d.case_id = c.id AND s.staff_code = %s)", (user.id, user.staff_code or ""))}
        cases = {int(i) for i, town in owner.execute("SELECT id, town_code FROM cases")
                 if scope.sees_town(town) and (not scope.own_only or i in mine)}
        staff = {int(i) for i, town, role, code in owner.execute("SELECT id, town_code, role, staff_code FROM staff")
                 if scope.sees_staff(staff_town=town, staff_role=role, staff_code=code)}
        events = {int(i) for i, kind, town, payload in owner.execute("SELECT id, kind, town_code, payload FROM events")
                  if scope.sees_event(kind=kind, town_code=town, payload=payload)}
    assert cases and staff  # the comparison below is not between two empty sets
    assert seen(app_conn, user_scope := database_scope(user), "SELECT id FROM cases") == cases
    assert seen(app_conn, user_scope, "SELECT id FROM staff") == staff
    assert seen(app_conn, user_scope, "SELECT id FROM events") == events


def test_sql_role_lists_match_the_policy(app_conn: psycopg.Connection) -> None:
    row = app_conn.execute("SELECT fq_county_level_staff_roles(), fq_personal_data_roles()").fetchone()
    app_conn.rollback()
    assert row is not None
    assert sorted(row[0]) == sorted(COUNTY_LEVEL_STAFF_ROLES)
    assert sorted(row[1]) == sorted(str(r) for r in PERSONAL_DATA_ROLES)


def test_a_request_connection_stays_scoped_across_commits(world: dict[str, Any],
                                                          db_settings: DatabaseSettings) -> None:
    pool = make_pool(db_settings)
    pool.open(wait=True)
    try:
        with pool.session(ANONYMOUS) as conn:
            assert isinstance(conn, ScopedConnection)
            conn.use_scope(database_scope(world["users"]["b-sup"]))
            conn.commit()  # a route that commits and reads on
            assert {r[0] for r in conn.execute("SELECT DISTINCT town_code FROM cases")} == {TOWN_B}
        with pool.session(ANONYMOUS) as conn:  # the next request on the same connection starts unscoped
            assert conn.execute("SELECT count(*) FROM cases").fetchone() == (0,)
    finally:
        pool.close()


def test_town_users_are_refused_where_the_policies_do_not_bind(db_settings: DatabaseSettings) -> None:
    """With the region checks gone from Python, a server whose role the policies do not bind serves no town user."""
    town = make_token(db_settings, "rls-one-role-town", "operator", TOWN_A)
    county = make_token(db_settings, "rls-one-role-county", "operator")

    def identified(conn: psycopg.Connection, app: SimpleNamespace, token: str) -> User:
        request = Request({"type": "http", "method": "GET", "path": "/", "headers": [], "app": app})
        return identify(request, conn, HTTPAuthorizationCredentials(scheme="Bearer", credentials=token))

    def fresh_app() -> SimpleNamespace:  # a process that has not yet asked the database (Services' attribute)
        return SimpleNamespace(state=SimpleNamespace(services=SimpleNamespace(row_security_enforced=None)))

    one_role = fresh_app()
    with connect(db_settings) as owner:  # the tables' owner: what a one-role deployment signs in as
        with pytest.raises(Unavailable) as refused:
            identified(owner, one_role, town)
        assert refused.value.reason == "row_security_not_enforced"
        assert identified(owner, one_role, county).town_code is None  # county-wide users are still served
    separate = fresh_app()
    with psycopg.connect(db_settings.url) as app_conn:  # the application's own role: served
        assert identified(app_conn, separate, town).town_code == TOWN_A
