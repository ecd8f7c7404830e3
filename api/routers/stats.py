"""考核 figures per unit and staff member, the weekly ranking, and the overdue / 督办 board."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from api.deps import ConnDep, CountyStatsConn, RulesDep, StatsScope
from gis.hotspots.overdue import board_filter, overdue_board, supervision_list
from gis.hotspots.query import hotspot_query, window
from gis.hotspots.region import town_region
from gis.hotspots.review import performance, rankings
from gis.hotspots.service import active_weights, compute
from gis.hotspots.units import parse_tier
from gis.stats_cut import check_window, computed_from_own_cases, cut, cut_rankings, own_units

router = APIRouter(prefix="/api/v1", tags=["stats"])
Since = Annotated[str | None, Query(description="2026-11-01, an ISO datetime, or 30d / 8w (default: 30 days)")]


def _period(perf: Any) -> dict[str, Any]:
    span = perf.until - perf.since
    return {"by": perf.by, "since": perf.since.isoformat(), "until": perf.until.isoformat(),
            "previous": {"since": (perf.since - span).isoformat(), "until": perf.since.isoformat()}}


@router.get("/stats/units")
def unit_stats(conn: ConnDep, scope: StatsScope, rules: RulesDep,
               tier: Literal["county", "town", "village", "grid"] = "town", since: Since = None,
               until: str | None = None) -> dict[str, Any]:
    """The loop's figures per unit for the period and the previous one (definitions: data/cases/README.md)."""
    start, end = window(since, until)
    check_window(scope.town_code, start, end)
    units = active_weights(conn).units
    perf = performance(conn, by=tier, since=start, until=end, region=town_region(scope.town_code), units=units,
                       pending_states=rules.workflow.pending_states())
    own = computed_from_own_cases if tier == "county" else own_units(scope.town_code, units.town_of, key="unit")
    return {**_period(perf), "units": cut(scope.town_code, perf.rows, own=own)}


@router.get("/stats/staff")
def staff_stats(conn: ConnDep, scope: StatsScope, rules: RulesDep, since: Since = None, until: str | None = None
                ) -> dict[str, Any]:
    """The loop's figures per staff member (credited with the cases where they held the lead order)."""
    start, end = window(since, until)
    check_window(scope.town_code, start, end)
    perf = performance(conn, by="staff", since=start, until=end, region=town_region(scope.town_code), units=None,
                       pending_states=rules.workflow.pending_states())
    # Figures from the caller's own cases only (the region), credited to whoever led them.
    return {**_period(perf), "staff": cut(scope.town_code, perf.rows, own=computed_from_own_cases)}


@router.get("/stats/rankings")
def weekly_rankings(conn: CountyStatsConn, scope: StatsScope, rules: RulesDep, since: Since = None,
                    until: str | None = None, top: Annotated[int, Query(ge=1, le=100)] = 10) -> dict[str, Any]:
    """For the weekly meeting: towns with the most red grids, fastest-rising grids, lowest on-time rates.

    A town user gets at most their own town's entries and their own grids (no rank among other towns).
    """
    query = hotspot_query(rules, tier="grid", h3=None, since=since or "7d", until=until)
    check_window(scope.town_code, query.flt.since, query.flt.until)
    table, weights, _ = compute(conn, query, scope.town_code)
    perf = performance(conn, by="town", since=query.flt.since, until=query.flt.until,
                       region=town_region(scope.town_code), units=weights.units,
                       pending_states=rules.workflow.pending_states())
    ranked = cut_rankings(scope.town_code, rankings(table, perf, weights.units, top=top), weights.units.town_of)
    return {"since": query.flt.since.isoformat(), "until": query.flt.until.isoformat(), **ranked}


@router.get("/overdue")
def overdue(conn: ConnDep, scope: StatsScope, rules: RulesDep, town: str | None = None,
            category: Annotated[str | None, Query(max_length=16)] = None,
            tier: Annotated[list[str] | None, Query(description="handling tier(s)")] = None,
            limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0
            ) -> dict[str, Any]:
    """Warning (yellow/red) and overdue cases by due time, oldest first; nothing drops off for age."""
    if category:
        rules.taxonomy.get(category)
    tiers = tuple(int(parse_tier(t)) if not t.isdigit() else int(t) for t in tier or [])
    page = overdue_board(conn, workflow=rules.workflow, flt=board_filter(town=town, category=category, tiers=tiers),
                         region=town_region(scope.town_code), limit=limit, offset=offset)
    for item in page.items:
        item["status_label"] = rules.workflow.states.get(item["status"], {}).get("label", item["status"])
        item["category_name"] = rules.taxonomy.get(item["category_code"]).name
    return {"total": page.total, "overdue": page.overdue, "limit": limit, "offset": offset, "items": page.items}


@router.get("/supervisions")
def supervisions(conn: ConnDep, scope: StatsScope, rules: RulesDep, town: str | None = None,
                 category: Annotated[str | None, Query(max_length=16)] = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0
                 ) -> dict[str, Any]:
    """Supervision records (督办) with their case, newest first."""
    if category:
        rules.taxonomy.get(category)
    page = supervision_list(conn, flt=board_filter(town=town, category=category, tiers=()),
                            region=town_region(scope.town_code), limit=limit, offset=offset)
    return {"total": page.total, "limit": limit, "offset": offset, "items": page.items}
