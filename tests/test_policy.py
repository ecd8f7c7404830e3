"""The one access policy: every route declares a rule, and the defects the first trial found stay closed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount

from api.deps import declared_rule
from api.main import create_app
from gis.settings import DatabaseSettings
from gis.staff.roster import StaffRecord
from gis.storage import staff as staff_store
from gis.storage.pool import connect
from tests.conftest import make_token, settle

TOWN_A, VILLAGE_A, GRID_A = "449901001000", "449901001008", "449901001008007"
TOWN_B, VILLAGE_B, GRID_B = "449901100000", "449901100001", "449901100001008"
POINT_A = {"lon": 114.6471302, "lat": 24.0688967}  # in GRID_A
# Public by design (nothing personal): health, console files, boundary tiles, area lookups, locate, taxonomy, meta.
PUBLIC = {
    "/healthz", "/readyz", "/", "/api/v1/meta", "/api/v1/categories", "/api/v1/workflow", "/api/v1/locate",
    "/api/v1/generations", "/api/v1/areas/extent", "/api/v1/areas/{code}", "/tiles/{layer}/{z}/{x}/{y}.pbf",
    "/tiles/{layer}.json", "/docs",
    # signing in and out: the credentials are the request itself
    "/login", "/auth/login", "/auth/logout", "/api/v1/auth/token",
    # a device link's page and its exchange (the one-time code is the credential), and how long the caller's
    # own session has left (read from its cookie; nothing else)
    "/device/{code}", "/auth/device", "/api/v1/auth/session",
    # page shells (their data comes from scoped routes) and a TileJSON (the tiles are scoped)
    "/field", "/console/config.json", "/tiles/cases.json", "/maps/hotspots", "/maps/overdue", "/maps/workspace",
    "/maps/van", "/favicon.ico",
    "/admin/users", "/audit", "/boundaries", "/field/sw.js", "/field/manifest.webmanifest",
    # OGC API Features over the boundaries (the cases collection has its own scoped routes)
    "/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/collections/{collection_id}",
    "/ogc/collections/{collection_id}/items", "/ogc/collections/{collection_id}/items/{feature_id}",
}


def all_routes(routes: list) -> list:  # type: ignore[type-arg]
    """Every route, descending into included routers (FastAPI keeps them wrapped)."""
    found = []
    for route in routes:
        if hasattr(route, "original_router"):
            found.extend(all_routes(route.original_router.routes))
        else:
            found.append(route)
    return found


def rules_of(route: APIRoute) -> list[str]:
    found: list[str] = []
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        rule = declared_rule(dependant.call)
        if rule is not None:
            found.append(rule.name)
        stack.extend(dependant.dependencies)
    return found


def test_every_route_declares_a_policy() -> None:
    app = create_app()
    missing, public = [], set()
    routes = all_routes(app.routes)
    assert len([r for r in routes if isinstance(r, APIRoute)]) >= 40
    for route in routes:
        if isinstance(route, Mount):
            assert route.path in ("/static",), f"unexpected mount {route.path}"  # vendored files, nothing personal
            continue
        if not isinstance(route, APIRoute):
            continue  # FastAPI's own /openapi.json and docs pages
        rules = rules_of(route)
        if not rules:
            missing.append(f"{sorted(route.methods)} {route.path}")
        if "public" in rules:
            public.add(route.path)
    assert missing == []
    assert public <= PUBLIC, public - PUBLIC


@pytest.fixture(scope="module")
def two_towns(db_settings: DatabaseSettings) -> Iterator[dict[str, Any]]:
    tag = uuid.uuid4().hex[:6]
    staff = [
        StaffRecord(staff_code=f"PA{tag}", name="甲镇调解员", role="mediator", skills=("02",), territory=(VILLAGE_A,),
                    home_lon=114.648, home_lat=24.069, phone="13800138000", capacity=3),
        StaffRecord(staff_code=f"PB{tag}", name="乙镇调解员", role="mediator", skills=("02",), territory=(VILLAGE_B,),
                    home_lon=114.649, home_lat=24.070, phone="13900139000", capacity=3),
        StaffRecord(staff_code=f"PP{tag}", name="派出所民警", role="police", skills=("10",), territory=(TOWN_B,),
                    home_lon=114.650, home_lat=24.071, capacity=3),
    ]
    with connect(db_settings) as c:
        staff_store.upsert_staff(c, records=staff)
        c.commit()
        ids = {code: int(i) for code, i in c.execute(
            "SELECT staff_code, id FROM staff WHERE staff_code = ANY(%s)", ([s.staff_code for s in staff],))}
        towns = dict(c.execute("SELECT staff_code, town_code FROM staff WHERE staff_code = ANY(%s)",
                               ([s.staff_code for s in staff],)).fetchall())

    def headers(name: str, role: str, town: str | None = None, staff_code: str | None = None) -> dict[str, str]:
        token = make_token(db_settings, f"{name}-{tag}", role, town, staff_code)
        return {"Authorization": f"Bearer {token}"}

    yield {"a": ids[f"PA{tag}"], "b": ids[f"PB{tag}"], "police": ids[f"PP{tag}"], "towns": towns, "tag": tag,
           "op_a": headers("op-a", "operator", TOWN_A), "op_b": headers("op-b", "operator", TOWN_B),
           "county": headers("op-county", "operator"), "gis": headers("gis", "gis"),
           "supervisor": headers("sup", "supervisor"), "field_a": headers("field-a", "field", None, f"PA{tag}"),
           "auditor": headers("aud", "auditor")}
    with connect(db_settings) as c:
        c.execute("UPDATE staff SET active = false WHERE staff_code LIKE %s", (f"P_{tag}",))
        c.commit()


def new_case(client: TestClient, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    body = {"category": "0201", "source_channel": "walk_in", "description": "邻里纠纷", **POINT_A, **extra}
    response = client.post("/api/v1/cases", json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 201, response.text
    return response.json()


def test_staff_towns_come_from_their_territory(two_towns: dict[str, Any]) -> None:
    tag = two_towns["tag"]
    assert two_towns["towns"] == {f"PA{tag}": TOWN_A, f"PB{tag}": TOWN_B, f"PP{tag}": TOWN_B}


def test_town_operator_cannot_touch_another_towns_staff(app_client: TestClient, two_towns: dict[str, Any]) -> None:
    other, op_a = two_towns["b"], two_towns["op_a"]
    assert app_client.get(f"/api/v1/staff/{other}", headers=op_a).status_code == 404
    assert app_client.patch(f"/api/v1/staff/{other}", json={"capacity": 9}, headers=op_a).status_code == 404
    assert app_client.delete(f"/api/v1/staff/{other}", headers=op_a).status_code == 404
    fix = app_client.post(f"/api/v1/staff/{other}/positions", json={"lon": 114.6, "lat": 24.1}, headers=op_a)
    assert fix.status_code == 404
    batch = app_client.post("/api/v1/staff/positions/batch", headers=op_a,
                            json={"positions": [{"staff_id": other, "lon": 114.6, "lat": 24.1}]})
    assert batch.status_code == 422 and batch.json()["error"]["reason"] == "unknown_staff"
    listed = app_client.get("/api/v1/staff", params={"limit": 1000}, headers=op_a).json()["items"]
    codes = {s["staff_code"] for s in listed}
    tag = two_towns["tag"]
    assert f"PA{tag}" in codes and f"PB{tag}" not in codes and f"PP{tag}" in codes  # county-level units are shown
    police = app_client.patch(f"/api/v1/staff/{two_towns['police']}", json={"capacity": 2}, headers=op_a)
    assert police.status_code == 403 and police.json()["error"]["reason"] == "staff_not_managed_here"
    own = app_client.patch(f"/api/v1/staff/{two_towns['a']}", json={"capacity": 3}, headers=op_a)
    assert own.status_code == 200 and own.json()["capacity"] == 3


def test_field_and_gis_users_see_staff_contact_masked(app_client: TestClient, two_towns: dict[str, Any]) -> None:
    me = app_client.get(f"/api/v1/staff/{two_towns['a']}", headers=two_towns["field_a"]).json()
    assert me["phone"] == "13800138000"  # one's own record in full
    assert app_client.get(f"/api/v1/staff/{two_towns['b']}", headers=two_towns["field_a"]).status_code == 404
    assert app_client.get("/api/v1/staff", headers=two_towns["gis"]).status_code == 403


def test_only_the_orders_own_field_user_and_the_centre_move_an_order(app_client: TestClient,
                                                                     two_towns: dict[str, Any]) -> None:
    case = new_case(app_client, two_towns["county"])
    made = app_client.post(f"/api/v1/cases/{case['id']}/dispatches", headers=two_towns["county"],
                           json={"staff": [{"staff_id": two_towns["a"], "role": "lead"}]})
    assert made.status_code == 201, made.text
    order = made.json()["orders"][0]["id"]
    for role in ("gis", "supervisor", "auditor"):
        denied = app_client.patch(f"/api/v1/dispatches/{order}", json={"status": "accepted"}, headers=two_towns[role])
        assert denied.status_code == 403 and denied.json()["error"]["reason"] == "role_not_allowed"
    assert app_client.patch(f"/api/v1/dispatches/{order}", json={"status": "accepted"},
                            headers=two_towns["op_b"]).status_code == 404
    accepted = app_client.patch(f"/api/v1/dispatches/{order}", json={"status": "accepted"},
                                headers=two_towns["field_a"])
    assert accepted.status_code == 200 and accepted.json()["order"]["status"] == "accepted"
    again = app_client.patch(f"/api/v1/dispatches/{order}", json={"status": "accepted"}, headers=two_towns["field_a"])
    assert again.status_code == 200 and again.json()["order"]["status"] == "accepted"  # a retried report


def test_who_may_be_sent_where(app_client: TestClient, two_towns: dict[str, Any]) -> None:
    case = new_case(app_client, two_towns["op_a"])  # a case in town A
    send = f"/api/v1/cases/{case['id']}/dispatches"
    hidden = app_client.post(send, headers=two_towns["op_a"], json={"staff": [{"staff_id": two_towns["b"]}]})
    assert hidden.status_code == 404 and hidden.json()["error"]["reason"] == "staff_not_found"
    elsewhere = app_client.post(send, headers=two_towns["county"], json={"staff": [{"staff_id": two_towns["b"]}]})
    assert elsewhere.status_code == 409 and elsewhere.json()["error"]["reason"] == "staff_out_of_region"
    police = app_client.post(send, headers=two_towns["op_a"], json={"staff": [{"staff_id": two_towns["police"]}]})
    assert police.status_code == 201  # a county-level unit serves any town
    settle(app_client)
    ranked = app_client.get(f"/api/v1/cases/{case['id']}/recommendations", params={"role": "mediator", "k": 50},
                            headers=two_towns["county"]).json()["roles"]["mediator"]
    listed = {c["staff_id"] for c in ranked["candidates"]} | {c["staff_id"] for c in ranked["excluded"]}
    assert two_towns["a"] in listed and two_towns["b"] not in listed


def test_related_cases_stay_inside_the_callers_town(app_client: TestClient, two_towns: dict[str, Any]) -> None:
    party = [{"name": "张三", "id_number": f"44162419700101{uuid.uuid4().int % 10_000:04d}"}]  # unique per run
    mine = new_case(app_client, two_towns["op_a"], parties=party)
    theirs = new_case(app_client, two_towns["county"], parties=party, lon=None, lat=None, grid_code=GRID_B)
    assert theirs["town_code"] == TOWN_B
    again = new_case(app_client, two_towns["op_a"], parties=party)
    assert [c["id"] for c in again["related"]["same_party"]] == [mine["id"]]
    related = app_client.get(f"/api/v1/cases/{mine['id']}/related", headers=two_towns["op_a"]).json()
    assert theirs["id"] not in [c["id"] for c in related["same_party"]]
    county = app_client.get(f"/api/v1/cases/{mine['id']}/related", headers=two_towns["county"]).json()
    assert theirs["id"] in [c["id"] for c in county["same_party"]]
    duplicate = app_client.post(f"/api/v1/cases/{mine['id']}/transitions", headers=two_towns["county"],
                                json={"action": "mark_duplicate", "duplicate_of": theirs["id"]})
    unknown = app_client.post(f"/api/v1/cases/{mine['id']}/transitions", headers=two_towns["county"],
                              json={"action": "mark_duplicate", "duplicate_of": 10**12})
    assert duplicate.status_code == unknown.status_code == 404  # another town's id is as unknown as a missing one


def test_field_users_see_only_what_they_were_sent_to(app_client: TestClient, two_towns: dict[str, Any]) -> None:
    unrelated = new_case(app_client, two_towns["county"])
    field = two_towns["field_a"]
    assert app_client.get(f"/api/v1/cases/{unrelated['id']}", headers=field).status_code == 404
    moved = app_client.post(f"/api/v1/cases/{unrelated['id']}/transitions", json={"action": "triage"}, headers=field)
    assert moved.status_code == 404
    listed = app_client.get("/api/v1/cases", params={"limit": 500}, headers=field).json()
    assert unrelated["id"] not in [c["id"] for c in listed["items"]]
    sent = new_case(app_client, two_towns["county"])
    app_client.post(f"/api/v1/cases/{sent['id']}/dispatches", headers=two_towns["county"],
                    json={"staff": [{"staff_id": two_towns["a"], "role": "lead"}]})
    assert app_client.get(f"/api/v1/cases/{sent['id']}", headers=field).status_code == 200
    listed = app_client.get("/api/v1/cases", params={"limit": 500}, headers=field).json()
    assert sent["id"] in [c["id"] for c in listed["items"]]


def test_exports_reports_and_batch_locate_need_sign_in(app_client: TestClient, two_towns: dict[str, Any]) -> None:
    export = app_client.get("/api/v1/boundaries/generations/sample-county/export", params={"tier": "town"})
    report = app_client.get("/api/v1/boundaries/generations/sample-county/report")
    batch = app_client.post("/api/v1/locate/batch", content=b"lon,lat\n114.6,24.1\n",
                            headers={"Content-Type": "text/csv"})
    assert [r.status_code for r in (export, report, batch)] == [401, 401, 401]
    assert app_client.get("/api/v1/boundaries/generations/sample-county/export", params={"tier": "town"},
                          headers=two_towns["auditor"]).status_code == 403
    signed = app_client.post("/api/v1/locate/batch", content=b"lon,lat\n114.6471302,24.0688967\n",
                             headers={**two_towns["gis"], "Content-Type": "text/csv"})
    assert signed.status_code == 200 and GRID_A in signed.text
