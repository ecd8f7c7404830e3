"""Storage of dispatch orders; the database guarantees that nobody is double-booked."""

from __future__ import annotations

from typing import Any

from psycopg import errors as pg_errors
from psycopg import sql
from psycopg.rows import dict_row

from gis.errors import Conflict, NotFound
from gis.staff.orders import ORDER_STATUSES
from gis.storage.pool import Conn, translate_pg_errors

ORDER_COLUMNS = (
    "d.id, d.case_id, d.staff_id, s.staff_code, s.name AS staff_name, s.role AS staff_role, d.role, d.status,"
    " d.reason, d.note, d.dispatched_at, d.accepted_at, d.en_route_at, d.on_scene_at, d.completed_at,"
    " d.declined_at, d.returned_at, d.cancelled_at, d.end_reason, c.town_code"
)
ORDER_FROM = "FROM dispatch_orders d JOIN staff s ON s.id = d.staff_id JOIN cases c ON c.id = d.case_id"


def insert_order(conn: Conn, *, case_id: int, staff_id: int, role: str, note: str, created_by: int) -> int:
    """Take a free capacity slot of the staff member for a new order.

    Two operators racing for the last slot both pick it; the partial unique index lets one
    commit and turns the other into a Conflict (409), whatever the application checked before.
    """
    try:
        with conn.transaction():
            # FOR SHARE waits for a transition holding the case and then sees its outcome: an order never
            # slips onto a case that is being closed.
            case = conn.execute("SELECT closed_at FROM cases WHERE id = %s FOR SHARE", (case_id,)).fetchone()
            if case is None:
                raise NotFound(f"case {case_id} not found", reason="case_not_found")
            if case[0] is not None:
                raise Conflict(f"case {case_id} has ended; nobody can be sent to it", reason="case_ended",
                               staff_id=staff_id)
            if conn.execute("SELECT 1 FROM dispatch_orders WHERE case_id = %s AND staff_id = %s AND active",
                            (case_id, staff_id)).fetchone():
                raise Conflict(f"staff {staff_id} is already dispatched to case {case_id}",
                               reason="already_dispatched", staff_id=staff_id)
            # Free slots count the staff member's orders in every town, not only the caller's (schema 110).
            slot = conn.execute("SELECT fq_free_slot(%s)", (staff_id,)).fetchone()
            if slot is None or slot[0] is None:
                raise Conflict(f"staff {staff_id} is at capacity", reason="staff_at_capacity", staff_id=staff_id)
            row = conn.execute(
                "INSERT INTO dispatch_orders (case_id, staff_id, slot, role, status, note, created_by)"
                " VALUES (%s, %s, %s, %s, 'dispatched', %s, %s) RETURNING id",
                (case_id, staff_id, slot[0], role, note, created_by)).fetchone()
    except pg_errors.UniqueViolation as exc:
        if exc.diag.constraint_name == "dispatch_once_per_case":
            raise Conflict(f"staff {staff_id} is already dispatched to case {case_id}",
                           reason="already_dispatched", staff_id=staff_id) from exc
        if exc.diag.constraint_name == "dispatch_one_lead_per_case":
            raise Conflict(f"case {case_id} already has a lead; change the lead explicitly",
                           reason="case_has_lead", staff_id=staff_id) from exc
        raise Conflict(f"staff {staff_id} is at capacity", reason="staff_at_capacity", staff_id=staff_id) from exc
    assert row is not None
    return int(row[0])


def get_order(conn: Conn, *, order_id: int, for_update: bool = False) -> dict[str, Any]:
    """One order with its staff and case town."""
    lock = " FOR UPDATE OF d" if for_update else ""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(f"SELECT {ORDER_COLUMNS} {ORDER_FROM} WHERE d.id = %s{lock}", (order_id,)).fetchone()
    if row is None:
        raise NotFound(f"dispatch order {order_id} not found", reason="dispatch_not_found")
    return row


def case_orders(conn: Conn, *, case_id: int) -> list[dict[str, Any]]:
    """Every order of a case, oldest first."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(f"SELECT {ORDER_COLUMNS} {ORDER_FROM} WHERE d.case_id = %s ORDER BY d.id",
                           (case_id,)).fetchall()


def set_status(conn: Conn, *, order_id: int, status: str, reason: str) -> None:
    """Move an order and stamp the time of the step."""
    column = sql.Identifier(ORDER_STATUSES[status].stamp_column)
    with translate_pg_errors():
        conn.execute(sql.SQL("UPDATE dispatch_orders SET status = %s, reason = %s, {} = now() WHERE id = %s"
                             ).format(column), (status, reason, order_id))


def set_role(conn: Conn, *, order_id: int, role: str) -> None:
    """Make an active order the lead or an assistant (the caller demotes the old lead first)."""
    with translate_pg_errors():
        conn.execute("UPDATE dispatch_orders SET role = %s WHERE id = %s AND active", (role, order_id))


def lock_case_orders(conn: Conn, *, case_id: int) -> list[dict[str, Any]]:
    """Every active order of a case, row-locked (lead changes serialise per case)."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(f"SELECT {ORDER_COLUMNS} {ORDER_FROM} WHERE d.case_id = %s AND d.active"
                           " ORDER BY d.id FOR UPDATE OF d", (case_id,)).fetchall()


def end_case_orders(conn: Conn, *, case_id: int, end_reason: str, reason: str) -> list[dict[str, Any]]:
    """Cancel every active order of a case (its staff slots free at once), with the code and sentence why.

    Returns the orders ended, as they now stand.
    """
    with translate_pg_errors():
        ids = [int(r[0]) for r in conn.execute(
            "UPDATE dispatch_orders SET status = 'cancelled', reason = %s, end_reason = %s, cancelled_at = now()"
            " WHERE case_id = %s AND active RETURNING id", (reason, end_reason, case_id)).fetchall()]
    return [get_order(conn, order_id=i) for i in sorted(ids)]
