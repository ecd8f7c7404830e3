"""Point lookups: `GET /api/v1/locate` and the streaming batch `POST /api/v1/locate/batch`."""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Iterator
from typing import IO, Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials

from api.deps import SettingsDep, bearer
from gis.errors import InvalidInput, TooLarge, Unavailable
from gis.locate import LocateIndex
from gis.locate.batch import locate_csv, locate_geojson
from gis.locate.service import locate_point
from gis.storage import access, responsible
from gis.storage.locate import load_index
from gis.storage.pool import Pool, translate_pg_errors

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
    request: Request, settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    lon: Annotated[float, Query(allow_inf_nan=False)], lat: Annotated[float, Query(allow_inf_nan=False)],
    crs: str = "wgs84", border_m: Annotated[float | None, Query(ge=0, le=5000, allow_inf_nan=False)] = None,
) -> dict[str, Any]:
    """Which grid, village, town and county a point is in; nearby grids at borders.

    Signed-in callers also get who is responsible (grid workers, the village's mediators; phones masked).
    """
    index = current_index(request)
    where = locate_point(index, lon=lon, lat=lat, crs=crs,
                         border_m=settings.border_distance_m if border_m is None else border_m)
    body = where.as_dict()
    body["crs_in"] = crs
    if where.inside and credentials is not None and credentials.credentials:
        # Only signed-in callers touch the database; anonymous lookups are pure in-memory (the hot path).
        pool: Pool = request.app.state.pool
        with translate_pg_errors(), pool.connection(timeout=5.0) as conn:
            access.user_for_token(conn, token=credentials.credentials)
            body["responsible"] = responsible.responsible_for(
                conn, grid_code=where.grid_code or "", village_code=where.village_code or "")
    return body


async def spool_body(request: Request, *, limit_bytes: int) -> IO[bytes]:
    """Copy the request body to a temporary file, refusing bodies over the limit (413)."""
    declared = request.headers.get("content-length")
    if declared and declared.isascii() and declared.isdigit() and int(declared) > limit_bytes:
        raise TooLarge(f"the upload is over the {limit_bytes // 2**20} MB limit", reason="too_large")
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 2**20)
    size = 0
    async for part in request.stream():
        size += len(part)
        if size > limit_bytes:
            spool.close()
            raise TooLarge(f"the upload is over the {limit_bytes // 2**20} MB limit", reason="too_large")
        spool.write(part)
    spool.seek(0)
    return spool


def _closing(chunks: Iterator[bytes], handle: IO[bytes]) -> Iterator[bytes]:
    try:
        yield from chunks
    finally:
        handle.close()


@router.post("/locate/batch", responses={200: {"content": {"text/csv": {}, "application/geo+json": {}}}})
async def locate_batch(request: Request, settings: SettingsDep, crs: str = "wgs84") -> StreamingResponse:
    """Locate every point of a CSV (lon,lat or 经度,纬度; UTF-8 or GB18030) or GeoJSON body, streamed back.

    Send the file as the raw body with Content-Type text/csv or application/geo+json. Rows that
    cannot be located carry an error code (not_a_number, outside_china, lat_lon_swapped).
    """
    index = current_index(request)
    body = await spool_body(request, limit_bytes=settings.max_upload_mb * 2**20)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if kind in ("application/geo+json", "application/json"):
            chunks, media = locate_geojson(index, body, crs=crs), "application/geo+json"
        elif kind in ("text/csv", "text/plain", "application/csv", ""):
            chunks, media = locate_csv(index, body, crs=crs), "text/csv; charset=utf-8"
        else:
            raise InvalidInput(f"unsupported content type {kind!r}: send text/csv or application/geo+json",
                               reason="unsupported_media_type")
    except Exception:
        body.close()
        raise
    return StreamingResponse(_closing(chunks, body), media_type=media)
