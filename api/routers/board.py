"""The dispatch board (`GET /api/v1/dispatches`; "my orders" for field users) and live staff positions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from api.deps import ConnDep, allow
from api.schemas import Model
from gis.policy import Scope
from gis.staff.privacy import POSITION_FIELDS, staff_views
from gis.staff.stale import STALE_AFTER_S, is_stale
from gis.storage import board

router = APIRouter(prefix="/api/v1", tags=["dispatch"])


class Board(Model):
    """Orders with their case's number, status, point and address, newest step first.

    Active orders of the whole region are paged (``total`` counts them all); ``stale`` marks an order that has
    stayed in its status longer than ``stale_after_s`` allows for that status.
    """

    orders: list[dict[str, Any]]
    total: int | None = None
    limit: int | None = None
    offset: int | None = None
    stale_after_s: dict[str, int] = {}


@router.get("/dispatches")
def dispatch_board(
    conn: ConnDep, scope: Annotated[Scope, allow("dispatch.read")],
    active: bool = True, case_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    status: Annotated[list[Literal["dispatched", "accepted", "en_route", "on_scene"]] | None, Query()] = None,
    role: Annotated[list[Literal["lead", "assist"]] | None, Query()] = None,
    town: Annotated[str | None, Query(max_length=32)] = None,
    case_status: Annotated[list[str] | None, Query(max_length=20)] = None,
) -> Board:
    """Orders in the caller's region (field users: their own), active ones unless ``active=false``.

    The board of active orders (no ``case_id``, not a field user) is paged with ``limit``/``offset`` and filtered
    by the order's ``status`` and ``role``, the case's ``town`` and ``case_status``; each row says if it is stale.
    """
    now = datetime.now(UTC)
    if active and case_id is None and not scope.own_only:
        rows, total = board.board_page(conn, statuses=list(status or ()), roles=list(role or ()), town=town,
                                       case_statuses=list(case_status or ()), limit=limit, offset=offset)
        return Board(orders=[{**r, "stale": is_stale(r["status"], r["last_step_at"], now)} for r in rows],
                     total=total, limit=limit, offset=offset, stale_after_s=STALE_AFTER_S)
    rows = board.board_orders(conn, active_only=active, case_id=case_id, limit=limit)
    return Board(orders=[{**r, "stale": r["active"] and is_stale(r["status"], r["last_step_at"], now)}
                         for r in rows], stale_after_s=STALE_AFTER_S)


class Positions(Model):
    """Staff with a last known position, as the caller may see them."""

    staff: list[dict[str, Any]]


@router.get("/positions")
def positions(conn: ConnDep, scope: Annotated[Scope, allow("staff.read")],
              limit: Annotated[int, Query(ge=1, le=20_000)] = 5000) -> Positions:
    """Last positions of active staff in the caller's region with role, duty status and workload.

    Whereabouts are personal data: callers who may not see them get no row (see gis/staff/privacy.py; a town
    user sees county-level staff only while they serve the town).
    """
    rows = staff_views(conn, scope, board.live_positions(conn, limit=limit))
    return Positions(staff=[r for r in rows if all(k in r for k in POSITION_FIELDS[:3])])
