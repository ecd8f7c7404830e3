"""Point lookups: `GET /api/v1/locate` and the streaming batch `POST /api/v1/locate/batch`."""

from __future__ import annotations

import logging
import threading
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request

from api.deps import ConnDep, SettingsDep
from gis.errors import Unavailable
from gis.locate import LocateIndex
from gis.locate.service import locate_point
from gis.storage import responsible
from gis.storage.locate import load_index
from gis.storage.pool import Pool

router = APIRouter(prefix="/api/v1", tags=["locate"])
log = logging.getLogger("fengqiao.locate")
_reload_lock = threading.Lock()


def current_index(request: Request) -> LocateIndex:
    """The live index, or 503 while it is (re)building for the first time."""
    index = getattr(request.app.state, "locator", None)
    if index is None:
        raise Unavailable("the locate index is not loaded yet", reason="index_not_ready")
    return index


def reload_index(app: FastAPI) -> None:
    """Build a new index from the active generation and swap it in (readers never see a half index)."""
    pool: Pool = app.state.pool
    with _reload_lock:
        try:
            with pool.connection(timeout=5.0) as conn:
                app.state.locator = load_index(conn)
        except Exception as exc:  # start-up must not fail when PostGIS is down: readiness says so
            log.warning("locate index not loaded: %s", exc)


def install(app: FastAPI) -> None:
    """Start-up hook: load the index, register readiness, rebuild on generation activation."""
    app.state.locator = None
    reload_index(app)

    def ready() -> tuple[bool, str]:
        index = app.state.locator
        if index is None:
            reload_index(app)  # PostGIS may have come up since start-up
            index = app.state.locator
        return (index is not None, f"{len(index)} grids" if index is not None else "not loaded")

    app.state.readiness["locate_index"] = ready
    app.state.generation_listeners.append(reload_index)


@router.get("/locate")
def locate(
    request: Request, conn: ConnDep, settings: SettingsDep,
    lon: Annotated[float, Query(allow_inf_nan=False)], lat: Annotated[float, Query(allow_inf_nan=False)],
    crs: str = "wgs84", border_m: Annotated[float | None, Query(ge=0, le=5000, allow_inf_nan=False)] = None,
) -> dict[str, Any]:
    """Which grid, village, town and county a point is in; who is responsible; nearby grids at borders."""
    index = current_index(request)
    where = locate_point(index, lon=lon, lat=lat, crs=crs,
                         border_m=settings.border_distance_m if border_m is None else border_m)
    body = where.as_dict()
    body["crs_in"] = crs
    if where.inside:
        body["responsible"] = responsible.responsible_for(
            conn, grid_code=where.grid_code or "", village_code=where.village_code or "")
    return body
