"""考核 figures per unit and staff member, the weekly ranking, and the overdue / 督办 board.

Every route answers JSON, or with ``format=csv`` / ``xlsx`` the same rows (after the statistics cut) as a
download with Chinese headers (gis/export_tables.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from api.deps import ConnDep, HotspotsDep, RulesDep, StatsScope
from api.figures import figure
from api.schemas_stats import Board, OverdueBoard, Rankings, StaffFigures, UnitFigures
from gis.cases.book import CaseRules
from gis.export_tables import MEDIA_TYPES, Table, disposition, header, parse_format, render, table
from gis.hotspots.board_view import (
    OVERDUE_COLUMNS,
    SUPERVISION_COLUMNS,
    category_filter,
    labelled,
    tier_filter,
    town_filter,
)
from gis.hotspots.kpi import FIGURES, check_figure, definitions, league, league_meta, load_league_rules
from gis.hotspots.overdue import board_filter, overdue_board, supervision_list
from gis.hotspots.query import hotspot_query, window
from gis.hotspots.review import performance, rankings
from gis.hotspots.service import Hotspots
from gis.models import TIER_LABELS, TierName
from gis.policy import Scope
from gis.staff.roster import STAFF_ROLE_LABELS
from gis.stats_cut import check_window, computed_from_own_cases, cut, cut_rankings, own_units
from gis.storage.pool import Conn

router = APIRouter(prefix="/api/v1", tags=["stats"])
Since = Annotated[str | None, Query(description="2026-11-01, an ISO datetime, or 30d / 8w (default: 30 days)")]
Format = Annotated[str, Query(max_length=16, description="json, csv or xlsx (Chinese headers, the same rows)")]
RankBy = Annotated[str | None, Query(max_length=32, description="a figure (on_time_rate ...): the league table "
                                     "sorted by it, best first, with ranks; too few cases: no rank")]
DOWNLOADS: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}, MEDIA_TYPES["xlsx"]: {}}, "description": "JSON, or a CSV / Excel download"}}
# The columns of a 考核 download: each figure beside its change on the previous period.
FIGURE_COLUMNS = tuple(c for f in FIGURES for c in (f, f"{f}_change"))
RANK_COLUMNS = ("rank", "rank_prev", "rank_change")
RANKING_TITLES = {"most_red": "红色网格最多的乡镇", "fastest_rising": "上升最快的网格",
                  "lowest_on_time": "按期办结率最低的乡镇"}


def _period(perf: Any) -> dict[str, Any]:
    span = perf.until - perf.since
    return {"by": perf.by, "since": perf.since.isoformat(), "until": perf.until.isoformat(),
            "previous": {"since": (perf.since - span).isoformat(), "until": perf.since.isoformat()}}


def _labels(columns: Sequence[str]) -> dict[str, str]:
    """Chinese names of the fields, for a page's column headers (the same words as the downloads')."""
    return {c: header(c) for c in columns}


def _send(fmt: str, *tables: Table, stem: str, name: str) -> Response:
    return Response(render(fmt, *tables), media_type=MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": disposition(fmt, stem=stem, name=name)})


def _league_answer(rows: list[dict[str, Any]], rank_by: str | None, *, ranked: bool
                   ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The rows as a league table when asked (sorted, ranked), and what the answer says about it."""
    rules = load_league_rules()
    extra: dict[str, Any] = {"definitions": definitions(rules), "league": None}
    if rank_by is not None:
        figure = rank_by
        rows = league(rows, figure=figure, rules=rules, ranked=ranked)
        extra["league"] = league_meta(figure, rules, ranked=ranked)
    return rows, extra


@router.get("/stats/units", response_model=UnitFigures, responses=DOWNLOADS)
async def unit_stats(request: Request, conn: ConnDep, scope: StatsScope, rules: RulesDep, hotspots: HotspotsDep,
                     tier: Literal["county", "town", "village", "grid"] = "town", since: Since = None,
                     until: str | None = None, rank_by: RankBy = None, format: Format = "json") -> Any:
    """The loop's figures per unit for the period and the previous one (definitions in the answer).

    ``rank_by``: a league table. Units whose figure rests on fewer cases than data/hotspots/league.toml asks
    are listed without a rank. A town user sees their own units; ranks among their villages or grids, none
    among towns (they see no other town). Served from the figures computed once per period (api/figures.py).
    """
    return await figure(request, conn, scope, "units", (tier, since, until, rank_by, format),
                        lambda c: _unit_stats(c, scope, rules, hotspots, tier, since, until, rank_by, format))


def _unit_stats(conn: Conn, scope: Scope, rules: CaseRules, hotspots: Hotspots, tier: str, since: str | None,
                until: str | None, rank_by: str | None, format: str) -> Any:
    fmt = parse_format(format)
    if rank_by is not None:
        check_figure(rank_by)
    start, end = window(since, until)
    check_window(scope.town_code, start, end)
    units = hotspots.weights(conn).units
    perf = performance(conn, by=tier, since=start, until=end, units=units,
                       pending_states=rules.workflow.pending_states())
    own = computed_from_own_cases if tier == "county" else own_units(scope.town_code, units.town_of, key="unit")
    rows = cut(scope.town_code, perf.rows, own=own)
    rows, extra = _league_answer(rows, rank_by, ranked=not (scope.town_code and tier in ("town", "county")))
    columns = ("unit", "name", *(RANK_COLUMNS if rank_by else ()), *FIGURE_COLUMNS)
    if fmt != "json":
        label = TIER_LABELS[TierName(tier).tier]
        return _send(fmt, table(f"考核（{label}）", rows, columns), stem=f"stats-{tier}", name=f"考核指标（{label}）")
    return {**_period(perf), "units": rows, **extra, "labels": _labels(columns)}


@router.get("/stats/staff", response_model=StaffFigures, responses=DOWNLOADS)
async def staff_stats(request: Request, conn: ConnDep, scope: StatsScope, rules: RulesDep, since: Since = None,
                      until: str | None = None, rank_by: RankBy = None, format: Format = "json") -> Any:
    """The loop's figures per staff member (credited with the cases where they held the lead order)."""
    return await figure(request, conn, scope, "staff", (since, until, rank_by, format),
                        lambda c: _staff_stats(c, scope, rules, since, until, rank_by, format))


def _staff_stats(conn: Conn, scope: Scope, rules: CaseRules, since: str | None, until: str | None,
                 rank_by: str | None, format: str) -> Any:
    fmt = parse_format(format)
    if rank_by is not None:
        check_figure(rank_by)
    start, end = window(since, until)
    check_window(scope.town_code, start, end)
    perf = performance(conn, by="staff", since=start, until=end, units=None,
                       pending_states=rules.workflow.pending_states())
    # Figures from the caller's own cases only (the region), credited to whoever led them.
    rows = cut(scope.town_code, perf.rows, own=computed_from_own_cases)
    for row in rows:
        row["role_label"] = STAFF_ROLE_LABELS.get(str(row.get("role")), row.get("role"))
    rows, extra = _league_answer(rows, rank_by, ranked=True)
    columns = ("staff_code", "name", "role_label", *(RANK_COLUMNS if rank_by else ()), *FIGURE_COLUMNS)
    if fmt != "json":
        return _send(fmt, table("考核（人员）", rows, columns), stem="stats-staff", name="考核指标（人员）")
    return {**_period(perf), "staff": rows, **extra, "labels": _labels(columns)}


@router.get("/stats/rankings", response_model=Rankings, responses=DOWNLOADS)
async def weekly_rankings(request: Request, conn: ConnDep, scope: StatsScope, rules: RulesDep, hotspots: HotspotsDep,
                          since: Since = None, until: str | None = None,
                          top: Annotated[int, Query(ge=1, le=100)] = 10, format: Format = "json") -> Any:
    """For the weekly meeting: towns with the most red grids, fastest-rising grids, lowest on-time rates.

    "Lowest on time" ranks only towns with enough resolved cases (data/hotspots/league.toml) below 100 %.
    A town user gets at most their own town's entries and their own grids (no rank among other towns).
    Downloads: a workbook with a sheet per list, or one CSV with the list's name in a column.
    Counted county-wide (a connection of the statistics lane), then cut; served once per period.
    """
    return await figure(request, conn, scope, "rankings", (since, until, top, format),
                        lambda c: _weekly_rankings(c, scope, rules, hotspots, since, until, top, format), county=True)


def _weekly_rankings(conn: Conn, scope: Scope, rules: CaseRules, hotspots: Hotspots, since: str | None,
                     until: str | None, top: int, format: str) -> Any:
    fmt = parse_format(format)
    query = hotspot_query(rules, tier="grid", h3=None, since=since or "7d", until=until)
    check_window(scope.town_code, query.flt.since, query.flt.until)
    table_, weights, _ = hotspots.compute(conn, query, scope.town_code)
    perf = performance(conn, by="town", since=query.flt.since, until=query.flt.until,
                       town_code=scope.town_code, units=weights.units,
                       pending_states=rules.workflow.pending_states())
    league_rules = load_league_rules()
    ranked = cut_rankings(scope.town_code, rankings(table_, perf, weights.units, top=top, league=league_rules),
                          weights.units.town_of)
    if fmt != "json":
        return _send(fmt, *_ranking_tables(ranked, county_wide=scope.town_code is None, combined=fmt == "csv"),
                     stem="rankings", name="周调度排名")
    return {"since": query.flt.since.isoformat(), "until": query.flt.until.isoformat(), **ranked,
            "min_cases": league_rules.min_cases}


def _ranking_tables(ranked: Mapping[str, list[dict[str, Any]]], *, county_wide: bool, combined: bool
                    ) -> list[Table]:
    """A table per list (or one with the list's name in a column); places only for county-wide callers."""
    tables = []
    for name, rows in ranked.items():
        listed = [{"list": RANKING_TITLES.get(name, name), **({"rank": i} if county_wide else {}), **r}
                  for i, r in enumerate(rows, start=1)]
        tables.append(table(RANKING_TITLES.get(name, name), listed))
    if combined:
        return [table("周调度排名", [r for t in tables for r in t.rows],
                      list(dict.fromkeys(c for t in tables for c in t.columns)))]
    return tables


@router.get("/overdue", response_model=OverdueBoard, responses=DOWNLOADS)
def overdue(conn: ConnDep, scope: StatsScope, rules: RulesDep, hotspots: HotspotsDep,
            town: Annotated[str | None, Query(max_length=64, description="town code or name")] = None,
            category: Annotated[str | None, Query(max_length=32, description="category code or name")] = None,
            tier: Annotated[list[str] | None, Query(description="handling tier(s): 4, grid or 网格")] = None,
            limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
            format: Format = "json") -> Any:
    """Warning (yellow/red) and overdue cases by due time, oldest first; nothing drops off for age."""
    fmt = parse_format(format)
    units = hotspots.weights(conn).units
    flt = board_filter(town=town_filter(town, units), category=category_filter(category, rules.taxonomy),
                       tiers=tier_filter(tier or []))
    page = overdue_board(conn, workflow=rules.workflow, flt=flt, limit=limit,
                         offset=offset)
    items = labelled(page.items, workflow=rules.workflow, taxonomy=rules.taxonomy, units=units)
    if fmt != "json":
        return _send(fmt, table("超期预警", items, OVERDUE_COLUMNS), stem="overdue", name="超期预警")
    return {"total": page.total, "overdue": page.overdue, "limit": limit, "offset": offset, "items": items}


@router.get("/supervisions", response_model=Board, responses=DOWNLOADS)
def supervisions(conn: ConnDep, scope: StatsScope, rules: RulesDep, hotspots: HotspotsDep,
                 town: Annotated[str | None, Query(max_length=64, description="town code or name")] = None,
                 category: Annotated[str | None, Query(max_length=32, description="category code or name")] = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 50,
                 offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0, format: Format = "json") -> Any:
    """Supervision records (督办) with their case, newest first; Chinese labels beside the codes."""
    fmt = parse_format(format)
    units = hotspots.weights(conn).units
    flt = board_filter(town=town_filter(town, units), category=category_filter(category, rules.taxonomy), tiers=())
    page = supervision_list(conn, flt=flt, limit=limit, offset=offset)
    items = labelled(page.items, workflow=rules.workflow, taxonomy=rules.taxonomy, units=units)
    if fmt != "json":
        return _send(fmt, table("督办记录", items, SUPERVISION_COLUMNS), stem="supervisions", name="督办记录")
    return {"total": page.total, "limit": limit, "offset": offset, "items": items}
