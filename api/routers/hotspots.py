"""Hotspots (研判): GeoJSON or CSV units with counts, rates, Gi* z and p, 蓝黄红 level and trend."""

from __future__ import annotations

import json
import logging
import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Query, Response

from api.deps import ConnDep, UserDep, require_roles
from api.routers.cases import RulesDep
from gis.hotspots.analysis import HotspotTable, hotspot_table
from gis.hotspots.export import feature_collection, to_csv
from gis.hotspots.levels import LevelRules, load_level_rules
from gis.hotspots.query import HotspotQuery, hotspot_query
from gis.hotspots.service import RESULTS, active_weights
from gis.hotspots.weights import HotspotWeights
from gis.models import Tier
from gis.storage.pool import Conn

log = logging.getLogger("fengqiao.hotspots")
router = APIRouter(prefix="/api/v1", tags=["hotspots"])
STATS_ROLES = ("supervisor", "operator")


def compute(conn: Conn, query: HotspotQuery, town_code: str | None) -> tuple[HotspotTable, HotspotWeights,
                                                                             LevelRules]:
    """The (cached) hotspot table of a query, cut to the caller's town."""
    rules = load_level_rules().with_fdr(query.fdr)
    weights = active_weights(conn)
    key = ("hotspots", weights.generation_id, query, town_code)
    table = RESULTS.get_or_compute(conn, key, lambda: hotspot_table(
        conn, flt=query.flt, tier=query.tier, h3_resolution=query.h3, weights=weights, rules=rules,
        town_code=town_code))
    return table, weights, rules


@router.get("/hotspots", dependencies=[require_roles(*STATS_ROLES)], response_model=None)
def hotspots(
    conn: ConnDep, user: UserDep, rules: RulesDep,
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

    Computed county-wide; a town user gets their town's units. ``format=csv`` for spreadsheets.
    """
    query = hotspot_query(rules, tier=tier, h3=h3, fdr=fdr, since=since, until=until, category=category,
                          channels=channel, statuses=status, handling_tiers=handling_tier)

    def render() -> bytes:
        table, weights, level_rules = compute(conn, query, user.town_code)
        if format == "csv":
            return to_csv(table, level_rules).encode("utf-8")
        body = feature_collection(table, weights, level_rules, geometry=geometry)
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()

    data = RESULTS.get_or_compute(conn, ("body", query, user.town_code, format, geometry), render)
    if format == "csv":
        return Response(data, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="hotspots.csv"'})
    return Response(data, media_type="application/geo+json")


def install(app: FastAPI) -> None:
    """Start-up hook: build the grid weights and display layer in the background (about 5 s), once."""

    def warm() -> None:
        try:
            with app.state.pool.connection(timeout=30) as conn:
                weights = active_weights(conn)
                weights.for_tier(Tier.GRID)
                weights.display_geometry(Tier.GRID)
        except Exception:  # noqa: BLE001 - a failed warm-up only means the first request builds them
            log.warning("hotspot weights not warmed", exc_info=True)

    threading.Thread(target=warm, name="fengqiao-hotspot-weights", daemon=True).start()
