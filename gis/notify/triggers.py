"""Where notifications come from: each trigger builds its notice and enqueues it in the caller's transaction."""

from __future__ import annotations

from typing import Any

from gis.cases.models import Case
from gis.models import User
from gis.notify import kinds
from gis.notify.outbox import enqueue, notify_operators
from gis.storage import notifications as store
from gis.storage.pool import Conn

STAFF_ENDED = ("declined", "returned")  # an order the staff member gave back: the centre must send someone
# Cases that did not come in at the console: a field worker's own find, the public's report through the app.
FIELD_OR_PUBLIC_CHANNELS = ("grid_worker", "app")


def on_order_step(conn: Conn, *, order: dict[str, Any], user: User) -> int:
    """An order declined or returned: its dispatcher and the operators of the case's town are told."""
    if order["status"] not in STAFF_ENDED:
        return 0
    dispatcher, case_no = store.order_origin(conn, order_id=order["id"])
    notice = kinds.order_ended_by_staff(
        order_id=order["id"], status=order["status"], case_id=order["case_id"], case_no=case_no,
        town_code=order["town_code"], staff_name=order["staff_name"], role=order["role"], reason=order["reason"] or "")
    return notify_operators(conn, notice, also=(dispatcher,) if dispatcher else (), exclude=user.id)


def on_warning(conn: Conn, *, case: Case, level: str, reason: str) -> int:
    """The deadline sweep turned a case red or put it under 督办: the operators of its town are told."""
    notice = kinds.case_warned(level=level, case_id=case.id, case_no=case.case_no, town_code=case.town_code,
                               reason=reason)
    return notify_operators(conn, notice)


def on_case_registered(conn: Conn, *, case: Case, user: User, source: str, category: str) -> int:
    """A case from the field or the public: the operators of its region are told (not its registrar)."""
    if user.role != "field" and case.source_channel not in FIELD_OR_PUBLIC_CHANNELS:
        return 0
    notice = kinds.case_arrived(case_id=case.id, case_no=case.case_no, town_code=case.town_code, source=source,
                                category=category)
    return notify_operators(conn, notice, exclude=user.id)


def on_rising_village(conn: Conn, *, village_code: str, village_name: str, town_code: str, week: str, recent: int,
                      expected: float) -> int:
    """A rising-trend alert for a village: every user of its town is told (once per village and week)."""
    notice = kinds.trend_rising(village_code=village_code, village_name=village_name, town_code=town_code,
                                week=week, recent=recent, expected=expected)
    return enqueue(conn, notice, user_ids=store.users_of_town(conn, town_code=town_code))
