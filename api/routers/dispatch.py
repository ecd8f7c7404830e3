"""Recommendation, dispatch orders and batch assignment planning."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from api.deps import ConnDep, UserDep, require_roles
from api.routers.cases import CaseDep, case_in_scope
from api.routers.staff import staff_points
from gis.cases.models import Case
from gis.errors import InvalidInput, NotFound
from gis.staff.assignment import greedy_plan, optimal_plan
from gis.staff.dispatch import OrderRequest, dispatch_staff, update_order
from gis.staff.recommend import Place, recommend
from gis.storage import areas
from gis.storage import cases as case_store
from gis.storage import dispatch as store
from gis.storage import staff as staff_store
from gis.storage.pool import Conn

router = APIRouter(prefix="/api/v1", tags=["dispatch"])


class OrderIn(BaseModel):
    """One person to send."""

    staff_id: int
    role: Literal["lead", "assist"] = "assist"


class DispatchIn(BaseModel):
    """The centre's whistle: police, legal and grid staff at once."""

    staff: list[OrderIn] = Field(min_length=1, max_length=20)
    note: str = Field(default="", max_length=2000)


class OrderPatch(BaseModel):
    """A step of an order, reported by the field or the centre."""

    status: Literal["accepted", "en_route", "on_scene", "completed", "declined", "returned", "cancelled"]
    reason: str = Field(default="", max_length=2000)


class PlanIn(BaseModel):
    """Cases to cover at once, and with whom."""

    case_ids: list[int] = Field(min_length=1, max_length=500)
    role: str = "mediator"


def place_of(conn: Conn, case: Case) -> Place:
    """Where a case is (its point, or its grid's representative point) and who its parties are."""
    lon, lat = case.lon, case.lat
    if lon is None or lat is None:
        lon, lat = areas.representative_point(conn, generation_id=case.generation_id, code=case.grid_code)
    villages = frozenset(p["village_code"] for p in case_store.parties(conn, case_id=case.id) if p["village_code"])
    orders = store.case_orders(conn, case_id=case.id)
    declined = frozenset(o["staff_id"] for o in orders if o["status"] in ("declined", "returned"))
    engaged = frozenset(o["staff_id"] for o in orders if o["status"] in ("dispatched", "accepted", "en_route",
                                                                           "on_scene"))
    return Place(lon, lat, case.grid_code, case.village_code, case.town_code, case.category_code, villages,
                 declined, engaged)


@router.get("/cases/{case_id}/recommendations")
def recommendations(request: Request, conn: ConnDep, case: CaseDep,
                    role: Annotated[list[str], Query()] = ["mediator"],  # noqa: B006 (FastAPI reads defaults)
                    k: Annotated[int, Query(ge=1, le=50)] = 5) -> dict[str, Any]:
    """Ranked candidates per role with reasons, and who was left out and why."""
    points = staff_points(request, conn)
    ranking = recommend(conn, points=points, scoring=request.app.state.scoring, place=place_of(conn, case),
                        roles=role, k=k)
    return {"case_id": case.id, "crs_metric": f"EPSG:{points.metric.epsg}", "roles": ranking}


@router.post("/cases/{case_id}/dispatches", status_code=201, dependencies=[require_roles("operator")])
def create_dispatches(request: Request, conn: ConnDep, user: UserDep, case: CaseDep, body: DispatchIn
                      ) -> dict[str, Any]:
    """Send one or more staff; all orders are created or none (409 when someone is fully booked)."""
    orders = dispatch_staff(conn, case_id=case.id, town_code=case.town_code, user=user,
                            orders=[OrderRequest(o.staff_id, o.role) for o in body.staff], note=body.note)
    conn.commit()
    request.app.state.staff_dirty = True
    return {"orders": orders}


@router.get("/cases/{case_id}/dispatches")
def list_dispatches(conn: ConnDep, case: CaseDep) -> dict[str, Any]:
    """Every order of a case with the time of each step."""
    return {"orders": store.case_orders(conn, case_id=case.id)}


@router.patch("/dispatches/{dispatch_id}")
def patch_dispatch(request: Request, conn: ConnDep, user: UserDep, dispatch_id: int, body: OrderPatch
                   ) -> dict[str, Any]:
    """Report a step; a decline or return re-runs the recommendation for that role."""
    current = store.get_order(conn, order_id=dispatch_id)
    if user.town_code and current["town_code"] != user.town_code:
        raise NotFound(f"dispatch order {dispatch_id} not found", reason="dispatch_not_found")
    order = update_order(conn, order_id=dispatch_id, user=user, status=body.status, reason=body.reason)
    conn.commit()
    body_out: dict[str, Any] = {"order": order}
    if body.status in ("declined", "returned"):
        case = case_in_scope(conn, user, order["case_id"])
        points = staff_points(request, conn)
        body_out["recommendations"] = recommend(conn, points=points, scoring=request.app.state.scoring,
                                                place=place_of(conn, case), roles=[order["staff_role"]], k=5)
    return body_out


@router.post("/assignments/plan", dependencies=[require_roles("operator", "supervisor")])
def plan(request: Request, conn: ConnDep, user: UserDep, body: PlanIn) -> dict[str, Any]:
    """Optimal assignment (minimum total metres under capacity and skills) next to greedy nearest-first."""
    cases = [case_in_scope(conn, user, cid) for cid in dict.fromkeys(body.case_ids)]
    places = [place_of(conn, c) for c in cases]
    points = staff_points(request, conn)
    if body.role not in points.trees:
        raise InvalidInput(f"no located staff with role {body.role!r}", reason="unknown_role")
    staff_ids = [int(i) for i in points.ids[body.role]]
    rows = staff_store.staff_by_ids(conn, ids=staff_ids)
    staff_ids = [i for i in staff_ids if i in rows and rows[i]["duty_status"] != "off_duty"]
    staff_xy = points.trees[body.role].data[[list(points.ids[body.role]).index(i) for i in staff_ids]]
    case_xy = np.vstack([points.metric.xy(p.lon, p.lat) for p in places])
    distance = np.hypot(case_xy[:, None, 0] - staff_xy[None, :, 0], case_xy[:, None, 1] - staff_xy[None, :, 1])
    allowed = np.array([[any(p.category_code.startswith(s) for s in rows[i]["skills"]) for i in staff_ids]
                        for p in places], dtype=bool)
    free = np.array([max(rows[i]["capacity"] - rows[i]["active_orders"], 0) for i in staff_ids], dtype=np.int64)
    best, greedy = optimal_plan(distance, allowed, free), greedy_plan(distance, allowed, free)

    def view(p: Any) -> dict[str, Any]:
        return {"total_m": round(p.total_m, 1), "unassigned_case_ids": [cases[c].id for c in p.unassigned],
                "pairs": [{"case_id": cases[c].id, "staff_id": staff_ids[s], "staff_code": rows[staff_ids[s]][
                    "staff_code"], "distance_m": round(float(distance[c, s]), 1)} for c, s in p.pairs]}

    return {"role": body.role, "optimal": view(best), "greedy": view(greedy),
            "saving_m": round(greedy.total_m - best.total_m, 1)}
