"""Storage of notifications (one row per recipient and channel) and each person's notification settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.rows import dict_row

from gis.storage.pool import Conn, translate_pg_errors

COLUMNS = ("id, kind, title, body, case_id, (SELECT case_no FROM cases c WHERE c.id = n.case_id) AS case_no,"
           " town_code, channel, status, attempts, created_at, sent_at, read_at")


def operators_of(conn: Conn, *, town_code: str | None) -> list[int]:
    """Active operators whose region covers the town (its own and the county-wide ones)."""
    with translate_pg_errors():
        return [int(r[0]) for r in conn.execute("SELECT fq_operators_of(%s)", (town_code,)).fetchall()]


def users_of_town(conn: Conn, *, town_code: str) -> list[int]:
    """Active users limited to the town (every role)."""
    with translate_pg_errors():
        rows = conn.execute("SELECT id FROM users WHERE town_code = %s AND NOT disabled ORDER BY id",
                            (town_code,)).fetchall()
    return [int(r[0]) for r in rows]


def insert(conn: Conn, *, user_ids: list[int], kind: str, title: str, body: str, case_id: int | None,
           town_code: str | None, channel: str, dedup_key: str | None) -> int:
    """One row per recipient; a repeated ``dedup_key`` for the same person and channel is skipped.

    Through ``fq_enqueue_notifications`` (schema 121): the writer may notify people whose rows it may not read.
    """
    if not user_ids:
        return 0
    with translate_pg_errors():
        row = conn.execute("SELECT fq_enqueue_notifications(%s, %s, %s, %s, %s, %s, %s, %s)",
                           (sorted(set(user_ids)), kind, title, body, case_id, town_code, channel,
                            dedup_key)).fetchone()
    return int(row[0]) if row else 0


def mine(conn: Conn, *, user_id: int, unread_only: bool, limit: int, offset: int
         ) -> tuple[list[dict[str, Any]], int, int]:
    """The person's console notifications, newest first; with the total and the unread count."""
    unread = "AND n.status <> 'read'" if unread_only else ""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            f"SELECT {COLUMNS} FROM notifications n WHERE n.user_id = %s AND n.channel = 'console' {unread}"
            " ORDER BY n.id DESC LIMIT %s OFFSET %s", (user_id, limit, offset)).fetchall()
        counts = cur.execute(
            "SELECT count(*) FILTER (WHERE TRUE " + unread + ") AS total,"
            " count(*) FILTER (WHERE n.status <> 'read') AS unread"
            " FROM notifications n WHERE n.user_id = %s AND n.channel = 'console'", (user_id,)).fetchone()
    assert counts is not None
    return rows, int(counts["total"]), int(counts["unread"])


def mark_read(conn: Conn, *, user_id: int, ids: list[int] | None) -> int:
    """Mark the person's notifications read (``ids`` None: all of them); how many changed."""
    only = "AND id = ANY(%s)" if ids is not None else ""
    params: tuple[Any, ...] = (user_id, ids) if ids is not None else (user_id,)
    with translate_pg_errors():
        cur = conn.execute("UPDATE notifications SET status = 'read', read_at = now()"
                           f" WHERE user_id = %s AND status <> 'read' {only}", params)
    return cur.rowcount


def due(conn: Conn, *, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Pending rows whose next attempt is due, locked (other delivery runs skip them)."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT n.id, n.user_id, u.username, u.display, n.kind, n.title, n.body, n.case_id, n.channel,"
            " n.attempts, n.created_at FROM notifications n JOIN users u ON u.id = n.user_id"
            " WHERE n.status = 'pending' AND n.next_attempt_at <= %s ORDER BY n.id LIMIT %s"
            " FOR UPDATE OF n SKIP LOCKED", (now, limit)).fetchall()


def delivered(conn: Conn, *, notification_id: int, at: datetime) -> None:
    """A sender took the notification."""
    with translate_pg_errors():
        conn.execute("UPDATE notifications SET status = 'sent', sent_at = %s, attempts = attempts + 1,"
                     " last_error = NULL WHERE id = %s", (at, notification_id))


def attempt_failed(conn: Conn, *, notification_id: int, error: str, retry_at: datetime | None) -> None:
    """A sender failed: try again at ``retry_at``, or give up (status failed) when None."""
    with translate_pg_errors():
        conn.execute(
            "UPDATE notifications SET attempts = attempts + 1, last_error = %s,"
            " status = CASE WHEN %s::timestamptz IS NULL THEN 'failed' ELSE status END,"
            " next_attempt_at = coalesce(%s::timestamptz, next_attempt_at) WHERE id = %s",
            (error[:500], retry_at, retry_at, notification_id))


def get_prefs(conn: Conn, *, user_id: int) -> dict[str, Any]:
    """The person's settings (defaults when never saved)."""
    with translate_pg_errors():
        row = conn.execute("SELECT sound FROM notification_prefs WHERE user_id = %s", (user_id,)).fetchone()
    return {"sound": bool(row[0]) if row else False}


def set_prefs(conn: Conn, *, user_id: int, sound: bool) -> None:
    """Save the person's settings."""
    with translate_pg_errors():
        conn.execute("INSERT INTO notification_prefs (user_id, sound) VALUES (%s, %s)"
                     " ON CONFLICT (user_id) DO UPDATE SET sound = excluded.sound", (user_id, sound))


def order_origin(conn: Conn, *, order_id: int) -> tuple[int | None, str]:
    """Who dispatched an order, and its case number."""
    with translate_pg_errors():
        row = conn.execute("SELECT d.created_by, c.case_no FROM dispatch_orders d JOIN cases c ON c.id = d.case_id"
                           " WHERE d.id = %s", (order_id,)).fetchone()
    return (row[0], str(row[1])) if row else (None, "")
