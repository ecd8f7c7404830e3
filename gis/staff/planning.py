"""Plans for many cases: build them inside the caller's region, and carry one out atomically."""

from __future__ import annotations

from typing import Any

from gis.errors import Conflict
from gis.policy import Scope
from gis.staff.assignment import Plan
from gis.staff.dispatch import OrderRequest, dispatch_staff
from gis.staff.place import place_of
from gis.staff.plan import plan_input, solve, unassigned_reason
from gis.staff.recommend import Scoring
from gis.staff.spatial import StaffPoints
from gis.storage import cases as case_store
from gis.storage import staff as staff_store
from gis.storage.pool import Conn


def make_plan(conn: Conn, *, scope: Scope, points: StaffPoints, scoring: Scoring, case_ids: list[int], role: str
              ) -> dict[str, Any]:
    """The optimal and greedy plans for cases the caller may see, with a reason for every unassigned case."""
    cases = [case_store.get_case(conn, case_id=cid) for cid in case_ids]
    places = [place_of(conn, c) for c in cases]
    ids, _ = points.positions(role)
    rows = staff_store.staff_by_ids(conn, ids=[int(i) for i in ids])
    matrices = plan_input(points=points, scoring=scoring, places=places, role=role, rows=rows,
                          eligible=lambda row, place: scope.may_send(row, place.town_code))
    best, greedy = solve(matrices)

    def view(p: Plan) -> dict[str, Any]:
        pairs = [{"case_id": cases[c].id, "staff_id": matrices.staff[s]["id"],
                  "staff_code": matrices.staff[s]["staff_code"], "staff_name": matrices.staff[s]["name"],
                  "distance_m": round(float(matrices.distance_m[c, s]), 1),
                  "cost_m": round(float(matrices.cost_m[c, s]), 1)} for c, s in p.pairs]
        return {"total_m": round(sum(x["distance_m"] for x in pairs), 1), "total_cost_m": round(p.total_m, 1),
                "pairs": pairs, "unassigned": [{"case_id": cases[c].id, "reason": unassigned_reason(matrices, c)}
                                               for c in p.unassigned]}

    optimal, nearest_first = view(best), view(greedy)
    return {"role": role, "staff_considered": len(matrices.staff), "optimal": optimal, "greedy": nearest_first,
            "saving_m": round(greedy.total_m - best.total_m, 1)}


def apply_plan(conn: Conn, *, scope: Scope, pairs: list[tuple[int, int]], role: str, note: str = ""
               ) -> list[dict[str, Any]]:
    """Create every order of a plan in one transaction, or none: the first failure names its pair."""
    user = scope.require_user()
    created: list[dict[str, Any]] = []
    with conn.transaction():
        for case_id, staff_id in pairs:
            case = case_store.get_case(conn, case_id=case_id)
            try:
                created += dispatch_staff(conn, case_id=case.id, town_code=case.town_code, user=user,
                                          orders=[OrderRequest(staff_id, role)], note=note or "按分派方案派单")
            except Conflict as exc:
                raise Conflict(f"case {case_id} / staff {staff_id}: {exc.message}; no order of the plan was created",
                               reason=exc.reason, case_id=case_id, staff_id=staff_id) from exc
    return created
