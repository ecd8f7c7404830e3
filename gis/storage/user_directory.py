"""What the account administrator picks from and watches: towns, the roster, who is signed in."""

from __future__ import annotations

from typing import Any

from psycopg.rows import dict_row

from gis.storage.pool import Conn, translate_pg_errors

TOWN_TIER = 2


def active_towns(conn: Conn) -> list[dict[str, Any]]:
    """The towns of the active boundary generation, by code."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT a.code, a.name FROM areas a JOIN generations g ON g.id = a.generation_id AND g.is_active"
            " WHERE a.tier = %s ORDER BY a.code", (TOWN_TIER,)).fetchall()


def town_is_active(conn: Conn, *, code: str) -> bool:
    """True when the code names a town of the active boundary generation."""
    with translate_pg_errors():
        row = conn.execute(
            "SELECT 1 FROM areas a JOIN generations g ON g.id = a.generation_id AND g.is_active"
            " WHERE a.tier = %s AND a.code = %s", (TOWN_TIER, code)).fetchone()
    return row is not None


def staff_on_roster(conn: Conn, *, staff_code: str) -> bool:
    """True when the code names an active member of the roster."""
    with translate_pg_errors():
        row = conn.execute("SELECT 1 FROM staff WHERE staff_code = %s AND active", (staff_code,)).fetchone()
    return row is not None


def roster(conn: Conn) -> list[dict[str, Any]]:
    """Active staff members a field account can be linked to, with the account already linked (if any)."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT s.staff_code, s.name, s.role, s.organisation, s.town_code,"
            " (SELECT string_agg(u.username, ',' ORDER BY u.username) FROM users u"
            "   WHERE u.staff_code = s.staff_code) AS accounts"
            " FROM staff s WHERE s.active ORDER BY s.staff_code").fetchall()


def live_sessions(conn: Conn, *, idle_s: int) -> list[dict[str, Any]]:
    """Every live sign-in (browser and device), newest activity first; never the session ids themselves.

    ``id`` is the hex of the stored keyed hash, the handle the device revoke takes.
    """
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT encode(s.id_hash, 'hex') AS id, s.kind, s.label, s.created_at, s.last_seen_at, s.expires_at,"
            " s.client_ip, s.user_agent, u.id AS user_id, u.username, u.display, u.role, u.town_code,"
            " u.staff_code"
            " FROM user_sessions s JOIN users u ON u.id = s.user_id"
            " WHERE s.revoked_at IS NULL AND s.expires_at > now() AND NOT u.disabled"
            " AND s.last_seen_at > now() - make_interval(secs => coalesce(s.idle_s, %s))"
            " ORDER BY s.last_seen_at DESC LIMIT 500", (idle_s,)).fetchall()
