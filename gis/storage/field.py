"""What a field worker's phone reads: an order with its case, the case's team and parties, past orders, notes.

Every query runs under row security: a field user sees only their own orders and the cases they were sent to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.rows import dict_row

from gis.errors import NotFound
from gis.storage.board import BOARD_COLUMNS, BOARD_FROM
from gis.storage.pool import Conn, translate_pg_errors

CARD_COLUMNS = BOARD_COLUMNS + ", c.description, c.title, c.status AS case_status, c.created_at AS case_created_at"
NOTE_COLUMNS = "n.id, n.case_id, n.dispatch_id, n.author_id, n.author_name, n.body, n.written_at, n.created_at"


def order_with_case(conn: Conn, *, order_id: int) -> dict[str, Any]:
    """One order with its case (number, category, description, severity, deadline, place); NotFound if unseen."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(f"SELECT {CARD_COLUMNS} {BOARD_FROM} WHERE d.id = %s", (order_id,)).fetchone()
    if row is None:
        raise NotFound(f"dispatch order {order_id} not found", reason="dispatch_not_found")
    return row


def case_team(conn: Conn, *, case_id: int) -> list[dict[str, Any]]:
    """Everyone sent to a case the caller can read (names, roles, statuses; nothing for other cases)."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT t.* FROM cases c CROSS JOIN LATERAL fq_case_team(c.id) t WHERE c.id = %s",
                           (case_id,)).fetchall()


def sealed_parties(conn: Conn, *, case_id: int) -> list[dict[str, Any]]:
    """A case's parties with their encrypted phones (and clear phones left by earlier versions)."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT id, role, name, phone_enc, phone_masked, phone AS legacy_phone FROM case_parties"
                           " WHERE case_id = %s ORDER BY id", (case_id,)).fetchall()


def completed_orders(conn: Conn, *, staff_code: str, limit: int) -> list[dict[str, Any]]:
    """A staff member's completed orders, the latest first, with how many notes and photos each got.

    The counts are a second, grouped query over the orders found: as correlated subqueries under row security
    they made the plan costly enough to be compiled (JIT) on every call.
    """
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            f"SELECT {BOARD_COLUMNS} {BOARD_FROM} WHERE d.staff_id = (SELECT id FROM staff WHERE staff_code = %s)"
            " AND d.status = 'completed' ORDER BY d.completed_at DESC, d.id DESC LIMIT %s",
            (staff_code, limit)).fetchall()
        ids = [r["id"] for r in rows]
        counts = {(r["kind"], r["dispatch_id"]): r["n"] for r in cur.execute(
            "SELECT 'notes' AS kind, dispatch_id, count(*) AS n FROM case_notes WHERE dispatch_id = ANY(%s)"
            " GROUP BY dispatch_id UNION ALL SELECT 'attachments', dispatch_id, count(*) FROM attachments"
            " WHERE dispatch_id = ANY(%s) GROUP BY dispatch_id", (ids, ids)).fetchall()} if ids else {}
    return [{**r, "notes": counts.get(("notes", r["id"]), 0), "attachments": counts.get(("attachments", r["id"]), 0)}
            for r in rows]


def insert_note(conn: Conn, *, case_id: int, dispatch_id: int | None, author_id: int, author_name: str, body: str,
                client_key: str | None, written_at: datetime | None) -> dict[str, Any]:
    """Store one progress note; returns it."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            "INSERT INTO case_notes (case_id, dispatch_id, author_id, author_name, body, client_key, written_at)"
            " VALUES (%s, %s, %s, coalesce((SELECT nullif(u.display, '') FROM users u WHERE u.id = %s), %s),"
            f" %s, %s, %s) RETURNING {NOTE_COLUMNS.replace('n.', '')}",
            (case_id, dispatch_id, author_id, author_id, author_name, body, client_key, written_at)).fetchone()
    assert row is not None
    return row


def note_by_client_key(conn: Conn, *, author_id: int, client_key: str) -> dict[str, Any] | None:
    """The author's earlier note with this key (a retry after a lost answer)."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(f"SELECT {NOTE_COLUMNS} FROM case_notes n WHERE n.author_id = %s AND n.client_key = %s",
                           (author_id, client_key)).fetchone()


def case_notes(conn: Conn, *, case_id: int) -> list[dict[str, Any]]:
    """A case's progress notes, oldest first."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(f"SELECT {NOTE_COLUMNS} FROM case_notes n WHERE n.case_id = %s ORDER BY n.id",
                           (case_id,)).fetchall()
