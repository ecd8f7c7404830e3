"""Hotspots (研判): GeoJSON or CSV units with counts, rates, Gi* z and p, 蓝黄红 level and trend."""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from api.deps import CountyStatsConn, RulesDep, StatsScope
from gis.hotspots.export import feature_collection, to_csv
from gis.hotspots.query import hotspot_query
from gis.hotspots.service import RESULTS, compute
from gis.stats_cut import check_window

log = logging.getLogger("fengqiao.hotspots")
router = APIRouter(prefix="/api/v1", tags=["hotspots"])


@router.get("/hotspots", response_class=Response,
            responses={200: {"content": {"application/geo+json": {}, "text/csv": {}},
                             "description": "units with counts, rates, z, p, risk level and trend"}})
def hotspots(
    conn: CountyStatsConn, scope: StatsScope, rules: RulesDep,
    tier: Annotated[Literal["grid", "village", "town", "county"] | None, Query()] = None,
    h3: Annotated[int | None, Query(description="H3 resolution 7-10 instead of a tier")] = None,
    since: Annotated[str | None, Query(description="2026-11-01, an ISO datetime, or 30d / 8w")] = None,
    until: Annotated[str | None, Query()] = None,
    category: Annotated[str | None, Query(max_length=16, description="class (03) or item (0303) code")] = None,
    channel: Annotated[list[str] | None, Query()] = None,
    status: Annotated[list[str] | None, Query()] = None,
    handling_tier: Annotated[list[str] | None, Query()] = None,
    fdr: bool = True,
    geometry: Annotated[bool, Query(description="false: properties only (join to the vector tiles by code)")] = True,
    format: Annotated[Literal["geojson", "csv"], Query()] = "geojson",
) -> Any:
    """Units of a tier (or H3 cells) with counts, rates, Gi* z, p, risk level and emerging trend.

    County-wide callers get the county's analysis. A town user gets their town's units' levels and counts only,
    computed from their town's cases, over windows of at least a week (gis/stats_cut.py; shorter: 422
    ``window_too_short``). ``format=csv`` for spreadsheets.
    """
    query = hotspot_query(rules, tier=tier, h3=h3, fdr=fdr, since=since, until=until, category=category,
                          channels=channel, statuses=status, handling_tiers=handling_tier)
    check_window(scope.town_code, query.flt.since, query.flt.until)

    def render() -> bytes:
        table, weights, level_rules = compute(conn, query, scope.town_code)
        if format == "csv":
            return to_csv(table, level_rules).encode("utf-8")
        body = feature_collection(table, weights, level_rules, geometry=geometry)
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()

    data = RESULTS.get_or_compute(conn, ("body", query, scope.town_code, format, geometry), render)
    if format == "csv":
        return Response(data, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="hotspots.csv"'})
    return Response(data, media_type="application/geo+json")
