"""The audit trail: one row per write and sign-in, append-only, hash-chained, verifiable, purged by period."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.cli import main as cli
from gis.audit.chain import seal_once, verify
from gis.audit.retention import purge_older_than
from gis.crypto import keys
from gis.errors import InvalidInput
from gis.settings import DatabaseSettings
from gis.storage import access
from gis.storage.pool import connect
from tests.conftest import make_token, use_database

POINT = {"lon": 114.6471302, "lat": 24.0688967}


@pytest.fixture
def audit_db(db_settings: DatabaseSettings) -> Iterator[DatabaseSettings]:
    """A database of its own (tampering and purging must not touch the shared one)."""
    from gis.storage.database import drop_database
    from tests.conftest import fresh_database

    settings = fresh_database(f"fengqiao_audit_{uuid.uuid4().hex[:8]}")
    yield settings
    drop_database(settings)


def write_rows(c: psycopg.Connection, n: int, at: datetime | None = None, first: int = 0) -> None:
    for i in range(first, first + n):
        access.audit(c, user=None, action=f"test.{i}", object_id=str(i), client_ip="10.0.0.1")
    if at is not None:
        c.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        c.execute("UPDATE audit_log SET at = %s", (at,))
        c.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
    c.commit()


def test_chain_verifies_and_detects_change_and_removal(audit_db: DatabaseSettings) -> None:
    key = keys().session
    with connect(audit_db) as c:
        write_rows(c, 5)
        assert seal_once(c, key=key) == 5
        write_rows(c, 3, first=5)
        assert seal_once(c, key=key) == 3
        report = verify(c, key=key)
        assert report.ok and report.checked == 8
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute("UPDATE audit_log SET result = 'ok' WHERE action = 'test.2'")
        c.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute("DELETE FROM audit_log WHERE action = 'test.2'")
        c.rollback()
        # an attacker with the owner's powers switches the trigger off: verification notices
        c.execute("ALTER TABLE audit_log DISABLE TRIGGER USER; ALTER TABLE audit_chain DISABLE TRIGGER USER")
        c.execute("UPDATE audit_log SET username = 'someone-else' WHERE action = 'test.2'")
        c.execute("DELETE FROM audit_log WHERE action = 'test.4'")
        c.execute("ALTER TABLE audit_log ENABLE TRIGGER USER; ALTER TABLE audit_chain ENABLE TRIGGER USER")
        c.commit()
        report = verify(c, key=key)
    assert not report.ok
    assert report.problems == ["link 3: audit row 3 was changed", "link 5: audit row 5 was removed"]


def test_removed_tail_is_detected_by_the_signed_head(audit_db: DatabaseSettings) -> None:
    key = keys().session
    with connect(audit_db) as c:
        write_rows(c, 4)
        seal_once(c, key=key)
        c.execute("ALTER TABLE audit_log DISABLE TRIGGER USER; ALTER TABLE audit_chain DISABLE TRIGGER USER")
        c.execute("DELETE FROM audit_chain WHERE seq >= 3")
        c.execute("DELETE FROM audit_log WHERE id IN (3, 4)")
        c.execute("ALTER TABLE audit_log ENABLE TRIGGER USER; ALTER TABLE audit_chain ENABLE TRIGGER USER")
        c.commit()
        report = verify(c, key=key)
    assert report.problems == ["links 3..4 were removed (a signed checkpoint names 4)"]


def test_purge_removes_whole_periods_and_verify_continues(audit_db: DatabaseSettings,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    key = keys().session
    with connect(audit_db) as c:
        write_rows(c, 6, at=datetime.now(UTC) - timedelta(days=400))
        seal_once(c, key=key)
        write_rows(c, 2)
        seal_once(c, key=key)
        with pytest.raises(InvalidInput):
            purge_older_than(c, key=key, days=30)
        removed, upto = purge_older_than(c, key=key, days=200)
        c.commit()
        assert (removed, upto) == (6, 6)
        assert c.execute("SELECT count(*) FROM audit_log").fetchone() == (2,)
        report = verify(c, key=key)
        assert report.ok and report.checked == 2 and report.purged_upto == 6
        # removing a row after the purge point is still tampering, not a purge
        c.execute("ALTER TABLE audit_log DISABLE TRIGGER USER; ALTER TABLE audit_chain DISABLE TRIGGER USER")
        c.execute("DELETE FROM audit_chain WHERE seq = 7")
        c.execute("ALTER TABLE audit_log ENABLE TRIGGER USER; ALTER TABLE audit_chain ENABLE TRIGGER USER")
        c.commit()
    use_database(monkeypatch, audit_db)
    assert cli(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "TAMPERED: links 7..7 are missing" in out and "after the purge checkpoint at 6" in out


def test_writes_and_sign_ins_leave_one_row_each(app_client: TestClient, db_settings: DatabaseSettings,
                                                conn: psycopg.Connection) -> None:
    headers = {"Authorization": f"Bearer {make_token(db_settings, 'audited-op', 'operator')}",
               "Idempotency-Key": str(uuid.uuid4())}
    created = app_client.post("/api/v1/cases", headers=headers, json={
        "category": "0201", "source_channel": "walk_in", "description": "审计测试", **POINT})
    assert created.status_code == 201
    bad = app_client.post("/api/v1/cases", headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                          json={"category": "9999", "source_channel": "walk_in", "description": "x", **POINT})
    assert bad.status_code == 422
    rows = conn.execute("SELECT action, object_type, result, client_ip FROM audit_log WHERE username = 'audited-op'"
                        " AND object_type = 'request' ORDER BY id").fetchall()
    assert rows == [("POST /api/v1/cases", "request", "ok", "testclient"),
                    ("POST /api/v1/cases", "request", "unknown_category", "testclient")]


def test_auditors_read_the_log_with_filters(app_client: TestClient, db_settings: DatabaseSettings) -> None:
    auditor = {"Authorization": f"Bearer {make_token(db_settings, 'auditor-x', 'auditor')}"}
    operator = {"Authorization": f"Bearer {make_token(db_settings, 'not-auditor', 'operator')}"}
    app_client.post("/api/v1/auth/token", data={"username": "ghost-user", "password": "Wrong-pass-1"})
    assert app_client.get("/api/v1/audit", headers=operator).status_code == 403
    assert app_client.get("/api/v1/cases", headers=auditor).status_code == 403
    found = app_client.get("/api/v1/audit", params={"action": "auth.", "result": "refused"}, headers=auditor)
    assert found.status_code == 200 and found.headers["cache-control"] == "no-store"
    items = found.json()["items"]
    assert any(i["object_id"] == "ghost-user" and i["detail"]["reason"] == "invalid_credentials" for i in items)
    assert all(i["action"].startswith("auth.") and i["result"] == "refused" for i in items)
    client = app_client.app.state.services  # type: ignore[attr-defined]
    client.sealer.seal_now()
    checked = app_client.get("/api/v1/audit/verify", headers=auditor).json()
    assert checked["ok"] is True and checked["checked"] > 0
