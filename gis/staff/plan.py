"""Assignment plans for many cases at once (after a typhoon, a surge): optimal next to greedy, with reasons.

Costs use the recommendation's rules: metres plus the skill-mismatch penalty converted to metres
(``skill_mismatch / per_km`` km), and the same exclusions (off duty, stale, at capacity, conflict of
interest, declined this case, already on it). Staff the caller may not send are never considered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from gis.errors import InvalidInput
from gis.staff.assignment import Plan, greedy_plan, optimal_plan
from gis.staff.recommend import Place, Scoring, exclusions, skill_matches
from gis.staff.spatial import StaffPoints


@dataclass(frozen=True)
class PlanInput:
    """The matrices a plan is solved over, and the staff behind each column."""

    cost_m: np.ndarray  # cases x staff: metres + skill penalty
    distance_m: np.ndarray
    allowed: np.ndarray  # cases x staff
    free: np.ndarray  # free capacity slots per staff member
    staff: list[dict[str, Any]]


def plan_input(*, points: StaffPoints, scoring: Scoring, places: list[Place], role: str,
               rows: dict[int, dict[str, Any]], eligible: Callable[[dict[str, Any], Place], bool],
               now: datetime | None = None) -> PlanInput:
    """Distance, cost and permission matrices for every located staff member of a role."""
    now = now or datetime.now(UTC)
    ids, staff_xy = points.positions(role)
    keep = [i for i, staff_id in enumerate(ids.tolist()) if staff_id in rows]
    staff = [rows[int(ids[i])] for i in keep]
    staff_xy = staff_xy[keep]
    case_xy = np.vstack([points.metric.xy(p.lon, p.lat) for p in places]) if places else np.zeros((0, 2))
    distance = np.hypot(case_xy[:, None, 0] - staff_xy[None, :, 0], case_xy[:, None, 1] - staff_xy[None, :, 1])
    penalty_m = scoring.skill_mismatch / scoring.per_km * 1000 if scoring.per_km else 0.0
    mismatch = np.array([[not skill_matches(p.category_code, s["skills"]) for s in staff] for p in places], dtype=bool)
    allowed = np.array([[eligible(s, p) and not exclusions(s, p, scoring, now) for s in staff] for p in places],
                       dtype=bool).reshape(len(places), len(staff))
    free = np.array([max(s["capacity"] - s["active_orders"], 0) for s in staff], dtype=np.int64)
    cost = distance + mismatch.reshape(distance.shape) * penalty_m
    return PlanInput(cost, distance, allowed, free, staff)


def unassigned_reason(matrices: PlanInput, case: int) -> str:
    """Why a case got nobody: no staff it may be given, all of them full, or others took the free slots."""
    eligible_staff = matrices.allowed[case]
    if not eligible_staff.any():
        return "no_eligible_staff"  # none in the caller's region / none free of exclusions
    if not (matrices.free[eligible_staff] > 0).any():
        return "no_capacity"
    return "slots_taken_by_other_cases"


def solve(matrices: PlanInput) -> tuple[Plan, Plan]:
    """(optimal, greedy) over the same matrices."""
    if matrices.cost_m.size and not np.isfinite(matrices.cost_m).all():
        raise InvalidInput("a case has no usable location", reason="no_location")
    return (optimal_plan(matrices.cost_m, matrices.allowed, matrices.free),
            greedy_plan(matrices.cost_m, matrices.allowed, matrices.free))
