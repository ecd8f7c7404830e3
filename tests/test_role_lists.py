"""Role lists are written once in Python; the schema's CHECKs read them from functions rendered at migrate time."""

from __future__ import annotations

import psycopg
import pytest
from fastapi.testclient import TestClient

from gis.policy import Role
from gis.staff.roster import STAFF_ROLE_LABELS
from gis.storage.migrate import apply_migrations
from gis.storage.rendered import role_lists, sql_array

OLD_CHECK = "CHECK (role IN ('admin', 'operator', 'supervisor', 'gis', 'field'))"  # schema 003 as first shipped


def test_the_database_answers_with_the_python_lists(conn: psycopg.Connection) -> None:
    for name, codes in role_lists().items():
        row = conn.execute(f"SELECT {name}()").fetchone()
        assert row is not None and tuple(row[0]) == codes, name
    assert role_lists()["fq_user_roles"] == ("admin", "gis", "operator", "supervisor", "field", "auditor")
    assert role_lists()["fq_staff_roles"] == tuple(STAFF_ROLE_LABELS)


def test_the_checks_refuse_a_role_python_does_not_know(conn: psycopg.Connection) -> None:
    conn.execute("INSERT INTO users (username, role) VALUES ('roles-auditor', 'auditor')")
    with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
        conn.execute("INSERT INTO users (username, role) VALUES ('roles-nobody', 'nobody')")
    with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
        conn.execute("INSERT INTO staff (staff_code, name, role) VALUES ('R-1', '某', 'astronaut')")


def test_an_older_database_migrates_forward_to_the_rendered_lists(conn: psycopg.Connection) -> None:
    with conn.transaction(force_rollback=True):
        conn.execute("ALTER TABLE users DROP CONSTRAINT users_role_check")
        conn.execute(f"ALTER TABLE users ADD CONSTRAINT users_role_check {OLD_CHECK} NOT VALID")
        conn.execute("DELETE FROM schema_migrations WHERE name = '155_role_lists.sql'")
        assert apply_migrations(conn) == ["155_role_lists.sql"]
        row = conn.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'users_role_check'"
                           ).fetchone()
        assert row == ("CHECK ((role = ANY (fq_user_roles())))",)
        conn.execute("INSERT INTO users (username, role) VALUES ('roles-forward', 'auditor')")


def test_a_list_holds_plain_codes_only() -> None:
    assert sql_array(["a_b", "c"]) == "ARRAY['a_b', 'c']::text[]"
    with pytest.raises(ValueError):
        sql_array(["x'); DROP TABLE users; --"])


def test_the_api_and_the_cli_offer_the_same_roles(app_client: TestClient) -> None:
    from api.cli import build_parser

    schemas = app_client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["Role"]["enum"] == [str(r) for r in Role]
    users = build_parser()._subparsers._group_actions[0].choices["users"]  # type: ignore[union-attr]
    role_option = next(a for a in users._actions if a.dest == "role")
    assert role_option.choices == [str(r) for r in Role]
