"""Device sign-in: one-time codes (keyed hashes only), device sessions and who is signed in (profile)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.rows import dict_row

from gis.storage.pool import Conn, translate_pg_errors

DEVICE_COLUMNS = ("encode(s.id_hash, 'hex') AS id, s.label, s.created_at, s.last_seen_at, s.expires_at,"
                  " s.client_ip, s.user_agent")


def profile(conn: Conn, *, user_id: int) -> dict[str, Any] | None:
    """Who a user is: display name, role, town (code and name in the active boundaries), linked staff member."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT u.id, u.username, u.display, u.role, u.town_code, u.staff_code,"
            " (SELECT a.name FROM areas a JOIN generations g ON g.id = a.generation_id AND g.is_active"
            "   WHERE a.code = u.town_code LIMIT 1) AS town_name,"
            " st.id AS staff_id, st.name AS staff_name"
            " FROM users u LEFT JOIN staff st ON st.staff_code = u.staff_code AND st.active"
            " WHERE u.id = %s", (user_id,)).fetchone()


def field_accounts(conn: Conn, *, town_code: str | None) -> list[dict[str, Any]]:
    """Enabled field accounts (of one town, with county-wide ones, when ``town_code``) and their live devices."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT u.id, u.username, u.display, u.town_code, u.staff_code, st.name AS staff_name,"
            " (SELECT count(*) FROM user_sessions s WHERE s.user_id = u.id AND s.kind = 'device'"
            "   AND s.revoked_at IS NULL AND s.expires_at > now()) AS devices"
            " FROM users u LEFT JOIN staff st ON st.staff_code = u.staff_code AND st.active"
            " WHERE u.role = 'field' AND NOT u.disabled AND (%s::text IS NULL OR u.town_code IS NULL"
            "   OR u.town_code = %s) ORDER BY u.username", (town_code, town_code)).fetchall()


def account_row(conn: Conn, *, user_id: int) -> dict[str, Any] | None:
    """An account's id, name, role, town and whether it is disabled."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT id, username, role, town_code, disabled FROM users WHERE id = %s",
                           (user_id,)).fetchone()


def create_code(conn: Conn, *, code_hash: bytes, user_id: int, issued_by: int | None, label: str,
                valid_s: int) -> datetime:
    """Store a one-time code bound to the user's current token epoch; returns when it expires."""
    with translate_pg_errors():
        conn.execute("DELETE FROM device_codes WHERE expires_at < now() - interval '1 day'")
        row = conn.execute(
            "INSERT INTO device_codes (code_hash, user_id, issued_by, label, token_epoch, expires_at)"
            " SELECT %s, u.id, %s, %s, u.token_epoch, now() + make_interval(secs => %s) FROM users u"
            " WHERE u.id = %s RETURNING expires_at", (code_hash, issued_by, label, valid_s, user_id)).fetchone()
    assert row is not None
    return row[0]


def take_code(conn: Conn, *, code_hash: bytes) -> dict[str, Any] | None:
    """Use a code once: its user and label, or None.

    None unless it is unused, unexpired and issued since the user's last password change or disabling (the
    token epoch still matches) and the account is enabled.
    """
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "UPDATE device_codes d SET used_at = now() FROM users u WHERE d.code_hash = %s AND u.id = d.user_id"
            " AND d.used_at IS NULL AND d.expires_at > now() AND d.token_epoch = u.token_epoch AND NOT u.disabled"
            " RETURNING u.id AS user_id, u.username, u.role, d.label", (code_hash,)).fetchone()


def create_device_session(conn: Conn, *, id_hash: bytes, user_id: int, lifetime_s: int, label: str,
                          client_ip: str, user_agent: str) -> None:
    """A session for one device: idle limit and lifetime are both ``lifetime_s``."""
    with translate_pg_errors():
        conn.execute("INSERT INTO user_sessions (id_hash, user_id, expires_at, idle_s, kind, label, client_ip,"
                     " user_agent) VALUES (%s, %s, now() + make_interval(secs => %s), %s, 'device', %s, %s, %s)",
                     (id_hash, user_id, lifetime_s, lifetime_s, label[:100], client_ip[:64], user_agent[:300]))


def device_sessions(conn: Conn, *, user_id: int) -> list[dict[str, Any]]:
    """A user's live device sessions, newest first."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"SELECT {DEVICE_COLUMNS} FROM user_sessions s WHERE s.user_id = %s AND s.kind = 'device'"
            " AND s.revoked_at IS NULL AND s.expires_at > now() ORDER BY s.created_at DESC", (user_id,)).fetchall()


def revoke_device_session(conn: Conn, *, user_id: int, session_id: str) -> int:
    """End one of a user's device sessions (by its listed id); the number ended (0 or 1)."""
    with translate_pg_errors():
        cur = conn.execute(
            "UPDATE user_sessions SET revoked_at = now() WHERE user_id = %s AND kind = 'device'"
            " AND revoked_at IS NULL AND encode(id_hash, 'hex') = %s", (user_id, session_id))
    return cur.rowcount


def session_times(conn: Conn, *, id_hash: bytes, idle_s: int) -> dict[str, Any] | None:
    """When a live session ends if left idle and at the latest (read only: the session is not touched)."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT s.kind, s.last_seen_at + make_interval(secs => coalesce(s.idle_s, %s)) AS idle_until,"
            " s.expires_at, now() AS now FROM user_sessions s JOIN users u ON u.id = s.user_id"
            " WHERE s.id_hash = %s AND s.revoked_at IS NULL AND s.expires_at > now() AND NOT u.disabled"
            " AND s.last_seen_at > now() - make_interval(secs => coalesce(s.idle_s, %s))",
            (idle_s, id_hash, idle_s)).fetchone()


def demo_field_staff(conn: Conn) -> str | None:
    """The staff code a demo field account is linked to (None without a roster).

    The active grid worker or mediator holding the most active orders, so the phone has work at once.
    """
    with translate_pg_errors():
        row = conn.execute(
            "SELECT s.staff_code FROM staff s WHERE s.active AND s.role IN ('grid_worker', 'mediator')"
            " ORDER BY (SELECT count(*) FROM dispatch_orders d WHERE d.staff_id = s.id AND d.active) DESC,"
            " s.role DESC, s.staff_code LIMIT 1").fetchone()
    return str(row[0]) if row else None
