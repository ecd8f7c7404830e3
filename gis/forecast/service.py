"""Forecasts and alerts of the stored cases, for the API: one ISO week, one tier.

County-wide callers get the county's model. For a town user everything is computed from the town's own grids
(the spatial lag over the town's contiguity, the trend test and its false discovery rate over the town's
units), so nothing they see depends on a neighbouring town's cases (gis.stats_cut states the rule). Answers
are cached per data version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from gis.errors import InvalidInput
from gis.forecast.alerts import DEFAULT_RULE, AlertRule, RisingTrend, rising_trend
from gis.forecast.model import forecast_next_week
from gis.forecast.series import DISCOVERED_CHANNELS, WeeklyCounts
from gis.hotspots.aggregate import grid_week_matrix, roll_up_matrix
from gis.hotspots.filters import CaseFilter, iso_week_window, local_day
from gis.hotspots.service import ResultCache
from gis.hotspots.units import UnitTable
from gis.hotspots.weights import HotspotWeights
from gis.models import Tier
from gis.storage import stats
from gis.storage.pool import Conn

HISTORY_WEEKS = 52
ALERT_TIERS = (Tier.VILLAGE, Tier.TOWN)  # grids alone are too sparse for a trend test
RESULTS = ResultCache()


@dataclass(frozen=True)
class TierForecast:
    """Expected cases of one ISO week per unit of a tier, from the weeks that ended before it began."""

    tier: Tier
    week: str
    data_until: str  # last day (China time) of the data used
    positions: NDArray[np.int64]  # the tier's units covered (all, or one town's), in tier order
    expected: NDArray[np.float64]  # aligned with ``positions``


@dataclass(frozen=True)
class TierAlerts:
    """The rising-trend test of a tier at the end of one ISO week, per stream.

    The reported stream raises the alerts; the grid workers' own finds are tested beside it and never
    alert on their own (they follow where workers are sent).
    """

    tier: Tier
    week: str
    rule: AlertRule
    positions: NDArray[np.int64]  # the tier's units tested (all, or one town's); the trends are aligned with it
    reported: RisingTrend
    discovered: RisingTrend


def covered(units: UnitTable, tier: Tier, town_code: str | None) -> NDArray[np.int64]:
    """Positions of the tier's units a computation covers: every unit county-wide, a town's own otherwise."""
    if town_code is None:
        return np.arange(len(units.of(tier)))
    return np.flatnonzero(units.in_town(tier, town_code))


def stored_weeks(conn: Conn, units: UnitTable, end: datetime, weeks: int) -> WeeklyCounts:
    """The ``weeks`` whole weeks of stored cases before ``end`` (a local midnight), split into the streams."""
    since = end - timedelta(weeks=weeks)
    everything = stats.grid_week_counts(conn, flt=CaseFilter(since, end))
    found = stats.grid_week_counts(conn, flt=CaseFilter(since, end, channels=tuple(sorted(DISCOVERED_CHANNELS))))
    total, discovered = grid_week_matrix(units, everything, weeks), grid_week_matrix(units, found, weeks)
    return WeeklyCounts(total - discovered, discovered, local_day(end) - timedelta(days=1))


def forecast_week(conn: Conn, weights: HotspotWeights, *, tier: Tier, week: str, now: datetime,
                  town_code: str | None = None) -> TierForecast:
    """Expected cases of ISO ``week`` (at most the current one) per unit of ``tier`` (a town's own for a town)."""
    start, _ = iso_week_window(week)
    if start > now:
        raise InvalidInput(f"{week} 尚未开始：预测最远到本周",
                           reason="week_not_forecastable")

    def compute() -> TierForecast:
        units = weights.units
        counts = stored_weeks(conn, units, start, HISTORY_WEEKS)
        grids = covered(units, Tier.GRID, town_code)
        total = counts.total[grids]
        grid = np.zeros(len(units.of(Tier.GRID)))
        if total.sum() > 0:
            neighbours = (weights.for_tier(Tier.GRID) if town_code is None
                          else weights.for_town(Tier.GRID, town_code)).matrix
            grid[grids] = forecast_next_week(total, HISTORY_WEEKS - 1, neighbours,
                                             units.of(Tier.GRID).population[grids]).grid
        positions = covered(units, tier, town_code)
        return TierForecast(tier, week, counts.last_day.isoformat(), positions,
                            units.roll_up(grid, tier)[positions])

    return RESULTS.get_or_compute(conn, ("forecast", weights.generation_id, tier, week, town_code), compute)


def alerts_week(conn: Conn, weights: HotspotWeights, *, tier: Tier, week: str, now: datetime,
                rule: AlertRule = DEFAULT_RULE, town_code: str | None = None) -> TierAlerts:
    """The rising-trend test of ``tier`` over the weeks ending with ISO ``week`` (a finished week).

    For a town user only the town's units are tested (their own change, their own false discovery rate).
    """
    if tier not in ALERT_TIERS:
        raise InvalidInput("上升预警只在村（社区）和镇（街道）两级计算：tier 用 village 或 town", reason="bad_tier")
    _, end = iso_week_window(week)
    if end > now:
        raise InvalidInput(f"{week} 尚未结束：预警按已结束的周计算", reason="week_not_ended")

    def compute() -> TierAlerts:
        units = weights.units
        counts = stored_weeks(conn, units, end, rule.weeks)
        positions = covered(units, tier, town_code)
        reported = rising_trend(roll_up_matrix(units, counts.reported, tier)[positions], rule)
        discovered = rising_trend(roll_up_matrix(units, counts.discovered, tier)[positions], rule)
        return TierAlerts(tier, week, rule, positions, reported, discovered)

    return RESULTS.get_or_compute(conn, ("alerts", weights.generation_id, tier, week, rule, town_code), compute)

