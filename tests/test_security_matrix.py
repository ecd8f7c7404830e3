"""The access matrix: two towns x every role x every route (enumerated from app.routes, so new routes join).

- every route declares a policy; anonymous callers get 401 on everything that is not public;
- a role the route's rule does not admit gets 403, on every method;
- out of region (town B's users on town A's case, staff, order, party) is 404, with nothing of town A in the
  answer and the database unchanged, writes included;
- lists, searches and the event stream hold zero rows of the other town;
- mass-assignment attempts are 422 with the database unchanged.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.deps import declared_rule
from api.main import create_app
from gis.models import User
from gis.policy import Role, Rule
from gis.settings import DatabaseSettings
from gis.staff.roster import StaffRecord
from gis.storage import staff as staff_store
from gis.storage.pool import connect
from tests.conftest import make_token, settle

pytestmark = pytest.mark.usefixtures("row_security_enforced")  # the server under test enforces it

TOWN_A, TOWN_B = "449901001000", "449901100000"
POINT_A = {"lon": 114.6471302, "lat": 24.0688967}
GRID_B = "449901100001001"
UNDOCUMENTED = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
Call = tuple[str, str]  # (method, path template)


def rules_of(route: APIRoute) -> list[Rule]:
    """Every rule a route declares (a route may need two, e.g. cases.read and dispatch.create)."""
    found: list[Rule] = []
    stack = [route.dependant]
    while stack:
        dep = stack.pop()
        rule = declared_rule(dep.call) if dep.call is not None else None
        if rule is not None and rule not in found:
            found.append(rule)
        stack.extend(dep.dependencies)
    return found


class Combined:
    """The rules of one route together: a role passes when every rule admits it."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        self.public = all(r.public for r in rules)

    def admits(self, role: str) -> bool:
        return all(r.admits(role) for r in self.rules)


def rule_of(route: APIRoute) -> Combined | None:
    rules = rules_of(route)
    return Combined(rules) if rules else None


def api_routes(routes: list[Any]) -> list[APIRoute]:
    """Every APIRoute, descending into included routers (FastAPI keeps them as wrappers)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found.extend(api_routes(route.original_router.routes))
    return found


APP_ROUTES = api_routes(create_app().routes)
CALLS: list[tuple[str, str, Combined]] = sorted(
    ((method, r.path, rule) for r in APP_ROUTES if (rule := rule_of(r)) is not None for method in r.methods),
    key=lambda call: (call[0], call[1]))
SCOPED_IDS = ("{case_id}", "{staff_id}", "{dispatch_id}", "{party_id}", "/cases/items/{feature_id}")


def test_every_route_declares_a_policy() -> None:
    undeclared = [r.path for r in APP_ROUTES if rule_of(r) is None and r.path not in UNDOCUMENTED]
    assert undeclared == []
    assert len(CALLS) >= 50  # the matrix below really covers the API


@pytest.fixture(scope="module")
def world(app_client: TestClient, db_settings: DatabaseSettings) -> Iterator[dict[str, Any]]:
    """Town A and town B: a case with a party, a staff member, an order, and users of every role."""
    with connect(db_settings) as c:
        point_b = c.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM areas"
                            " WHERE code = %s LIMIT 1) q", (GRID_B,)).fetchone()
        assert point_b is not None
        staff_store.upsert_staff(c, records=[
            StaffRecord("MXA1", "甲镇调解员", "mediator", phone="13800000001", home_lon=POINT_A["lon"] + 0.002,
                        home_lat=POINT_A["lat"], skills=("02",), territory=(TOWN_A,)),
            StaffRecord("MXB1", "乙镇调解员", "mediator", phone="13800000002", home_lon=point_b[0],
                        home_lat=point_b[1], skills=("02",), territory=(TOWN_B,))])
        c.commit()
        staff = {code: (int(i), town) for code, i, town in
                 c.execute("SELECT staff_code, id, town_code FROM staff WHERE staff_code LIKE 'MX%'")}
    assert staff["MXA1"][1] == TOWN_A and staff["MXB1"][1] == TOWN_B
    users: dict[str, dict[str, str]] = {}
    for role in Role:
        town = None if role in (Role.ADMIN, Role.AUDITOR) else TOWN_A
        users[f"A-{role}"] = bearer(db_settings, f"mx-a-{role}", role, town, "MXA1" if role == Role.FIELD else None)
    for role in (Role.OPERATOR, Role.SUPERVISOR, Role.FIELD, Role.GIS):
        users[f"B-{role}"] = bearer(db_settings, f"mx-b-{role}", role, TOWN_B,
                                    "MXB1" if role == Role.FIELD else None)
    settle(app_client)

    def new_case(who: str, **where: Any) -> int:
        body = {"category": "0201", "source_channel": "walk_in", "description": "矩阵测试", **where,
                "parties": [{"name": "甲某某", "id_number": "441624199201013456", "phone": "13900001111"}]}
        response = app_client.post("/api/v1/cases", json=body,
                                   headers={**users[who], "Idempotency-Key": str(uuid.uuid4())})
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    case_a, case_b = new_case("A-operator", **POINT_A), new_case("B-operator", grid_code=GRID_B)
    sent = app_client.post(f"/api/v1/cases/{case_a}/dispatches", headers=users["A-operator"],
                           json={"staff": [{"staff_id": staff["MXA1"][0], "role": "lead"}]})
    assert sent.status_code == 201, sent.text
    with connect(db_settings) as c:
        order = c.execute("SELECT id FROM dispatch_orders WHERE case_id = %s", (case_a,)).fetchone()
        party = c.execute("SELECT id FROM case_parties WHERE case_id = %s", (case_a,)).fetchone()
        user_a = c.execute("SELECT id FROM users WHERE username = 'mx-a-operator'").fetchone()
        case_no = c.execute("SELECT case_no FROM cases WHERE id = %s", (case_a,)).fetchone()
    assert order and party and user_a and case_no
    yield {"users": users, "case_a": case_a, "case_b": case_b, "staff_a": staff["MXA1"][0],
            "staff_b": staff["MXB1"][0], "order_a": int(order[0]), "party_a": int(party[0]),
            "user_a": int(user_a[0]), "case_no_a": case_no[0]}
    with connect(db_settings) as c:  # later modules rank the roster: these two leave it
        c.execute("UPDATE staff SET active = false WHERE staff_code LIKE 'MX%'")
        c.commit()


def bearer(db: DatabaseSettings, name: str, role: str, town: str | None, staff_code: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db, name, role, town, staff_code)}"}


def url_for(path: str, world: dict[str, Any]) -> str:
    values = {"case_id": world["case_a"], "staff_id": world["staff_a"], "dispatch_id": world["order_a"],
              "party_id": world["party_a"], "user_id": world["user_a"], "name": "nokey", "ref": "sample-county",
              "session_id": "0" * 64,  # a device session id (hex of its hash)
              "code": TOWN_A, "layer": "towns", "z": 8, "x": 209, "y": 110, "collection_id": "towns",
              "feature_id": world["case_a"],  # an OGC feature id: the case's own id in the cases collection
              "attachment_id": 1}  # whoever's it is: 404 unless the caller may read its case
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


QUERIES = {"/api/v1/events": {"once": "true", "after": "0"},
           "/api/v1/boundaries/generations/{ref}/export": {"tier": "county"}}


def valid_body(method: str, path: str, world: dict[str, Any]) -> dict[str, Any] | None:
    """A body that passes validation, so the region rule (not a 422) decides the answer."""
    bodies: dict[Call, dict[str, Any]] = {
        ("POST", "/api/v1/cases/{case_id}/transitions"): {"action": "triage"},
        ("POST", "/api/v1/cases/{case_id}/dispatches"): {"staff": [{"staff_id": world["staff_b"]}]},
        ("POST", "/api/v1/cases/{case_id}/lead"): {"dispatch_id": world["order_a"]},
        ("PATCH", "/api/v1/dispatches/{dispatch_id}"): {"status": "accepted"},
        ("PATCH", "/api/v1/staff/{staff_id}"): {"capacity": 3},
        ("POST", "/api/v1/staff/{staff_id}/positions"): POINT_A,
        ("POST", "/api/v1/cases/{case_id}/parties/{party_id}/reveal"): {"reason": "跨镇查看"},
    }
    return bodies.get((method, path), {} if method in ("POST", "PATCH", "PUT") else None)


def fingerprint(db: DatabaseSettings) -> str:
    """Every row that a write in the matrix could touch."""
    with connect(db) as c:
        rows = [c.execute(q).fetchall() for q in (
            "SELECT id, status, warning_level, duplicate_of, town_code FROM cases ORDER BY id",
            "SELECT id, capacity, duty_status, active, phone, skills FROM staff ORDER BY id",
            "SELECT id, status, role FROM dispatch_orders ORDER BY id",
            "SELECT id, name, id_masked FROM case_parties ORDER BY id",
            "SELECT id, role, town_code, disabled FROM users ORDER BY id",
            "SELECT count(*) FROM staff_positions")]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


ANON = [(m, p) for m, p, rule in CALLS if not rule.public]


@pytest.mark.parametrize(("method", "path"), ANON, ids=[f"{m} {p}" for m, p in ANON])
def test_anonymous_is_401(app_client: TestClient, world: dict[str, Any], method: str, path: str) -> None:
    response = app_client.request(method, url_for(path, world), json=valid_body(method, path, world))
    assert response.status_code == 401


FORBIDDEN = [(m, p, str(role)) for m, p, rule in CALLS for role in Role if not rule.admits(role)]


@pytest.mark.parametrize(("method", "path", "role"), FORBIDDEN, ids=[f"{r}:{m} {p}" for m, p, r in FORBIDDEN])
def test_forbidden_functions_are_403(app_client: TestClient, world: dict[str, Any], db_settings: DatabaseSettings,
                                     method: str, path: str, role: str) -> None:
    before = fingerprint(db_settings) if method != "GET" else ""
    response = app_client.request(method, url_for(path, world), headers=world["users"][f"A-{role}"],
                                  json=valid_body(method, path, world), params=QUERIES.get(path))
    assert response.status_code == 403, response.text
    assert response.json()["error"]["reason"] == "role_not_allowed"
    if method != "GET":
        assert fingerprint(db_settings) == before


ALLOWED_GETS = [(p, str(role)) for m, p, rule in CALLS if m == "GET" and not rule.public for role in Role
                if rule.admits(role)]


@pytest.mark.parametrize(("path", "role"), ALLOWED_GETS, ids=[f"{r}:{p}" for p, r in ALLOWED_GETS])
def test_admitted_reads_answer(app_client: TestClient, world: dict[str, Any], path: str, role: str) -> None:
    response = app_client.get(url_for(path, world), headers=world["users"][f"A-{role}"], params=QUERIES.get(path))
    assert response.status_code < 500 and response.status_code not in (401, 403), response.text


OUT_OF_REGION = [(m, p, f"B-{role}") for m, p, rule in CALLS if any(k in p for k in SCOPED_IDS)
                 for role in (Role.OPERATOR, Role.SUPERVISOR, Role.FIELD) if rule.admits(role)]


@pytest.mark.parametrize(("method", "path", "who"), OUT_OF_REGION, ids=[f"{w}:{m} {p}" for m, p, w in OUT_OF_REGION])
def test_out_of_region_is_404_and_changes_nothing(app_client: TestClient, world: dict[str, Any],
                                                  db_settings: DatabaseSettings, method: str, path: str,
                                                  who: str) -> None:
    before = fingerprint(db_settings)
    response = app_client.request(method, url_for(path, world), headers=world["users"][who],
                                  json=valid_body(method, path, world), params=QUERIES.get(path))
    assert response.status_code == 404, response.text
    assert world["case_no_a"] not in response.text and "甲镇调解员" not in response.text
    assert fingerprint(db_settings) == before


@pytest.mark.parametrize("who", ["B-operator", "B-supervisor", "B-field"])
def test_lists_searches_and_streams_hold_no_foreign_rows(app_client: TestClient, world: dict[str, Any],
                                                         who: str) -> None:
    headers = world["users"][who]
    cases = app_client.get("/api/v1/cases", params={"limit": 500}, headers=headers).json()
    assert all(c["town_code"] == TOWN_B for c in cases["items"])
    assert world["case_a"] not in {c["id"] for c in cases["items"]}
    searched = app_client.get("/api/v1/cases", params={"town": TOWN_A, "limit": 500}, headers=headers).json()
    assert searched["total"] == 0 and searched["items"] == []
    staff = app_client.get("/api/v1/staff", params={"limit": 1000}, headers=headers).json()
    assert world["staff_a"] not in {s["id"] for s in staff["items"]}
    stream = app_client.get("/api/v1/events", params={"once": "true", "after": "0"}, headers=headers).text
    assert f'"case_id": {world["case_a"]},' not in stream and f'"case_id": {world["case_a"]}}}' not in stream
    related = app_client.get(f"/api/v1/cases/{world['case_b']}/related", headers=headers)
    if who != "B-field":
        assert related.status_code == 200 and str(world["case_a"]) not in related.text


def test_mass_assignment_is_422_and_changes_nothing(app_client: TestClient, world: dict[str, Any],
                                                    db_settings: DatabaseSettings) -> None:
    operator, admin = world["users"]["A-operator"], world["users"]["A-admin"]
    before = fingerprint(db_settings)
    attempts = [
        ("POST", "/api/v1/cases", operator, {"category": "0201", "source_channel": "walk_in", "description": "x",
                                             **POINT_A, "status": "closed", "town_code": TOWN_B, "created_by": 1}),
        ("POST", f"/api/v1/cases/{world['case_a']}/transitions", operator, {"action": "triage", "to_state": "closed"}),
        ("PATCH", f"/api/v1/staff/{world['staff_a']}", operator, {"capacity": 2, "town_code": TOWN_B}),
        ("PATCH", f"/api/v1/users/{world['user_a']}", admin, {"role": "admin", "token_epoch": 9}),
        ("POST", "/api/v1/users", admin, {"username": "mx-new", "role": "operator", "password_hash": "x"}),
        ("PATCH", f"/api/v1/dispatches/{world['order_a']}", operator, {"status": "accepted", "staff_id": 1}),
        ("POST", f"/api/v1/cases/{world['case_a']}/parties/{world['party_a']}/reveal", operator,
         {"reason": "联系当事人", "id_number": "1"}),
    ]
    for method, url, headers, body in attempts:
        response = app_client.request(method, url, json=body,
                                      headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
        assert response.status_code == 422, (url, response.text)
    assert fingerprint(db_settings) == before


def test_field_users_see_only_what_they_were_sent_to(app_client: TestClient, world: dict[str, Any]) -> None:
    mine = app_client.get(f"/api/v1/cases/{world['case_a']}", headers=world["users"]["A-field"])
    assert mine.status_code == 200
    assert app_client.get(f"/api/v1/cases/{world['case_b']}", headers=world["users"]["A-field"]).status_code == 404


def test_user_model_is_what_the_policy_reads() -> None:
    assert User(1, "x", "auditor", None).county_wide
    assert {str(r) for r in Role} == {"admin", "gis", "operator", "supervisor", "field", "auditor"}


def test_audit_role_check_matches_the_roles(conn: psycopg.Connection) -> None:
    row = conn.execute("SELECT pg_get_constraintdef(oid), fq_user_roles() FROM pg_constraint"
                       " WHERE conname = 'users_role_check'").fetchone()
    assert row is not None and "fq_user_roles()" in row[0] and row[1] == [str(r) for r in Role]
