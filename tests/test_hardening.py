"""What the probe found: NUL bytes, unbounded input, missing headers, retries that duplicate, leaky logs."""

from __future__ import annotations

import io
import logging
import uuid

import pytest
from fastapi.testclient import TestClient

from api.logs import redact
from gis.settings import DatabaseSettings
from tests.conftest import make_token

POINT = {"lon": 114.6471302, "lat": 24.0688967}


@pytest.fixture(scope="module")
def op(db_settings: DatabaseSettings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db_settings, 'hard-op', 'operator')}"}


@pytest.fixture(scope="module")
def gis(db_settings: DatabaseSettings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db_settings, 'hard-gis', 'gis')}"}


@pytest.fixture(scope="module")
def auditor(db_settings: DatabaseSettings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db_settings, 'hard-aud', 'auditor')}"}


NUL_GETS = [
    "/api/v1/cases?category=%00", "/api/v1/cases?grid=ab%00c", "/api/v1/areas/%00", "/api/v1/areas/4499%00",
    "/tiles/grids/10/838/442.pbf?generation=%00", "/api/v1/locate?lon=114.6&lat=24.1&crs=wgs%0084",
    "/api/v1/staff?role=%00", "/api/v1/boundaries/diff?old=%00&new=sample-county", "/api/v1/audit?username=%00",
    "/api/v1/cases/%00", "/api/v1/boundaries/generations/%00/report",
]


@pytest.mark.parametrize("url", NUL_GETS)
def test_nul_bytes_are_a_clear_400(app_client: TestClient, op: dict[str, str], url: str) -> None:
    response = app_client.get(url, headers=op)
    assert response.status_code == 400 and response.json()["error"]["reason"] == "nul_byte"


def test_nul_bytes_in_bodies(app_client: TestClient, op: dict[str, str]) -> None:
    raw = '{"category": "0201", "source_channel": "walk_in", "description": "a\\u0000b", "lon": 114.64, "lat": 24.06}'
    body = app_client.post("/api/v1/cases", content=raw, headers={**op, "Content-Type": "application/json",
                                                                   "Idempotency-Key": str(uuid.uuid4())})
    assert body.status_code == 400 and body.json()["error"]["reason"] == "nul_byte"
    escaped = raw.replace("\\u0000", "\\\\u0000")  # a literal backslash-u: not a NUL
    located = escaped.replace("114.64", "114.6471302").replace("24.06", "24.0688967")
    fine = app_client.post("/api/v1/cases", content=located, headers={
        **op, "Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())})
    assert fine.status_code == 201
    form = app_client.post("/api/v1/auth/token", content=b"username=a%00b&password=x",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 400


@pytest.mark.parametrize("url", ["/api/v1/cases?offset=9223372036854775808", "/api/v1/staff?offset=9223372036854775808",
                                 "/api/v1/cases?limit=100000"])
def test_huge_numbers_are_422(app_client: TestClient, op: dict[str, str], url: str) -> None:
    assert app_client.get(url, headers=op).status_code == 422
    for huge_id in ("/api/v1/cases/9223372036854775808", "/api/v1/staff/9223372036854775808"):
        assert app_client.get(huge_id, headers=op).status_code in (404, 422)


def test_unbounded_lists_and_strings_are_refused(app_client: TestClient, op: dict[str, str]) -> None:
    skills = app_client.patch("/api/v1/staff/1", json={"skills": ["x" * 100] * 20_000}, headers=op)
    assert skills.status_code == 422
    crs = app_client.get("/api/v1/locate", params={"lon": 114.6, "lat": 24.1, "crs": "x" * 1000})
    assert crs.status_code == 422


def test_long_form_fields_on_uploads(app_client: TestClient, gis: dict[str, str]) -> None:
    response = app_client.post("/api/v1/boundaries/uploads", headers=gis, data={"crs": "x" * 100_000},
                               files={"file": ("grids.geojson", io.BytesIO(b"{}"), "application/geo+json")})
    assert response.status_code == 422


def test_xlsx_that_is_not_a_zip(app_client: TestClient, gis: dict[str, str]) -> None:
    response = app_client.post("/api/v1/boundaries/uploads", headers=gis,
                               files={"file": ("grids.xlsx", io.BytesIO(b"not a zip at all"), "application/zip")})
    assert 400 <= response.status_code < 500, response.text


def test_case_intake_requires_an_idempotency_key(app_client: TestClient, op: dict[str, str]) -> None:
    body = {"category": "0201", "source_channel": "walk_in", "description": "重试测试", **POINT}
    response = app_client.post("/api/v1/cases", json=body, headers=op)
    assert response.status_code == 428 and response.json()["error"]["reason"] == "idempotency_key_required"


@pytest.mark.parametrize("path", ["/", "/login", "/api/v1/meta", "/healthz", "/static/login/login.js"])
def test_security_headers(app_client: TestClient, path: str) -> None:
    response = app_client.get(path)
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp


def test_docs_live_under_the_strict_policy(app_client: TestClient) -> None:
    csp = app_client.get("/docs").headers["content-security-policy"]  # vendored Swagger UI, no inline script
    assert "script-src 'self';" in csp and "unsafe-inline' https" not in csp and "frame-ancestors 'none'" in csp


def test_logs_never_hold_id_numbers_phones_or_credentials(app_client: TestClient, op: dict[str, str],
                                                          db_settings: DatabaseSettings,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    id_number, phone = "441624197703154417", "13566778899"
    token = op["Authorization"].split()[1]
    caplog.set_level(logging.DEBUG)
    access_logger = logging.getLogger("uvicorn.access")  # uvicorn's own config may stop it propagating
    access_logger.addHandler(caplog.handler)
    access_logger.disabled = False
    access_logger.setLevel(logging.INFO)
    created = app_client.post("/api/v1/cases", headers={**op, "Idempotency-Key": str(uuid.uuid4())}, json={
        "category": "0201", "source_channel": "walk_in", "description": f"联系电话 {phone}", **POINT,
        "parties": [{"name": "赵六", "id_number": id_number, "phone": phone}]})
    assert created.status_code == 201
    app_client.post("/api/v1/auth/token", data={"username": "hard-op", "password": "Secret-pass-123"})
    # what uvicorn's access log writes for a request that carried a token in its URL
    logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1", "GET",
                                             f"/?{'token'}={token}&phone={phone}", "1.1", 200)
    logging.getLogger("fengqiao").warning("party %s called from %s with Bearer %s", id_number, phone, token)
    from uvicorn.logging import AccessFormatter

    access = next(r for r in caplog.records if r.name == "uvicorn.access")
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False).format(access)
    assert line == '127.0.0.1 - "GET /?' + 'token=[redacted]&phone=[redacted] HTTP/1.1" 200 OK'
    text = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert caplog.records, "nothing was logged: the test would prove nothing"
    for secret in (id_number, phone, token, "Secret-pass-123"):
        assert secret not in text
    assert "441624********4417" in redact(f"id {id_number}") and "135****99" in redact(phone)


def test_failed_export_leaves_no_folder(app_client: TestClient, gis: dict[str, str]) -> None:
    import tempfile
    from pathlib import Path

    before = set(Path(tempfile.gettempdir()).glob("fengqiao-export-*"))
    response = app_client.get("/api/v1/boundaries/generations/no-such-generation/export", headers=gis)
    assert response.status_code == 404
    assert set(Path(tempfile.gettempdir()).glob("fengqiao-export-*")) == before
