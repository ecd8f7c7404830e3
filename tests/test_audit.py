"""The audit trail: one row per write and sign-in, append-only, hash-chained, verifiable, purged by period."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.cli import main as cli
from gis.audit.chain import seal_once, verify, verify_with_head
from gis.audit.head import HeadKeeper, read_head, verify_head
from gis.audit.retention import purge_older_than
from gis.crypto import keys
from gis.errors import InvalidInput
from gis.settings import AuditSettings, DatabaseSettings
from gis.storage import access
from gis.storage.pool import connect
from tests.conftest import make_token, use_database

POINT = {"lon": 114.6471302, "lat": 24.0688967}


@pytest.fixture
def head_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where this test's sealer and CLI keep the signed head (FENGQIAO_AUDIT_HEAD_FILE)."""
    path = tmp_path / "audit" / "head.json"
    monkeypatch.setenv("FENGQIAO_AUDIT_HEAD_FILE", str(path))
    return path


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
    assert [(p.reason, p.seq) for p in report.problems] == [("row_changed", 3), ("row_removed", 5)]
    assert report.problems[0].message == "第 3 条链接的审计记录 3 已被改动"


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
    assert [(p.reason, p.seq) for p in report.problems] == [("tail_removed", 3)]


def test_purge_removes_whole_periods_and_verify_continues(audit_db: DatabaseSettings, head_file: Path,
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
    assert "问题 [links_missing]：第 7–7 条链接缺失" in out and "自第 6 条的清理检查点起" in out


def test_writes_and_sign_ins_leave_one_row_each(app_client: TestClient, db_settings: DatabaseSettings,
                                                conn: psycopg.Connection) -> None:
    headers = {"Authorization": f"Bearer {make_token(db_settings, 'audited-op', 'operator')}",
               "Idempotency-Key": str(uuid.uuid4())}
    created = app_client.post("/api/v1/cases", headers=headers, json={
        "category": "0201", "source_channel": "walk_in", "description": "审计测试", **POINT})
    assert created.status_code == 201, created.text
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
    # an unknown name is not stored as typed (it is often a password): a keyed hash stands for it
    assert any(i["object_id"].startswith("unknown:") and i["detail"]["reason"] == "invalid_credentials"
               for i in items)
    assert not any("ghost-user" in str(i) for i in items)
    assert all(i["action"].startswith("auth.") and i["result"] == "refused" for i in items)
    client = app_client.app.state.services  # type: ignore[attr-defined]
    client.sealer.seal_now()
    checked = app_client.get("/api/v1/audit/verify", headers=auditor).json()
    assert checked["ok"] is True and checked["checked"] > 0


OWNER_UNLOCK = ("ALTER TABLE audit_log DISABLE TRIGGER USER; ALTER TABLE audit_chain DISABLE TRIGGER USER;"
                " ALTER TABLE audit_checkpoints DISABLE TRIGGER USER")
OWNER_LOCK = ("ALTER TABLE audit_log ENABLE TRIGGER USER; ALTER TABLE audit_chain ENABLE TRIGGER USER;"
              " ALTER TABLE audit_checkpoints ENABLE TRIGGER USER")


def test_a_cut_off_end_is_detected_by_the_external_head(audit_db: DatabaseSettings, head_file: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """The owner removes the newest rows with their links and checkpoints: the database alone cannot tell."""
    key, settings = keys().session, AuditSettings()
    keeper = HeadKeeper(key, settings)
    with connect(audit_db) as c:
        write_rows(c, 5)
        seal_once(c, key=key)
        write_rows(c, 3, first=5)
        seal_once(c, key=key)
        published = keeper.publish(c)
        assert published is not None and published.seq == 8
        c.execute(OWNER_UNLOCK)
        c.execute("DELETE FROM audit_log WHERE id IN (SELECT audit_id FROM audit_chain WHERE seq > 5)")
        c.execute("DELETE FROM audit_chain WHERE seq > 5")
        c.execute("DELETE FROM audit_checkpoints WHERE upto_seq > 5")
        c.execute(OWNER_LOCK)
        c.commit()
        assert verify(c, key=key).ok  # what the database alone can prove
        assert keeper.publish(c) is None and HeadKeeper(key, settings).publish(c) is None  # no head blesses it
        c.commit()
    on_file = read_head(head_file)
    assert on_file is not None and on_file.seq == 8  # the evidence stays
    use_database(monkeypatch, audit_db)
    assert cli(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "审计日志核验：未通过" in out
    assert "问题 [truncated]：审计日志末尾被截断" in out and "记到第 8 条，数据库中的链只到第 5 条" in out
    assert cli(["audit", "verify", "--json"]) == 1
    found = json.loads(capsys.readouterr().out)
    assert found["ok"] is False and found["head"]["seq"] == 8
    assert [(p["reason"], p["seq"]) for p in found["problems"]] == [("truncated", 6)]
    # sealing new rows on top of the cut does not hide it: the chain now differs at the head's position
    with connect(audit_db) as c:
        write_rows(c, 4, first=100)
        seal_once(c, key=key)
        assert [p.reason for p in verify_with_head(c, key=key, settings=settings).problems] == ["rewritten"]


def test_checkpoints_are_append_only_like_rows(audit_db: DatabaseSettings) -> None:
    key = keys().session
    with connect(audit_db) as c:
        write_rows(c, 2)
        seal_once(c, key=key)
        for statement in ("UPDATE audit_checkpoints SET upto_seq = 1", "DELETE FROM audit_checkpoints",
                          "TRUNCATE audit_checkpoints", "TRUNCATE audit_chain"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute(statement)
            c.rollback()
        assert c.execute("SELECT count(*) FROM audit_checkpoints").fetchone() == (1,)
    with connect(audit_db, url=audit_db.url) as app:  # the application's role has no such rights at all
        for statement in ("UPDATE audit_checkpoints SET upto_seq = 1", "DELETE FROM audit_checkpoints",
                          "DELETE FROM audit_chain"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
                app.execute(statement)
            app.rollback()


def test_the_head_is_signed_logged_and_renewed_by_the_heartbeat(audit_db: DatabaseSettings, head_file: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    key, settings = keys().session, AuditSettings(heartbeat_s=300)
    keeper = HeadKeeper(key, settings)
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    with connect(audit_db) as c:
        write_rows(c, 3)
        seal_once(c, key=key)
        with caplog.at_level(logging.INFO, logger="fengqiao.audit.head"):
            first = keeper.publish(c, now=start)
        assert first is not None and first.seq == 3
        assert any(r.name == "fengqiao.audit.head" and first.to_json() in r.getMessage() for r in caplog.records)
        assert keeper.publish(c, now=start + timedelta(minutes=1)) is None  # nothing new, heartbeat not due
        beat = keeper.publish(c, now=start + timedelta(minutes=6))  # nothing happened: the heartbeat re-signs
        assert beat is not None and (beat.seq, beat.head) == (first.seq, first.head) and beat.at > first.at
        assert verify_head(c, key=key, settings=settings, now=beat.at + timedelta(minutes=5))[0] == []
        stale, _ = verify_head(c, key=key, settings=settings, now=beat.at + timedelta(minutes=30))
        assert [f.reason for f in stale] == ["head_stale"]
        forged = json.loads(head_file.read_text())
        forged["seq"] = 2
        head_file.write_text(json.dumps(forged))
        assert [f.reason for f in verify_head(c, key=key, settings=settings)[0]] == ["head_invalid"]
        head_file.unlink()
        assert [f.reason for f in verify_head(c, key=key, settings=settings)[0]] == ["head_missing"]
