"""Hotspots (研判): GeoJSON, CSV or Excel units with counts, rates, Gi* z and p, 蓝黄红 level and trend."""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from api.deps import ConnDep, HotspotsDep, RulesDep, StatsScope
from api.figures import figure
from api.schemas import GeoJSONFeatures
from gis.export_tables import MEDIA_TYPES, disposition, parse_format, render
from gis.hotspots.export import feature_collection, spreadsheet
from gis.hotspots.query import hotspot_query
from gis.stats_cut import check_window
from gis.storage.pool import Conn

log = logging.getLogger("fengqiao.hotspots")
router = APIRouter(prefix="/api/v1", tags=["hotspots"])


@router.get("/hotspots", response_class=Response,
            responses={200: {"model": GeoJSONFeatures,
                             "content": {"application/geo+json": {}, "text/csv": {}, MEDIA_TYPES["xlsx"]: {}},
                             "description": "units with counts, rates, z, p, risk level and trend"}})
async def hotspots(
    request: Request, conn: ConnDep, scope: StatsScope, rules: RulesDep, state: HotspotsDep,
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
    format: Annotated[str, Query(max_length=16, description="geojson, csv or xlsx (Chinese headers)")] = "geojson",
) -> Any:
    """Units of a tier (or H3 cells) with counts, rates, Gi* z, p, risk level and emerging trend.

    County-wide callers get the county's analysis. A town user gets their town's units' levels and counts only,
    computed from their town's cases, over windows of at least a week (gis/stats_cut.py; shorter: 422
    ``window_too_short``). ``format=csv`` or ``xlsx`` for spreadsheets: the same units, Chinese headers.
    Computed county-wide once per period and data version, per caller's cut (api/figures.py).
    """
    fmt = parse_format(format, ("geojson", "csv", "xlsx"))
    query = hotspot_query(rules, tier=tier, h3=h3, fdr=fdr, since=since, until=until, category=category,
                          channels=channel, statuses=status, handling_tiers=handling_tier)
    check_window(scope.town_code, query.flt.since, query.flt.until)
    params = (tier, h3, since, until, category, tuple(channel or ()), tuple(status or ()),
              tuple(handling_tier or ()), fdr, geometry, fmt)

    def answer(county: Conn) -> Response:
        table, weights, level_rules = state.compute(county, query, scope.town_code)
        if fmt != "geojson":
            return Response(render(fmt, spreadsheet(table, level_rules)), media_type=MEDIA_TYPES[fmt],
                            headers={"Content-Disposition": disposition(fmt, stem="hotspots", name="风险研判")})
        body = feature_collection(table, weights, level_rules, geometry=geometry)
        return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(),
                        media_type="application/geo+json")

    return await figure(request, conn, scope, "hotspots", params, answer, county=True)
