"""Supervisors' pages: the workspace (/maps/workspace), the hotspot map, the overdue board, the weekly PDF."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse, HTMLResponse

from api.deps import CountyStatsConn, HotspotsDep, RulesDep, StatsScope, allow
from gis.hotspots.briefing import weekly_briefing
from gis.hotspots.mapdata import map_data
from gis.hotspots.query import case_filter
from gis.stats_cut import check_window
from maps import STATIC_DIR
from maps.hotspots import hotspot_map
from maps.report_pdf import weekly_pdf

router = APIRouter(tags=["maps"])
PAGES = STATIC_DIR / "supervisor"
# The rendered map is self-contained HTML with inline scripts: it runs only inside /maps/hotspots's frame, in a
# sandbox without this origin (its scripts cannot read the session or call the API), and fetches nothing.
FRAMED_MAP_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline';"
                               " img-src data: blob:; font-src data:; sandbox allow-scripts; frame-ancestors 'self'",
    "X-Frame-Options": "SAMEORIGIN",
}


@router.get("/maps/workspace", include_in_schema=False, dependencies=[allow("public")])
def workspace_page() -> FileResponse:
    """The supervisor's workspace: risk map, 考核 league tables, overdue board, weekly briefing (ES modules)."""
    return FileResponse(PAGES / "workspace.html", headers={"Cache-Control": "no-cache"})


@router.get("/maps/hotspots", include_in_schema=False, dependencies=[allow("public")])
def hotspots_page() -> FileResponse:
    """A shell that shows the signed-in user's hotspot map in a sandboxed frame."""
    return FileResponse(PAGES / "hotspots.html")


@router.get("/maps/overdue", include_in_schema=False, dependencies=[allow("public")])
def overdue_page() -> FileResponse:
    """The overdue and 督办 board (reads /api/v1/overdue and /api/v1/supervisions)."""
    return FileResponse(PAGES / "overdue.html")


@router.get("/maps/hotspots/render", response_class=HTMLResponse)
def hotspots_render(conn: CountyStatsConn, scope: StatsScope, rules: RulesDep, hotspots: HotspotsDep,
                    since: str | None = None, until: str | None = None,
                    category: Annotated[str | None, Query(max_length=16)] = None,
                    channel: Annotated[list[str] | None, Query()] = None, fdr: bool = True) -> Response:
    """The hotspot map page itself (offline HTML: every asset inlined), cut for the caller (gis/stats_cut.py)."""
    flt = case_filter(rules, since=since, until=until, category=category, channels=channel)
    check_window(scope.town_code, flt.since, flt.until)

    def render() -> bytes:
        data = map_data(conn, flt=flt, weights=hotspots.weights(conn), rules=hotspots.levels.with_fdr(fdr),
                        town_code=scope.town_code)
        return hotspot_map(data).html().encode("utf-8")

    html = hotspots.results.get_or_compute(conn, ("map", flt, fdr, scope.town_code), render)
    return Response(html, media_type="text/html; charset=utf-8", headers=FRAMED_MAP_HEADERS)


@router.get("/api/v1/reports/weekly", response_class=Response, tags=["stats"],
            responses={200: {"content": {"application/pdf": {}}, "description": "the briefing as a PDF"}})
def weekly_report(conn: CountyStatsConn, scope: StatsScope, rules: RulesDep, hotspots: HotspotsDep,
                  week: Annotated[str, Query(pattern=r"^\d{4}-W\d{2}$", description="ISO week, e.g. 2026-W47")]
                  ) -> Response:
    """The weekly briefing (研判报告) as a PDF: risk maps, top-10 tables, 考核 table, trends.

    Every figure follows the caller's region: a town user's briefing holds their town's figures only.
    """
    briefing = weekly_briefing(conn, week=week, rules=rules, level_rules=hotspots.levels,
                               weights=hotspots.weights(conn), town_code=scope.town_code)
    return Response(weekly_pdf(briefing), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="briefing-{week}.pdf"'})
