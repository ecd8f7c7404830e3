"""Which villages the van should visit on a day, and the day's route, from the stored cases.

A village's priority is the number of cases of the chosen category it is expected to have in the plan's week:
its forecast (gis.forecast.service, all categories) times the category's share of its cases in the same
season (the same weeks a year earlier, four weeks either side) and the last eight weeks, shrunk towards the
county's (or the town's) share with the weight of ``SHARE_PRIOR`` cases, so a village with three cases cannot
claim a share of 100 %. A village under a rising-trend alert in the last finished week counts double. The
``CANDIDATES`` highest villages go to the route solver, which keeps those that fit into the day.

A town user plans over their own town's villages, from their own town's cases only, starting at the town.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from gis.errors import InvalidInput
from gis.forecast.service import alerts_week, forecast_week
from gis.forecast.van import Candidate, DayRoute, WorkingDay, plan_day
from gis.hotspots.aggregate import grid_week_matrix
from gis.hotspots.filters import CaseFilter, local_midnight
from gis.hotspots.units import UnitTable
from gis.hotspots.weights import HotspotWeights
from gis.models import Tier
from gis.storage import stats
from gis.storage.pool import Conn

SHARE_PRIOR = 10.0
ALERT_WEIGHT = 2.0
CANDIDATES = 15
SEASON_HALF_WIDTH = timedelta(weeks=4)
RECENT = timedelta(weeks=8)
PLAN_AHEAD_DAYS = 14


@dataclass(frozen=True)
class VillageReason:
    """Why a village is on the list: its forecast, the category's share and whether it is alerted."""

    forecast: float
    share: float
    alerted: bool


@dataclass(frozen=True)
class VanPlan:
    """A day's plan with the figures behind each candidate."""

    day: date
    category: str | None
    centre: tuple[float, float]
    centre_name: str
    forecast_week: str
    alert_week: str
    route: DayRoute
    reasons: dict[str, VillageReason]


def iso_week(day: date) -> str:
    """``2026-W49`` of a day."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _category_share(conn: Conn, units: UnitTable, category: str | None, day: date, town_code: str | None
                    ) -> NDArray[np.float64]:
    """Per village: the category's shrunk share of its cases in the season a year ago and the recent weeks."""
    villages = len(units.of(Tier.VILLAGE))
    if category is None:
        return np.ones(villages)
    midnight = local_midnight(day)
    windows = [(midnight - timedelta(days=364) - SEASON_HALF_WIDTH, midnight - timedelta(days=364) + SEASON_HALF_WIDTH),
               (midnight - RECENT, min(midnight, datetime.now(UTC)))]
    wanted, every = np.zeros(villages), np.zeros(villages)
    for since, until in windows:
        if until <= since:
            continue
        weeks = max(1, -(-(until - since).days // 7))
        for total, cat in ((every, None), (wanted, category)):
            rows = stats.grid_week_counts(conn, flt=CaseFilter(since, until, category=cat, town_code=town_code))
            total += units.roll_up(grid_week_matrix(units, rows, weeks).sum(axis=1), Tier.VILLAGE)
    overall = wanted.sum() / every.sum() if every.sum() > 0 else 0.0
    return (wanted + SHARE_PRIOR * overall) / (every + SHARE_PRIOR)


def _centre(units: UnitTable, town_code: str | None) -> tuple[tuple[float, float], str]:
    """Where the day starts and ends: the town's (a town user's) or the county's representative point."""
    tier, code = (Tier.TOWN, town_code) if town_code else (Tier.COUNTY, None)
    table = units.of(tier)
    i = table.index[code] if code else 0
    point = table.geometry[i].representative_point()
    return (round(point.x, 6), round(point.y, 6)), str(table.names[i])


def plan_van_day(conn: Conn, weights: HotspotWeights, *, day: date, category: str | None, working: WorkingDay,
                 now: datetime, town_code: str | None = None,
                 centre: tuple[float, float] | None = None) -> VanPlan:
    """The villages to visit on ``day`` for ``category`` (or all), in route order within the working day."""
    today = (now + timedelta(hours=8)).date()
    if day > today + timedelta(days=PLAN_AHEAD_DAYS):
        raise InvalidInput(f"最多提前 {PLAN_AHEAD_DAYS} 天安排路线", reason="plan_too_far_ahead")
    units = weights.units
    forecast_day = min(day, today)  # a later week's forecast is this week's: its data ends today
    week = iso_week(forecast_day)
    alert_week = iso_week(forecast_day - timedelta(days=7))
    forecast = forecast_week(conn, weights, tier=Tier.VILLAGE, week=week, now=now, town_code=town_code)
    alerts = alerts_week(conn, weights, tier=Tier.VILLAGE, week=alert_week, now=now, town_code=town_code)
    share = _category_share(conn, units, category, day, town_code)
    alerted = dict(zip(alerts.positions.tolist(), alerts.reported.alert.tolist(), strict=True))
    villages = units.of(Tier.VILLAGE)
    reasons: dict[str, VillageReason] = {}
    scored: list[tuple[float, int]] = []
    for position, expected in zip(forecast.positions.tolist(), forecast.expected.tolist(), strict=True):
        flag = bool(alerted.get(position, False))
        priority = expected * share[position] * (ALERT_WEIGHT if flag else 1.0)
        reasons[str(villages.codes[position])] = VillageReason(round(expected, 3), round(float(share[position]), 3),
                                                               flag)
        if priority > 0:
            scored.append((priority, position))
    scored.sort(key=lambda item: (-item[0], str(villages.codes[item[1]])))
    candidates = []
    for priority, position in scored[:CANDIDATES]:
        point = villages.geometry[position].representative_point()
        candidates.append(Candidate(str(villages.codes[position]), str(villages.names[position]),
                                    round(point.x, 6), round(point.y, 6), round(priority, 4)))
    start, start_name = _centre(units, town_code)
    if centre is not None:
        start, start_name = centre, "指定出发点"
    return VanPlan(day, category, start, start_name, week, alert_week, plan_day(start, candidates, working),
                   {c.code: reasons[c.code] for c in candidates})
