"""Early warning (预警): next week's expected cases and rising-trend alerts per unit, scoped like the hotspots.

County-wide callers get the county's model. A town user's forecast and alerts are computed from their own
town's grids only (gis.forecast.service) and cut by gis.stats_cut: their own units, no test statistics.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, Query
from numpy.typing import NDArray

from api.deps import HotspotsDep, ServicesDep, allow
from api.errors import error_responses
from api.schemas_stats import Forecast, ForecastAlerts
from gis.forecast.service import TierAlerts, TierForecast, alerts_week, forecast_week
from gis.hotspots.units import UnitTable, parse_tier
from gis.models import Tier
from gis.policy import SYSTEM, Scope
from gis.stats_cut import cut, own_units
from gis.storage.pool import Conn, translate_pg_errors

router = APIRouter(prefix="/api/v1", tags=["forecast"])
ForecastScope = Annotated[Scope, allow("forecast.read")]
WeekParam = Annotated[str | None, Query(pattern=r"^\d{4}-W\d{2}$", description="ISO week such as 2026-W49")]


def county_forecast_connection(services: ServicesDep, scope: ForecastScope) -> Iterator[Conn]:
    """A connection counting every case of the county (the model and the trend test need all towns).

    A town user's figures are computed from their own town's grids only and cut by gis.stats_cut.
    """
    with translate_pg_errors(), services.pool.session(SYSTEM) as conn:
        yield conn


CountyConn = Annotated[Conn, Depends(county_forecast_connection, scope="function")]


def _iso_week(moment: datetime) -> str:
    local = moment.astimezone(UTC) + timedelta(hours=8)
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def _town_of(units: UnitTable, tier: Tier) -> NDArray[np.str_]:
    if tier == Tier.GRID:
        return units.of(Tier.TOWN).codes[units.up[Tier.TOWN]]
    if tier == Tier.VILLAGE:
        return units.of(Tier.VILLAGE).parent_codes
    if tier == Tier.TOWN:
        return units.of(Tier.TOWN).codes
    return np.array([""] * len(units.of(tier)))


@router.get("/forecast", response_model=Forecast, responses=error_responses(401, 403, 422))
def forecast(conn: CountyConn, scope: ForecastScope, hotspots: HotspotsDep,
             tier: Annotated[Literal["grid", "village", "town", "county"], Query()] = "village",
             week: WeekParam = None) -> dict[str, Any]:
    """Expected cases of an ISO week (default: this week) per unit, from the weeks before it only.

    Tiers add up: a village's expected cases are the sum of its grids', a town's the sum of its villages'.
    """
    now = datetime.now(UTC)
    level = parse_tier(tier)
    weights = hotspots.weights(conn)
    result: TierForecast = forecast_week(conn, weights, tier=level, week=week or _iso_week(now), now=now,
                                         town_code=scope.town_code)
    units = weights.units.of(level)
    towns = _town_of(weights.units, level)
    rows: list[dict[str, Any]] = [{"code": str(units.codes[i]), "name": str(units.names[i]),
                                   "town_code": str(towns[i]), "forecast": round(float(value), 3)}
                                  for i, value in zip(result.positions, result.expected, strict=True)]
    rows = cut(scope.town_code, rows, own=own_units(scope.town_code, weights.units.town_of))
    return {"tier": tier, "week": result.week, "data_until": result.data_until, "units": rows,
            "forecast_total": round(float(result.expected.sum()), 3)}


@router.get("/forecast/alerts", response_model=ForecastAlerts, responses=error_responses(401, 403, 422))
def forecast_alerts(conn: CountyConn, scope: ForecastScope, hotspots: HotspotsDep,
                    tier: Annotated[Literal["village", "town"], Query()] = "village",
                    week: WeekParam = None) -> dict[str, Any]:
    """Rising-trend alerts at the end of an ISO week (default: last week).

    The last 4 weeks against the 13 before them, reported cases only (residents, hotlines, referrals); grid
    workers' own finds are shown beside (``discovered_*``) but never raise an alert: they follow where
    workers are sent.
    """
    now = datetime.now(UTC)
    level = parse_tier(tier)
    weights = hotspots.weights(conn)
    result: TierAlerts = alerts_week(conn, weights, tier=level, week=week or _iso_week(now - timedelta(days=7)),
                                     now=now, town_code=scope.town_code)
    units = weights.units.of(level)
    towns = _town_of(weights.units, level)
    rep, found = result.reported, result.discovered
    rows: list[dict[str, Any]] = [{
        "code": str(units.codes[i]), "name": str(units.names[i]), "town_code": str(towns[i]),
        "alert": bool(rep.alert[k]), "recent": int(rep.recent[k]), "baseline": int(rep.baseline[k]),
        "expected": round(float(rep.expected[k]), 3), "p": float(rep.p[k]), "q": float(rep.q[k]),
        "discovered_recent": int(found.recent[k]), "discovered_rising": bool(found.alert[k]),
    } for k, i in enumerate(result.positions)]
    rows = cut(scope.town_code, rows, own=own_units(scope.town_code, weights.units.town_of))
    rule = result.rule
    return {"tier": tier, "week": result.week,
            "rule": {"recent_weeks": rule.recent_weeks, "baseline_weeks": rule.baseline_weeks, "fdr": rule.fdr,
                     "min_count": rule.min_count},
            "alerted": sum(1 for r in rows if r["alert"]), "units": rows}
