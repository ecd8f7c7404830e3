"""The server's edge against a hostile caller: bodies limited while streaming, uploads refused unread, forwarded
addresses believed only from trusted proxies, bounded log redaction, login CSRF, cache and transport headers."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api import logs
from api.bodylimit import PUBLIC_INTAKE_PREFIX, UPLOAD_ROUTES
from api.deps import allow
from api.main import create_app
from gis.accounts import admin
from gis.settings import AppSettings, DatabaseSettings
from gis.storage.pool import connect
from tests.browser_support import live_server
from tests.conftest import make_token
from tests.test_policy import all_routes, rules_of

PASSWORD = "Correct-horse-9"
CASE = {"category": "0201", "source_channel": "walk_in", "description": "edge", "lon": 114.6471302,
        "lat": 24.0688967}


@pytest.fixture(scope="module")
def gis(db_settings: DatabaseSettings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db_settings, 'edge-gis', 'gis')}"}


@pytest.fixture(scope="module")
def op(db_settings: DatabaseSettings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db_settings, 'edge-op', 'operator')}"}


def drive(app: FastAPI, method: str, path: str, headers: dict[str, str], chunks: Iterator[bytes]
          ) -> tuple[int, dict[str, Any], int]:
    """Send a chunked body (no Content-Length) straight to the ASGI app: (status, JSON answer, bytes it pulled)."""
    pulled = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "client": ("192.0.2.10", 5000), "server": ("testserver", 80)}
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body) if body.startswith(b"{") else {}, pulled


def endless(chunk: bytes, most: int = 50 * 2**20) -> Iterator[bytes]:
    """A body that goes on (up to ``most`` bytes, so a server that reads it all still answers)."""
    for _ in range(most // len(chunk)):
        yield chunk


def test_a_chunked_json_body_stops_at_the_small_limit(app_client: TestClient, op: dict[str, str]) -> None:
    chunk = b'{"description": "' + b"a" * 65_000
    status, body, pulled = drive(app_client.app, "POST", "/api/v1/cases",  # type: ignore[arg-type]
                                 {**op, "content-type": "application/json"}, endless(chunk))
    assert status == 413 and body["error"]["reason"] == "too_large"
    assert pulled <= 2048 * 1024 + len(chunk)  # FENGQIAO_MAX_BODY_KB (2 MB) and the chunk that passed it


def test_declared_bodies_over_the_small_limit_are_refused_unread(app_client: TestClient) -> None:
    form = app_client.post("/api/v1/auth/token", content=b"username=a&password=" + b"x" * (3 * 2**20),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 413 and form.json()["error"]["route_class"] == "body"
    odd = app_client.post("/api/v1/locate", content=b"\x00" * (3 * 2**20), headers={"Content-Type": "image/png"})
    assert odd.status_code == 413


def test_uploads_from_callers_not_admitted_are_refused_before_reading(app_client: TestClient, op: dict[str, str],
                                                                     gis: dict[str, str]) -> None:
    multipart = {"content-type": "multipart/form-data; boundary=xyz"}
    chunk = b"--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.geojson\"\r\n\r\n" + b"a" * 65_000
    app: FastAPI = app_client.app  # type: ignore[assignment]
    status, body, pulled = drive(app, "POST", "/api/v1/boundaries/uploads", multipart, endless(chunk, 2**20))
    assert (status, body["error"]["reason"], pulled) == (401, "missing_token", 0)
    status, body, pulled = drive(app, "POST", "/api/v1/boundaries/uploads", {**multipart, **op},
                                 endless(chunk, 2**20))
    assert (status, body["error"]["reason"], pulled) == (403, "role_not_allowed", 0)
    forged = {**multipart, "authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.x"}
    status, body, pulled = drive(app, "POST", "/api/v1/boundaries/uploads", forged, endless(chunk, 2**20))
    assert status == 401 and pulled == 0
    status, body, pulled = drive(app, "POST", "/api/v1/boundaries/uploads", {**multipart, **gis},
                                 endless(chunk, 2**20))
    assert pulled > 0 and status == 422  # admitted: read (a form without its end is no form)


def _body_params(dependant: Dependant) -> list[Any]:
    return [*dependant.body_params, *(p for d in dependant.dependencies for p in _body_params(d))]


def test_every_upload_route_is_listed_with_its_rule(app_client: TestClient) -> None:
    """Routes taking files are exactly UPLOAD_ROUTES, with the rule each declares (else the big limit leaks)."""
    found: dict[tuple[str, str], str] = {}
    for route in all_routes(app_client.app.routes):  # type: ignore[attr-defined]
        if not isinstance(route, APIRoute):
            continue
        takes_file = any("UploadFile" in str(p.field_info.annotation) for p in _body_params(route.dependant))
        takes_file |= route.path == "/api/v1/locate/batch"  # a raw CSV/GeoJSON body
        if takes_file:
            for method in route.methods:
                found[(method, route.path)] = rules_of(route)[0]
    assert found == UPLOAD_ROUTES


# -- the public intake class and trusted proxies, on an app of their own -------------------------------------

@pytest.fixture(scope="module")
def edge_app(db_settings: DatabaseSettings) -> Iterator[FastAPI]:
    settings = AppSettings(trusted_proxies="10.0.0.0/8", intake_max_kb=1, intake_per_address_per_hour=3)
    app = create_app(settings, db_settings)

    @app.post(PUBLIC_INTAKE_PREFIX + "echo", dependencies=[allow("public")])
    def echo(body: dict[str, str]) -> dict[str, int]:
        return {"fields": len(body)}

    with TestClient(app):
        yield app


def test_the_servers_under_test_enforce_row_security(app_client: TestClient, edge_app: FastAPI) -> None:
    for client in (app_client, TestClient(edge_app)):
        assert client.get("/readyz").json()["checks"]["row_security"] == "enforced"


def test_public_intake_has_its_own_size_and_per_address_limits(edge_app: FastAPI) -> None:
    proxy = TestClient(edge_app, client=("10.1.2.3", 4000))
    url = PUBLIC_INTAKE_PREFIX + "echo"
    big = proxy.post(url, json={"text": "x" * 2000}, headers={"X-Forwarded-For": "203.0.113.50"})
    assert big.status_code == 413 and big.json()["error"]["route_class"] == "public_intake"
    one = {"X-Forwarded-For": "203.0.113.51"}
    codes = [proxy.post(url, json={"text": "水管破裂"}, headers=one).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert proxy.post(url, json={"text": "路灯不亮"}, headers={"X-Forwarded-For": "203.0.113.52"}).status_code == 200
    # the same JSON body elsewhere is fine: the small intake limit binds only the intake
    assert proxy.post("/api/v1/auth/token", data={"username": "x" * 300, "password": "y"}).status_code == 422


def test_forwarded_addresses_only_from_trusted_proxies(edge_app: FastAPI, db_settings: DatabaseSettings,
                                                       conn: psycopg.Connection) -> None:
    url = "/api/v1/auth/token"
    form = {"username": "edge-proxied", "password": "wrong-pass-1"}
    TestClient(edge_app, client=("10.0.0.9", 1)).post(url, data=form,
                                                     headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.60"})
    TestClient(edge_app, client=("192.0.2.77", 1)).post(url, data=form, headers={"X-Forwarded-For": "203.0.113.61"})
    rows = conn.execute("SELECT client_ip FROM audit_log WHERE action = 'auth.sign_in' AND detail->>'via' = 'token'"
                        " AND client_ip IN ('203.0.113.60', '203.0.113.61', '192.0.2.77', '198.51.100.1')"
                        " ORDER BY id").fetchall()
    # behind the trusted proxy: the address it saw (the right-most untrusted one), never one the client wrote
    assert rows == [("203.0.113.60",), ("192.0.2.77",)]


def test_a_forged_forwarded_for_is_not_believed_by_the_server(db_settings: DatabaseSettings,
                                                              conn: psycopg.Connection) -> None:
    """A real server on loopback (where uvicorn would believe X-Forwarded-For by default)."""
    with live_server(db_settings) as base:
        httpx.post(f"{base}/api/v1/auth/token", data={"username": "edge-forger", "password": "wrong-pass-1"},
                   headers={"X-Forwarded-For": "198.51.100.99"})
        https = httpx.get(f"{base}/healthz", headers={"X-Forwarded-Proto": "https"})
    rows = conn.execute("SELECT client_ip FROM audit_log WHERE action = 'auth.sign_in'"
                        " AND detail->>'via' = 'token' AND client_ip IN ('198.51.100.99', '127.0.0.1')"
                        " ORDER BY id DESC LIMIT 1").fetchall()
    assert rows == [("127.0.0.1",)]
    assert "strict-transport-security" not in https.headers  # nor is a forged scheme


def test_trusting_everyone_is_refused(db_settings: DatabaseSettings) -> None:
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        create_app(AppSettings(trusted_proxies="10.0.0.1, *"), db_settings)


# -- log redaction ---------------------------------------------------------------------------------------------

def test_log_redaction_is_bounded_on_crafted_urls() -> None:
    crafted = "/api/v1/locate?q=" + "eyJ" * 21_000  # 63 KB: the old JWT pattern rescanned it from every "eyJ"
    redacted = logs.redact(crafted)
    assert len(redacted) < logs.MAX_LOGGED + 60 and redacted.endswith("[60969 more characters not logged]")
    assert logs.redact("GET /x?a=1 Bearer%20eyJhbGciOi.eyJzdWIi.sig-x") == "GET /x?a=1 Bearer%20[redacted-jwt]"
    assert logs.redact("host www.example.com q=a.b.c") == "host www.example.com q=a.b.c"
    assert logs.redact("eyJ" * 500 + ".a.b x") == "[redacted-jwt] x"


# -- low findings ----------------------------------------------------------------------------------------------

def test_nul_in_json_suffixed_bodies_is_a_400(app_client: TestClient, op: dict[str, str]) -> None:
    raw = json.dumps({**CASE, "description": "a\u0000b"})
    answer = app_client.post("/api/v1/cases", content=raw, headers={
        **op, "Content-Type": "application/vnd.fengqiao+json", "Idempotency-Key": str(uuid.uuid4())})
    assert answer.status_code == 400 and answer.json()["error"]["reason"] == "nul_byte"


def test_cross_site_sign_in_forms_are_refused(app_client: TestClient, db_settings: DatabaseSettings) -> None:
    with connect(db_settings) as c:
        admin.create_user(c, actor=None, username="edge-form", role="operator", password=PASSWORD)
        c.commit()
    client = TestClient(app_client.app, base_url="http://testserver", client=("192.0.2.91", 1))
    form = {"username": "edge-form", "password": PASSWORD}
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Origin": "null", "Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}):
        refused = client.post("/auth/login", data=form, headers=headers, follow_redirects=False)
        assert refused.status_code == 403 and refused.json()["error"]["reason"] == "cross_site"
        assert "fengqiao_session" not in refused.headers.get("set-cookie", "")
    for headers in ({"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
                    {"Origin": "null", "Sec-Fetch-Site": "same-origin"}):  # our own form (no-referrer: Origin null)
        own = client.post("/auth/login", data=form, follow_redirects=False, headers=headers)
        assert own.status_code == 303 and "fengqiao_session=" in own.headers["set-cookie"]


def test_api_keys_end_with_a_password_change(app_client: TestClient, db_settings: DatabaseSettings,
                                             admin_headers: dict[str, str]) -> None:
    with connect(db_settings) as c:
        user = admin.create_user(c, actor=None, username="edge-keyed", role="operator", password=PASSWORD)
        key = admin.create_key(c, actor=None, user_id=user.id, name="gateway")
        c.commit()
    bearer = {"Authorization": f"Bearer {key}"}
    assert app_client.get("/api/v1/auth/me", headers=bearer).status_code == 200
    changed = app_client.patch(f"/api/v1/users/{user.id}", json={"password": "Another-horse-7"},
                               headers=admin_headers)
    assert changed.status_code == 200
    assert app_client.get("/api/v1/auth/me", headers=bearer).status_code == 401


def test_hsts_under_https_and_no_store_on_scoped_pages(app_client: TestClient,
                                                       admin_headers: dict[str, str]) -> None:
    secure = TestClient(app_client.app, base_url="https://testserver")
    assert secure.get("/healthz").headers["strict-transport-security"] == "max-age=31536000"
    assert "strict-transport-security" not in app_client.get("/healthz").headers
    items = app_client.get("/ogc/collections/cases/items?limit=1", headers=admin_headers)
    assert items.status_code == 200 and items.headers["cache-control"] == "no-store"
    page = app_client.get("/maps/hotspots/render?since=4w", headers=admin_headers)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"


def test_failed_sign_ins_keep_only_names_of_accounts(app_client: TestClient, conn: psycopg.Connection) -> None:
    typed = "Probably-my-password-42"
    client = TestClient(app_client.app, client=("192.0.2.92", 1))
    assert client.post("/api/v1/auth/token", data={"username": typed, "password": "x1"}).status_code == 401
    rows = conn.execute("SELECT object_id FROM audit_log WHERE action = 'auth.sign_in' AND client_ip = '192.0.2.92'"
                        ).fetchall()
    assert len(rows) == 1 and rows[0][0].startswith("unknown:") and typed not in rows[0][0]
    assert conn.execute("SELECT count(*) FROM audit_log WHERE position(%s in audit_log::text) > 0",
                        (typed,)).fetchone() == (0,)


def test_case_reads_are_audited_with_the_address(app_client: TestClient, op: dict[str, str],
                                                 conn: psycopg.Connection) -> None:
    made = app_client.post("/api/v1/cases", json=CASE, headers={**op, "Idempotency-Key": str(uuid.uuid4())})
    assert made.status_code == 201
    case_id = made.json()["id"]
    reader = TestClient(app_client.app, client=("192.0.2.93", 1))
    assert reader.get(f"/api/v1/cases/{case_id}", headers=op).status_code == 200
    rows = conn.execute("SELECT client_ip FROM audit_log WHERE action = 'case.read' AND object_id = %s",
                        (str(case_id),)).fetchall()
    assert rows == [("192.0.2.93",)]


def test_tilejson_never_reflects_the_host_header(app_client: TestClient) -> None:
    doc = app_client.get("/tiles/grids.json", headers={"Host": "attacker.example"}).json()
    assert doc["tiles"] == ["http://testserver/tiles/grids/{z}/{x}/{y}.pbf"]
    cases = app_client.get("/tiles/cases.json", headers={"Host": "attacker.example:8443"}).json()
    assert cases["tiles"] == ["http://testserver/tiles/cases/{z}/{x}/{y}.pbf"]


def test_position_bodies_refuse_unknown_fields(app_client: TestClient, admin_headers: dict[str, str]) -> None:
    one = app_client.post("/api/v1/staff/1/positions", json={"lon": 114.64, "lat": 24.06, "speed": 3},
                          headers=admin_headers)
    assert one.status_code == 422 and one.json()["error"]["problems"][0]["type"] == "extra_forbidden"
    batch = app_client.post("/api/v1/staff/positions/batch", headers=admin_headers,
                            json={"positions": [{"staff_id": 1, "lon": 114.64, "lat": 24.06}], "source": "x"})
    assert batch.status_code == 422 and batch.json()["error"]["problems"][0]["type"] == "extra_forbidden"
