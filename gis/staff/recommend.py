"""Explainable ranking of staff for a case: responsibility, skills, distance, workload, freshness."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from gis.errors import InvalidInput
from gis.settings import PROJECT_ROOT
from gis.staff.roster import ROLES
from gis.staff.spatial import StaffPoints
from gis.storage import staff as store
from gis.storage.pool import Conn

SCORING_FILE = PROJECT_ROOT / "data" / "dispatch" / "scoring.toml"
RESPONSIBILITY = ("负责本网格", "负责本村（社区）", "负责本镇（街道）", "非属地")


@dataclass(frozen=True)
class Scoring:
    """Weights and limits from data/dispatch/scoring.toml."""

    responsibility: float
    skill_mismatch: float
    per_km: float
    per_active_order: float
    per_minute_of_staleness: float
    stale_after_minutes: float
    history_days: float
    candidates_per_role: int


def load_scoring(path: Path = SCORING_FILE) -> Scoring:
    """Read the scoring file."""
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    w, p = doc["weights"], doc["positions"]
    return Scoring(float(w["responsibility"]), float(w["skill_mismatch"]), float(w["per_km"]),
                   float(w["per_active_order"]), float(w["per_minute_of_staleness"]),
                   float(p["stale_after_minutes"]), float(p["history_days"]),
                   int(doc["search"]["candidates_per_role"]))


@dataclass(frozen=True)
class Place:
    """What the ranking needs to know about a case."""

    lon: float
    lat: float
    grid_code: str
    village_code: str
    town_code: str
    category_code: str
    party_villages: frozenset[str] = frozenset()
    declined_staff: frozenset[int] = frozenset()  # declined or returned this case: not asked again
    engaged_staff: frozenset[int] = frozenset()  # already on an active order of this case


MAX_EXCLUDED_SHOWN = 50


def skill_matches(category_code: str, skills: list[str] | tuple[str, ...]) -> bool:
    """The one skill rule (recommendations and plans): a skill is a category class or item code prefix.

    A mismatch is a penalty (``Scoring.skill_mismatch``), never a filter: in a surge an unskilled
    mediator nearby may still be the best available.
    """
    return any(category_code.startswith(s) for s in skills)


def recommend(conn: Conn, *, points: StaffPoints, scoring: Scoring, place: Place, roles: list[str], k: int,
              eligible: Callable[[dict[str, Any]], bool] = lambda row: True, now: datetime | None = None
              ) -> dict[str, Any]:
    """Ranked candidates per role (best first, with reasons) and who was left out and why.

    The search starts with the ``candidates_per_role`` nearest plus everyone responsible for the place and
    widens (x4 each round) until ``k`` candidates are available or the role is exhausted; ``searched`` says
    how far it looked. ``eligible`` removes staff the caller may not see or send (never listed at all).
    """
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise InvalidInput(f"unknown role(s) {unknown}; roles: {list(ROLES)}", reason="unknown_role")
    if not 1 <= k <= 50:
        raise InvalidInput("k must be 1-50", reason="invalid_k")
    now = now or datetime.now(UTC)
    return {role: _rank_role(conn, points, scoring, place, role, k, eligible, now) for role in roles}


def _rank_role(conn: Conn, points: StaffPoints, scoring: Scoring, place: Place, role: str, k: int,
               eligible: Callable[[dict[str, Any]], bool], now: datetime) -> dict[str, Any]:
    here = points.metric.xy(place.lon, place.lat)[0]
    total = points.count(role)
    wanted = min(scoring.candidates_per_role, max(total, 1))
    rows = store.staff_by_ids(conn, ids=store.responsible_ids(
        conn, roles=[role], codes=[place.grid_code, place.village_code, place.town_code]))
    while True:
        near = points.nearest(role, place.lon, place.lat, wanted)
        new_ids = [i for i, _ in near if i not in rows]
        rows.update(store.staff_by_ids(conn, ids=new_ids))
        verdicts = [_judge(row, place, scoring, now, here, points) for row in rows.values() if eligible(row)]
        ranked = [v for v in verdicts if "excluded_because" not in v]
        if len(ranked) >= k or wanted >= total:
            break
        wanted = min(wanted * 4, total)
    ranked.sort(key=lambda c: (c["score"], c["distance_m"], c["staff_code"]))
    excluded = sorted((v for v in verdicts if "excluded_because" in v),
                      key=lambda c: (c["distance_m"], c["staff_code"]))
    reasons: dict[str, int] = {}
    for verdict in excluded:
        for reason in verdict["excluded_because"]:
            reasons[reason] = reasons.get(reason, 0) + 1
    searched = {"examined": len(verdicts), "nearest_considered": len(near),
                "radius_m": round(near[-1][1], 1) if near else 0.0, "exhausted": wanted >= total}
    return {"candidates": ranked[:k], "excluded": excluded[:MAX_EXCLUDED_SHOWN], "excluded_counts": reasons,
            "searched": searched}


def _judge(row: dict[str, Any], place: Place, scoring: Scoring, now: datetime, here: np.ndarray,
           points: StaffPoints) -> dict[str, Any]:
    has_gps = row["position_at"] is not None
    lon, lat = (row["position_lon"], row["position_lat"]) if has_gps else (row["home_lon"], row["home_lat"])
    distance = float(np.hypot(*(points.metric.xy(lon, lat)[0] - here))) if lon is not None else float("inf")
    age_min = (now - row["position_at"]).total_seconds() / 60 if has_gps else None
    territory = set(row["territory"])
    rank = next((i for i, code in enumerate((place.grid_code, place.village_code, place.town_code))
                 if code in territory), 3)
    skilled = skill_matches(place.category_code, row["skills"])
    base = {"staff_id": row["id"], "staff_code": row["staff_code"], "name": row["name"], "role": row["role"],
            "organisation": row["organisation"], "distance_m": round(distance, 1),
            "position": "gps" if has_gps else "home_base", "position_age_min": None if age_min is None
            else round(age_min, 1), "active_orders": row["active_orders"], "capacity": row["capacity"]}
    reasons = exclusions(row, place, scoring, now)
    if reasons:
        return {**base, "excluded_because": reasons}
    terms = {
        "responsibility": rank * scoring.responsibility,
        "skill": 0.0 if skilled else scoring.skill_mismatch,
        "distance": distance / 1000 * scoring.per_km,
        "workload": row["active_orders"] * scoring.per_active_order,
        "staleness": (age_min or 0.0) * scoring.per_minute_of_staleness,
    }
    why = [RESPONSIBILITY[rank], "擅长该类纠纷" if skilled else "技能不匹配", f"距离 {distance / 1000:.2f} km",
           f"在办 {row['active_orders']}/{row['capacity']}",
           f"位置 {age_min:.0f} 分钟前" if age_min is not None else "按驻地计算"]
    return {**base, "score": round(sum(terms.values()), 2), "score_terms": {k: round(v, 2) for k, v in terms.items()},
            "reasons": why}


def exclusions(row: dict[str, Any], place: Place, scoring: Scoring, now: datetime) -> list[str]:
    """Why a staff member may not be sent to this place now (empty when they may)."""
    age_min = (now - row["position_at"]).total_seconds() / 60 if row["position_at"] is not None else None
    reasons = []
    if row["id"] in place.declined_staff:
        reasons.append("declined_this_case")
    if row["id"] in place.engaged_staff:
        reasons.append("already_dispatched")
    if row["duty_status"] == "off_duty":
        reasons.append("off_duty")
    if age_min is not None and age_min > scoring.stale_after_minutes:
        reasons.append("stale_position")
    if row["position_at"] is None and row["home_lon"] is None:
        reasons.append("no_location")
    if row["active_orders"] >= row["capacity"]:
        reasons.append("at_capacity")
    if row["home_village_code"] and row["home_village_code"] in place.party_villages:
        reasons.append("conflict_of_interest")
    return reasons


def stale_cutoff(scoring: Scoring, now: datetime | None = None) -> datetime:
    """Positions recorded before this are stale."""
    return (now or datetime.now(UTC)) - timedelta(minutes=scoring.stale_after_minutes)
