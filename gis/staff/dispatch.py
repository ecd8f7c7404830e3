"""Dispatch orders ("中心吹哨、部门报到"): send several staff at once, then follow each order's steps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gis.errors import Conflict, Forbidden, InvalidInput
from gis.models import User
from gis.storage import dispatch as store
from gis.storage import events
from gis.storage import staff as staff_store
from gis.storage.pool import Conn

# dispatched -> accepted (报到) -> en_route -> on_scene -> completed; declined/returned need a reason.
NEXT = {
    "dispatched": {"accepted", "declined", "cancelled"},
    "accepted": {"en_route", "returned", "cancelled"},
    "en_route": {"on_scene", "returned", "cancelled"},
    "on_scene": {"completed", "returned", "cancelled"},
}
NEEDS_REASON = {"declined", "returned", "cancelled"}
OPERATOR_ONLY = {"cancelled"}


@dataclass(frozen=True)
class OrderRequest:
    """One person to send and in which capacity."""

    staff_id: int
    role: str = "assist"


def dispatch_staff(conn: Conn, *, case_id: int, town_code: str, user: User, orders: list[OrderRequest],
                   note: str = "") -> list[dict[str, Any]]:
    """Create all orders or none (one transaction); at most one lead."""
    if not orders:
        raise InvalidInput("name at least one staff member", reason="missing_field")
    if sum(o.role == "lead" for o in orders) > 1:
        raise InvalidInput("a case has one lead at a time", reason="several_leads")
    if len({o.staff_id for o in orders}) != len(orders):
        raise InvalidInput("a staff member appears twice", reason="duplicate_staff")
    with conn.transaction():
        ids = []
        for order in orders:
            row = staff_store.get_staff(conn, staff_id=order.staff_id)
            if not row["active"] or row["duty_status"] == "off_duty":
                raise Conflict(f"{row['name']} is off duty", reason="staff_off_duty", staff_id=order.staff_id)
            ids.append(store.insert_order(conn, case_id=case_id, staff_id=order.staff_id, role=order.role,
                                          note=note, created_by=user.id))
        created = [store.get_order(conn, order_id=i) for i in ids]
        for made in created:
            events.append_event(conn, kind="dispatch.status", town_code=town_code, payload=_event(made))
    return created


def update_order(conn: Conn, *, order_id: int, user: User, status: str, reason: str = "") -> dict[str, Any]:
    """Move one order; field staff may move only their own, operators may also cancel."""
    with conn.transaction():
        order = store.get_order(conn, order_id=order_id, for_update=True)
        if user.role == "field" and user.staff_code != order["staff_code"]:
            raise Forbidden("field staff may update only their own dispatch orders", reason="not_your_order")
        if user.role == "field" and status in OPERATOR_ONLY:
            raise Forbidden("only the command centre cancels an order", reason="role_not_allowed")
        allowed = NEXT.get(order["status"], set())
        if status not in allowed:
            raise Conflict(f"cannot move an order from {order['status']} to {status}", reason="illegal_transition",
                           state=order["status"], allowed=sorted(allowed))
        if status in NEEDS_REASON and not reason.strip():
            raise InvalidInput(f"{status} needs a reason", reason="missing_field", missing=["reason"])
        store.set_status(conn, order_id=order_id, status=status, reason=reason)
        updated = store.get_order(conn, order_id=order_id)
        events.append_event(conn, kind="dispatch.status", town_code=updated["town_code"], payload=_event(updated))
    return updated


def _event(order: dict[str, Any]) -> dict[str, Any]:
    return {"dispatch_id": order["id"], "case_id": order["case_id"], "staff_code": order["staff_code"],
            "role": order["role"], "status": order["status"]}
