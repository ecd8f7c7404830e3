"""Point lookups: `GET /api/v1/locate` and the streaming batch `POST /api/v1/locate/batch`."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials

from api.deps import (
    SESSION_COOKIE,
    LocateDep,
    PublicLookupDep,
    SettingsDep,
    allow,
    bearer,
    identify,
    run_with_connection,
)
from api.errors import error_responses
from api.schemas import LocationView
from gis.errors import InvalidInput, TooLarge, Unavailable
from gis.locate.batch import locate_csv, locate_geojson
from gis.locate.service import locate_point
from gis.storage import responsible
from gis.storage.pool import Conn

router = APIRouter(prefix="/api/v1", tags=["locate"])


@router.get("/locate", response_class=Response,
            responses={200: {"model": LocationView}, **error_responses(401, 422, 503)})
async def locate(
    request: Request, lookup: PublicLookupDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    lon: Annotated[float, Query(allow_inf_nan=False)], lat: Annotated[float, Query(allow_inf_nan=False)],
    crs: Annotated[str, Query(max_length=64)] = "wgs84",
    border_m: Annotated[float | None, Query(ge=0, le=5000, allow_inf_nan=False)] = None,
) -> Any:
    """Which grid, village, town and county a point is in; nearby grids at borders.

    Public and answered from memory. Signed-in callers (a bearer credential or the session cookie) also get
    who is responsible (grid workers, the village's mediators; phones masked), which needs the database: while
    it is away or stalled the answer comes at once from memory as for an anonymous caller, without
    ``responsible``.
    """
    where = locate_point(lookup.index, lon=lon, lat=lat, crs=crs,
                         border_m=lookup.border_m if border_m is None else border_m)
    body = where.as_dict()
    body["crs_in"] = crs
    signed = (credentials is not None and bool(credentials.credentials)) or SESSION_COOKIE in request.cookies
    if where.inside and signed and not lookup.pool.stalled():
        grid, village = where.grid_code or "", where.village_code or ""
        try:
            body["responsible"] = await run_with_connection(
                request, lookup.pool, lambda conn: responsible_for_caller(request, conn, credentials, grid, village))
        except Unavailable:  # the database went away meanwhile: the lookup itself still stands
            pass
    return Response(orjson.dumps(body, default=str), media_type="application/json")


def responsible_for_caller(request: Request, conn: Conn, credentials: HTTPAuthorizationCredentials | None,
                           grid_code: str, village_code: str) -> dict[str, list[dict[str, Any]]]:
    """Who answers for a grid (staff of the caller's region only), for a signed-in caller (401 otherwise).

    The caller is identified and scoped by the same dependency as every other route (``api.deps.identify``).
    """
    identify(request, conn, credentials)
    return responsible.responsible_for(conn, grid_code=grid_code, village_code=village_code)


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


@router.post("/locate/batch", dependencies=[allow("boundaries.read")], response_class=StreamingResponse,
             responses={200: {"content": {"text/csv": {}, "application/geo+json": {}},
                              "description": "every input row with its grid chain or an error code"},
                        **error_responses(413, 422)})
async def locate_batch(request: Request, index: LocateDep, settings: SettingsDep,
                       crs: Annotated[str, Query(max_length=64)] = "wgs84", bom: bool = False) -> StreamingResponse:
    """Locate every point of a CSV (lon,lat or 经度,纬度; UTF-8 or GB18030) or GeoJSON body, streamed back.

    Send the file as the raw body with Content-Type text/csv or application/geo+json. Rows that
    cannot be located carry an error code (not_a_number, outside_china, lat_lon_swapped). A CSV answer is
    plain UTF-8 for programs; ``bom=true`` starts it with a byte order mark for a file saved and opened in Excel.
    """
    body = await spool_body(request, limit_bytes=settings.max_upload_mb * 2**20)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if kind in ("application/geo+json", "application/json"):
            chunks, media = locate_geojson(index, body, crs=crs), "application/geo+json"
        elif kind in ("text/csv", "text/plain", "application/csv", ""):
            chunks, media = locate_csv(index, body, crs=crs, bom=bom), "text/csv; charset=utf-8"
        else:
            raise InvalidInput(f"unsupported content type {kind!r}: send text/csv or application/geo+json",
                               reason="unsupported_media_type")
    except Exception:
        body.close()
        raise
    return StreamingResponse(_closing(chunks, body), media_type=media)
