"""Users, hashed API tokens and the audit log."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from psycopg.rows import class_row

from gis.errors import Unauthorized
from gis.models import User
from gis.storage.pool import (
    Conn,  # noqa: E402
    translate_pg_errors,
)


def token_digest(token: str) -> bytes:
    """Tokens are random and long, so a plain SHA-256 is the right hash (no password stretching)."""
    return hashlib.sha256(token.encode()).digest()


def upsert_user(
    conn: Conn,
    *,
    username: str,
    role: str,
    town_code: str | None = None,
    staff_code: str | None = None,
    display: str = "",
) -> User:
    """Create a user or update its role and scope."""
    with translate_pg_errors(), conn.cursor(row_factory=class_row(User)) as cur:
        cur.execute(
            "INSERT INTO users (username, role, town_code, staff_code, display) VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (username) DO UPDATE SET role = EXCLUDED.role, town_code = EXCLUDED.town_code,"
            " staff_code = EXCLUDED.staff_code, display = EXCLUDED.display"
            " RETURNING id, username, role, town_code, staff_code",
            (username, role, town_code, staff_code, display),
        )
        row = cur.fetchone()
    assert row is not None
    return row


def add_token(conn: Conn, *, user_id: int, token: str, label: str = "") -> None:
    """Store the hash of a token for a user (idempotent for the same token)."""
    with translate_pg_errors():
        conn.execute(
            "INSERT INTO api_tokens (token_sha256, user_id, label) VALUES (%s, %s, %s)"
            " ON CONFLICT (token_sha256) DO UPDATE SET user_id = EXCLUDED.user_id",
            (token_digest(token), user_id, label),
        )


def user_for_token(conn: Conn, *, token: str) -> User:
    """The enabled, unexpired user a token belongs to."""
    with translate_pg_errors(), conn.cursor(row_factory=class_row(User)) as cur:
        row = cur.execute(
            "SELECT u.id, u.username, u.role, u.town_code, u.staff_code FROM api_tokens t"
            " JOIN users u ON u.id = t.user_id"
            " WHERE t.token_sha256 = %s AND NOT u.disabled AND t.revoked_at IS NULL"
            " AND (t.expires_at IS NULL OR t.expires_at > now())",
            (token_digest(token),),
        ).fetchone()
    if row is None:
        raise Unauthorized("unknown or expired token", reason="invalid_token")
    return row


def audit(
    conn: Conn,
    *,
    user: User | None,
    action: str,
    object_type: str = "",
    object_id: str = "",
    detail: dict[str, Any] | None = None,
    client_ip: str = "",
    result: str = "ok",
) -> None:
    """Append one audit record (in the caller's transaction, so it commits with the change)."""
    with translate_pg_errors():
        conn.execute(
            "INSERT INTO audit_log (user_id, username, action, object_type, object_id, detail, client_ip, result)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                user.id if user else None,
                user.username if user else "",
                action,
                object_type,
                object_id,
                json.dumps(detail or {}, ensure_ascii=False),
                client_ip[:64],
                result[:40],
            ),
        )
