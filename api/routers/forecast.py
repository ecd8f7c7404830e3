"""Early warning (预警): next week's expected cases and rising-trend alerts per unit, scoped like the hotspots.

Both are computed county-wide (the spatial lag and the county's own change read every town) and cut here to
what the caller may see: a town user gets its own units only, and never a value that mixes in other towns'
counts unit by unit (no spatial lag, no test statistics).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, Query
from numpy.typing import NDArray

from api.deps import ServicesDep, allow
from api.errors import error_responses
from gis.forecast.service import TierAlerts, TierForecast, alerts_week, forecast_week
from gis.hotspots.service import active_weights
from gis.hotspots.units import UnitTable, parse_tier
from gis.models import Tier
from gis.policy import Scope
from gis.storage.pool import Conn, translate_pg_errors

router = APIRouter(prefix="/api/v1", tags=["forecast"])
ForecastScope = Annotated[Scope, allow("forecast.read")]
WeekParam = Annotated[str | None, Query(pattern=r"^\d{4}-W\d{2}$", description="ISO week such as 2026-W49")]


def county_forecast_connection(services: ServicesDep, scope: ForecastScope) -> Iterator[Conn]:
    """A connection counting every case of the county (the model and the trend test need all towns).

    Only counts leave, cut to the caller's units by ``own_units``.
    """
    with translate_pg_errors(), services.pool.system_connection() as conn:
        yield conn


CountyConn = Annotated[Conn, Depends(county_forecast_connection, scope="function")]


def _iso_week(moment: datetime) -> str:
    local = moment.astimezone(UTC) + timedelta(hours=8)
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def own_units(units: UnitTable, tier: Tier, town_code: str | None) -> NDArray[np.int64]:
    """Positions of the units a caller may see: all for county-wide users, its own town's for a town user.

    The minimal cut of these routes (own units only; no lag, z or p fields are ever added for a town user).
    """
    n = len(units.of(tier))
    if town_code is None:
        return np.arange(n)
    if tier == Tier.GRID:
        return np.flatnonzero(units.of(Tier.TOWN).codes[units.up[Tier.TOWN]] == town_code)
    if tier == Tier.VILLAGE:
        return np.flatnonzero(units.of(Tier.VILLAGE).parent_codes == town_code)
    if tier == Tier.TOWN:
        return np.flatnonzero(units.of(Tier.TOWN).codes == town_code)
    return np.zeros(0, dtype=np.int64)  # the county as a whole is not a town user's unit


def _town_of(units: UnitTable, tier: Tier) -> NDArray[np.str_]:
    if tier == Tier.GRID:
        return units.of(Tier.TOWN).codes[units.up[Tier.TOWN]]
    if tier == Tier.VILLAGE:
        return units.of(Tier.VILLAGE).parent_codes
    if tier == Tier.TOWN:
        return units.of(Tier.TOWN).codes
    return np.array([""] * len(units.of(tier)))


@router.get("/forecast", responses=error_responses(401, 403, 422))
def forecast(conn: CountyConn, scope: ForecastScope,
             tier: Annotated[Literal["grid", "village", "town", "county"], Query()] = "village",
             week: WeekParam = None) -> dict[str, Any]:
    """Expected cases of an ISO week (default: this week) per unit, from the weeks before it only.

    Tiers add up: a village's expected cases are the sum of its grids', a town's the sum of its villages'.
    """
    now = datetime.now(UTC)
    level = parse_tier(tier)
    weights = active_weights(conn)
    result: TierForecast = forecast_week(conn, weights, tier=level, week=week or _iso_week(now), now=now)
    units = weights.units.of(level)
    towns = _town_of(weights.units, level)
    keep = own_units(weights.units, level, scope.town_code)
    rows = [{"code": str(units.codes[i]), "name": str(units.names[i]), "town_code": str(towns[i]),
             "expected": round(float(result.expected[i]), 3)} for i in keep]
    return {"tier": tier, "week": result.week, "data_until": result.data_until, "units": rows,
            "expected_total": round(float(result.expected[keep].sum()), 3)}


@router.get("/forecast/alerts", responses=error_responses(401, 403, 422))
def forecast_alerts(conn: CountyConn, scope: ForecastScope,
                    tier: Annotated[Literal["village", "town"], Query()] = "village",
                    week: WeekParam = None) -> dict[str, Any]:
    """Rising-trend alerts at the end of an ISO week (default: last week).

    The last 4 weeks against the 13 before them, reported cases only (residents, hotlines, referrals); grid
    workers' own finds are shown beside (``discovered_*``) but never raise an alert: they follow where
    workers are sent.
    """
    now = datetime.now(UTC)
    level = parse_tier(tier)
    weights = active_weights(conn)
    result: TierAlerts = alerts_week(conn, weights, tier=level, week=week or _iso_week(now - timedelta(days=7)),
                                     now=now)
    units = weights.units.of(level)
    towns = _town_of(weights.units, level)
    county_wide = scope.town_code is None
    rows = []
    for i in own_units(weights.units, level, scope.town_code):
        rep, found = result.reported, result.discovered
        row: dict[str, Any] = {
            "code": str(units.codes[i]), "name": str(units.names[i]), "town_code": str(towns[i]),
            "alert": bool(rep.alert[i]), "recent": int(rep.recent[i]), "baseline": int(rep.baseline[i]),
            "expected": round(float(rep.expected[i]), 3), "discovered_recent": int(found.recent[i]),
            "discovered_rising": bool(found.alert[i]),
        }
        if county_wide:
            row.update(p=float(rep.p[i]), q=float(rep.q[i]))
        rows.append(row)
    rule = result.rule
    return {"tier": tier, "week": result.week,
            "rule": {"recent_weeks": rule.recent_weeks, "baseline_weeks": rule.baseline_weeks, "fdr": rule.fdr,
                     "min_count": rule.min_count},
            "alerted": sum(1 for r in rows if r["alert"]), "units": rows}
