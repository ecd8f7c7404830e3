"""Dispatch orders ("中心吹哨、部门报到"): send several staff at once, then follow each order's steps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gis.cases.book import CaseRules
from gis.cases.loop import TransitionRequest, apply_transition
from gis.errors import Conflict, Forbidden, InvalidInput, NotFound
from gis.models import User
from gis.notify.triggers import on_order_step
from gis.policy import may_serve
from gis.staff.orders import ORDER_STATUSES
from gis.storage import access, events
from gis.storage import cases as case_store
from gis.storage import dispatch as store
from gis.storage import staff as staff_store
from gis.storage.pool import Conn


@dataclass(frozen=True)
class OrderRequest:
    """One person to send and in which capacity."""

    staff_id: int
    role: str = "assist"


def dispatch_staff(conn: Conn, *, case_id: int, town_code: str, user: User, orders: list[OrderRequest],
                   note: str = "") -> list[dict[str, Any]]:
    """Create all orders or none (one transaction); at most one active lead per case (the database says so).

    The connection's scope is the caller's view of the roster: anyone outside it is "not found". Town staff
    are sent only inside their own town, county-level units anywhere (gis.policy.may_serve).
    """
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
            if not may_serve(staff_role=row["role"], staff_town=row["town_code"], case_town=town_code):
                raise Conflict(f"{row['name']} serves another town; send town staff of the case's town or a "
                               "county-level unit", reason="staff_out_of_region", staff_id=order.staff_id)
            if not row["active"] or row["duty_status"] == "off_duty":
                raise Conflict(f"{row['name']} is off duty", reason="staff_off_duty", staff_id=order.staff_id)
            ids.append(store.insert_order(conn, case_id=case_id, staff_id=order.staff_id, role=order.role,
                                          note=note, created_by=user.id))
        created = [store.get_order(conn, order_id=i) for i in ids]
        for made in created:
            access.audit(conn, user=user, action="dispatch.create", object_type="case", object_id=str(case_id),
                         detail={"dispatch_id": made["id"], "staff_id": made["staff_id"], "role": made["role"]})
        for made in created:
            events.append_event(conn, kind="dispatch.status", town_code=town_code, payload=_event(made))
    return created


MOVE_ON_WITH_LEAD = "triage"  # a lead sent is the case handed on (分流): it leaves the initial state


def move_on_with_lead(conn: Conn, *, rules: CaseRules, case_id: int, user: User) -> bool:
    """After a lead is dispatched, a case still in the workflow's initial state is triaged; True when moved.

    Call in the dispatch's transaction, so the orders and the move commit together.
    """
    case = case_store.get_case(conn, case_id=case_id)
    if case.status != rules.workflow.initial or MOVE_ON_WITH_LEAD not in rules.workflow.allowed(case.status):
        return False
    apply_transition(conn, rules=rules, case_id=case_id, user=user,
                     request=TransitionRequest(MOVE_ON_WITH_LEAD, note="已派出主办人员"))
    return True


def change_lead(conn: Conn, *, case_id: int, town_code: str, order_id: int, user: User) -> list[dict[str, Any]]:
    """Make an active order of the case its lead; the current lead becomes an assistant (one transaction)."""
    with conn.transaction():
        active = store.lock_case_orders(conn, case_id=case_id)
        target = next((o for o in active if o["id"] == order_id), None)
        if target is None:
            raise NotFound(f"no active dispatch order {order_id} on case {case_id}", reason="dispatch_not_found")
        previous = [o for o in active if o["role"] == "lead" and o["id"] != order_id]
        for old in previous:
            store.set_role(conn, order_id=old["id"], role="assist")
        store.set_role(conn, order_id=order_id, role="lead")
        access.audit(conn, user=user, action="dispatch.change_lead", object_type="case", object_id=str(case_id),
                     detail={"lead": order_id, "previous": [o["id"] for o in previous]})
        updated = store.case_orders(conn, case_id=case_id)
        for order in updated:
            if order["id"] == order_id or order["id"] in {o["id"] for o in previous}:
                events.append_event(conn, kind="dispatch.status", town_code=town_code, payload=_event(order))
    return updated


def update_order(conn: Conn, *, order_id: int, user: User, status: str, reason: str = "") -> dict[str, Any]:
    """Move one order; field staff may move only their own, operators may also cancel."""
    with conn.transaction():
        order = store.get_order(conn, order_id=order_id, for_update=True)
        if user.role == "field" and user.staff_code != order["staff_code"]:
            raise NotFound(f"dispatch order {order_id} not found", reason="dispatch_not_found")
        if status == order["status"]:  # a retried report (the phone lost the answer): nothing changes
            return order
        step = ORDER_STATUSES.get(status)
        if step is None:
            raise InvalidInput(f"unknown order status {status!r}", reason="unknown_status")
        if user.role == "field" and step.centre_only:
            raise Forbidden("only the command centre cancels an order", reason="role_not_allowed")
        allowed = ORDER_STATUSES[order["status"]].next
        if status not in allowed:
            raise Conflict(f"cannot move an order from {order['status']} to {status}", reason="illegal_transition",
                           state=order["status"], allowed=sorted(allowed))
        if step.needs_reason and not reason.strip():
            raise InvalidInput(f"{status} needs a reason", reason="missing_field", missing=["reason"])
        store.set_status(conn, order_id=order_id, status=status, reason=reason)
        updated = store.get_order(conn, order_id=order_id)
        on_order_step(conn, order=updated, user=user)
        events.append_event(conn, kind="dispatch.status", town_code=updated["town_code"], payload=_event(updated))
    return updated


def _event(order: dict[str, Any]) -> dict[str, Any]:
    return {"dispatch_id": order["id"], "case_id": order["case_id"], "staff_code": order["staff_code"],
            "role": order["role"], "status": order["status"]}
