"""The dispatch board (`GET /api/v1/dispatches`; "my orders" for field users) and live staff positions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import ConnDep, allow
from api.schemas import Model
from gis.policy import Scope
from gis.staff.privacy import POSITION_FIELDS, staff_views
from gis.storage import board

router = APIRouter(prefix="/api/v1", tags=["dispatch"])


class Board(Model):
    """Orders with their case's number, status, point and address, newest step first."""

    orders: list[dict[str, Any]]


@router.get("/dispatches")
def dispatch_board(conn: ConnDep, scope: Annotated[Scope, allow("dispatch.read")],
                   active: bool = True, case_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> Board:
    """Orders in the caller's region (field users: their own), active ones unless ``active=false``."""
    return Board(orders=board.board_orders(conn, active_only=active, case_id=case_id, limit=limit))


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
