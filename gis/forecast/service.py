"""Forecasts and alerts of the stored cases, for the API: one ISO week, one tier, county-wide.

Both are computed on the whole county (the spatial lag and the county's own change need every town) and
cut to the caller's units by the route. Answers are cached per request and data version.
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
from gis.hotspots.region import COUNTY_WIDE
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
    expected: NDArray[np.float64]


@dataclass(frozen=True)
class TierAlerts:
    """The rising-trend test of a tier at the end of one ISO week, per stream.

    The reported stream raises the alerts; the grid workers' own finds are tested beside it and never
    alert on their own (they follow where workers are sent).
    """

    tier: Tier
    week: str
    rule: AlertRule
    reported: RisingTrend
    discovered: RisingTrend


def stored_weeks(conn: Conn, units: UnitTable, end: datetime, weeks: int) -> WeeklyCounts:
    """The ``weeks`` whole weeks of stored cases before ``end`` (a local midnight), split into the streams."""
    since = end - timedelta(weeks=weeks)
    everything = stats.grid_week_counts(conn, flt=CaseFilter(since, end), region=COUNTY_WIDE)
    found = stats.grid_week_counts(conn, flt=CaseFilter(since, end, channels=tuple(sorted(DISCOVERED_CHANNELS))),
                                   region=COUNTY_WIDE)
    total, discovered = grid_week_matrix(units, everything, weeks), grid_week_matrix(units, found, weeks)
    return WeeklyCounts(total - discovered, discovered, local_day(end) - timedelta(days=1))


def forecast_week(conn: Conn, weights: HotspotWeights, *, tier: Tier, week: str, now: datetime) -> TierForecast:
    """Expected cases of ISO ``week`` (at most the current one) per unit of ``tier``."""
    start, _ = iso_week_window(week)
    if start > now:
        raise InvalidInput(f"{week} 尚未开始：预测最远到本周",
                           reason="week_not_forecastable")

    def compute() -> TierForecast:
        units = weights.units
        counts = stored_weeks(conn, units, start, HISTORY_WEEKS)
        total = counts.total
        if total.sum() == 0:
            grid = np.zeros(len(units.of(Tier.GRID)))
        else:
            grid = forecast_next_week(total, HISTORY_WEEKS - 1, weights.for_tier(Tier.GRID).matrix,
                                      units.of(Tier.GRID).population).grid
        return TierForecast(tier, week, counts.last_day.isoformat(), units.roll_up(grid, tier))

    return RESULTS.get_or_compute(conn, ("forecast", weights.generation_id, tier, week), compute)


def alerts_week(conn: Conn, weights: HotspotWeights, *, tier: Tier, week: str, now: datetime,
                rule: AlertRule = DEFAULT_RULE) -> TierAlerts:
    """The rising-trend test of ``tier`` over the weeks ending with ISO ``week`` (a finished week)."""
    if tier not in ALERT_TIERS:
        raise InvalidInput("上升预警只在村（社区）和镇（街道）两级计算：tier 用 village 或 town", reason="bad_tier")
    _, end = iso_week_window(week)
    if end > now:
        raise InvalidInput(f"{week} 尚未结束：预警按已结束的周计算", reason="week_not_ended")

    def compute() -> TierAlerts:
        units = weights.units
        counts = stored_weeks(conn, units, end, rule.weeks)
        reported = rising_trend(roll_up_matrix(units, counts.reported, tier), rule)
        discovered = rising_trend(roll_up_matrix(units, counts.discovered, tier), rule)
        return TierAlerts(tier, week, rule, reported, discovered)

    return RESULTS.get_or_compute(conn, ("alerts", weights.generation_id, tier, week, rule), compute)

