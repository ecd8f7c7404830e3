"""Recommendation, dispatch orders, lead changes and assignment plans ("中心吹哨、部门报到")."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ActableCase, ConnDep, ReadableCase, RulesDep, ScoringDep, StaffPointsDep, allow
from api.errors import error_responses
from api.schemas import AssignmentPlan, Model, OrderStep
from gis.policy import Scope
from gis.staff.dispatch import OrderRequest, change_lead, dispatch_staff, move_on_with_lead, update_order
from gis.staff.orders import ORDER_STATUSES
from gis.staff.place import place_of
from gis.staff.planning import apply_plan, make_plan
from gis.staff.recommend import recommend
from gis.staff.roster import ROLES
from gis.storage import cases as case_store
from gis.storage import dispatch as store

router = APIRouter(prefix="/api/v1", tags=["dispatch"])
# Literal types built from the one definition of each set (documented as enums in the OpenAPI document).
OrderStatusName = Literal[tuple(s for s in ORDER_STATUSES if s != "dispatched")]  # type: ignore[valid-type]
RoleName = Annotated[str, Field(max_length=32, description=f"a staff role: {', '.join(ROLES)}")]


class OrderIn(BaseModel):
    """One person to send, as lead (主办, one per case) or assistant (协办)."""

    model_config = ConfigDict(extra="forbid")  # unknown fields are a 422, never silently dropped

    staff_id: int = Field(ge=1, le=2**62)
    role: Literal["lead", "assist"] = "assist"


class DispatchIn(BaseModel):
    """The centre's whistle: police, legal and grid staff at once."""

    model_config = ConfigDict(extra="forbid")  # unknown fields are a 422, never silently dropped

    staff: list[OrderIn] = Field(min_length=1, max_length=20)
    note: str = Field(default="", max_length=2000)


class OrderPatch(BaseModel):
    """A step of an order, reported by the field or the centre."""

    model_config = ConfigDict(extra="forbid")  # unknown fields are a 422, never silently dropped

    status: OrderStatusName  # type: ignore[valid-type]
    reason: str = Field(default="", max_length=2000)


class LeadIn(BaseModel):
    """Which active order becomes the case's lead."""

    model_config = ConfigDict(extra="forbid")  # unknown fields are a 422, never silently dropped

    dispatch_id: int = Field(ge=1, le=2**62)


class PlanIn(BaseModel):
    """Cases to cover at once, and with whom."""

    model_config = ConfigDict(extra="forbid")  # unknown fields are a 422, never silently dropped

    case_ids: list[int] = Field(min_length=1, max_length=500)
    role: RoleName = "mediator"


class PairIn(BaseModel):
    """One case and the staff member a plan gave it."""

    model_config = ConfigDict(extra="forbid")  # unknown fields are a 422, never silently dropped

    case_id: int = Field(ge=1, le=2**62)
    staff_id: int = Field(ge=1, le=2**62)


class ApplyIn(BaseModel):
    """A plan to carry out: every order is created, or none."""

    model_config = ConfigDict(extra="forbid")  # unknown fields are a 422, never silently dropped

    pairs: list[PairIn] = Field(min_length=1, max_length=500)
    role: Literal["lead", "assist"] = "lead"
    note: str = Field(default="", max_length=2000)


class Orders(Model):
    """Dispatch orders."""

    orders: list[dict[str, Any]]


class Recommendations(Model):
    """Ranked candidates per staff role."""

    case_id: int
    crs_metric: str
    roles: dict[str, Any]


@router.get("/cases/{case_id}/recommendations", responses=error_responses(404, 422))
def recommendations(conn: ConnDep, scope: Annotated[Scope, allow("dispatch.read")], case: ReadableCase,
                    points: StaffPointsDep, scoring: ScoringDep,
                    role: Annotated[list[RoleName], Query(max_length=6)] = ["mediator"],  # noqa: B006
                    k: Annotated[int, Query(ge=1, le=50)] = 5) -> Recommendations:
    """Ranked candidates per role with reasons, who was left out and why, and how far the search looked."""
    ranking = recommend(conn, points=points, scoring=scoring, place=place_of(conn, case), roles=list(role), k=k,
                        eligible=lambda row: scope.may_send(row, case.town_code))
    return Recommendations(case_id=case.id, crs_metric=f"EPSG:{points.metric.epsg}", roles=ranking)


@router.post("/cases/{case_id}/dispatches", status_code=201, responses=error_responses(404, 409, 422))
def create_dispatches(conn: ConnDep, scope: Annotated[Scope, allow("dispatch.create")], rules: RulesDep,
                      case: ActableCase, body: DispatchIn) -> Orders:
    """Send one or more staff; all orders are created or none (409 when someone is fully booked).

    Sending a lead hands a newly registered case on (分流), in the same transaction.
    """
    orders = dispatch_staff(conn, case_id=case.id, town_code=case.town_code, user=scope.require_user(),
                            orders=[OrderRequest(o.staff_id, o.role) for o in body.staff], note=body.note)
    if any(o.role == "lead" for o in body.staff):
        move_on_with_lead(conn, rules=rules, case_id=case.id, user=scope.require_user())
    return Orders(orders=orders)


@router.get("/cases/{case_id}/dispatches", responses=error_responses(404))
def list_dispatches(conn: ConnDep, scope: Annotated[Scope, allow("dispatch.read")], case: ReadableCase) -> Orders:
    """Every order of a case with the time of each step."""
    return Orders(orders=store.case_orders(conn, case_id=case.id))


@router.post("/cases/{case_id}/lead", responses=error_responses(404, 409))
def set_lead(conn: ConnDep, scope: Annotated[Scope, allow("dispatch.create")], case: ActableCase, body: LeadIn
             ) -> Orders:
    """Change the lead: the named active order leads, the current lead becomes an assistant (audited)."""
    orders = change_lead(conn, case_id=case.id, town_code=case.town_code, order_id=body.dispatch_id,
                         user=scope.require_user())
    return Orders(orders=orders)


@router.patch("/dispatches/{dispatch_id}", responses=error_responses(403, 404, 409, 422))
def patch_dispatch(conn: ConnDep, scope: Annotated[Scope, allow("dispatch.step")], points: StaffPointsDep,
                   scoring: ScoringDep, dispatch_id: int, body: OrderPatch) -> OrderStep:
    """Report a step (repeating the current one changes nothing); a decline or return re-ranks that role."""
    current = store.get_order(conn, order_id=dispatch_id)
    case = case_store.get_case(conn, case_id=current["case_id"])
    order = update_order(conn, order_id=dispatch_id, user=scope.require_user(), status=body.status,
                         reason=body.reason)
    out = OrderStep(order=order)
    if body.status in ("declined", "returned") and not scope.own_only:
        out.recommendations = recommend(conn, points=points, scoring=scoring, place=place_of(conn, case),
                                           roles=[order["staff_role"]], k=5,
                                           eligible=lambda row: scope.may_send(row, case.town_code))
    return out


@router.post("/assignments/plan", responses=error_responses(404, 422))
def plan(conn: ConnDep, scope: Annotated[Scope, allow("plans.make")], points: StaffPointsDep, scoring: ScoringDep,
         body: PlanIn) -> AssignmentPlan:
    """Optimal assignment (least metres + skill penalties under capacity) next to greedy nearest-first."""
    made = make_plan(conn, scope=scope, points=points, scoring=scoring, case_ids=list(dict.fromkeys(body.case_ids)),
                     role=body.role)
    return AssignmentPlan.model_validate(made)


@router.post("/assignments/apply", status_code=201, responses=error_responses(404, 409, 422))
def apply(conn: ConnDep, scope: Annotated[Scope, allow("dispatch.create")], body: ApplyIn) -> Orders:
    """Carry out a plan: every order created in one transaction, or none (409 naming the pair that failed)."""
    orders = apply_plan(conn, scope=scope, pairs=[(p.case_id, p.staff_id) for p in body.pairs], role=body.role,
                        note=body.note)
    return Orders(orders=orders)
