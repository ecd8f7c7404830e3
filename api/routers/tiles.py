"""Vector tiles (`/tiles/{layer}/{z}/{x}/{y}.pbf`, gzip, ETag) and their TileJSON 3.0 documents.

Boundary tiers are public; the ``cases`` layer is scoped by the caller's region like every case read.
Each tier has a minimum zoom that fits its density (grids below z12 would be megabytes per tile): below
it a tile answers 204. Names are drawn from a ``labels`` layer at zooms where they are readable.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from api.deps import ConnDep, RulesDep, ServicesDep, SettingsDep, allow, run_with_connection
from api.schemas import TileJSON
from api.urls import public_base
from gis.cache import ByteBoundedCache
from gis.errors import InvalidInput, Unavailable
from gis.models import Tier
from gis.policy import Scope
from gis.services import Services
from gis.storage import areas, tiles
from gis.storage.pool import Conn

router = APIRouter(prefix="/tiles", tags=["tiles"])
MVT = "application/vnd.mapbox-vector-tile"
TILE_FORMAT = 6  # bump when the tile contents change shape, so cached ETags stop matching
MAXZOOM = 18
ATTRIBUTION = "边界：县综治中心网格数据"


@dataclass(frozen=True)
class Layer:
    """A boundary tier as a tile layer: from which zoom it is drawn, and its names."""

    tier: Tier
    minzoom: int
    label_minzoom: int


LAYERS = {
    "county": Layer(Tier.COUNTY, 0, 99),
    "towns": Layer(Tier.TOWN, 6, 9),
    "villages": Layer(Tier.VILLAGE, 9, 12),
    "grids": Layer(Tier.GRID, 12, 14),
}
Z = Annotated[int, Path(ge=0, le=22)]
XY = Annotated[int, Path(ge=0)]


def _layer(name: str) -> Layer:
    if name not in LAYERS:
        raise InvalidInput(f"unknown layer {name!r}; layers: {', '.join(LAYERS)}, cases", reason="unknown_layer")
    return LAYERS[name]


def _served_generation(services: Services) -> tuple[int, str] | None:
    """(id, name) of the generation the process serves, from memory (None before the first index build)."""
    try:
        table = services.locate.current().table
    except Unavailable:
        return None
    return table.generation_id, table.generation_name


def _generation(conn: Conn, ref: str | None) -> tuple[int, str]:
    gen = areas.get_generation(conn, ref=ref)
    return gen.id, gen.name


def tile_cache(request: Request) -> ByteBoundedCache:
    """The app's cache of boundary tiles as sent (a generation never changes, so nothing goes stale)."""
    services: Services = request.app.state.services
    return services.tile_cache


def _check(z: int, x: int, y: int) -> None:
    if x >= 2**z or y >= 2**z:
        raise InvalidInput(f"tile {z}/{x}/{y} does not exist", reason="tile_out_of_range")


def _gzip_ok(request: Request) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "")


def entity_tag(request: Request, etag: str) -> str:
    """The quoted ETag of the representation this request gets (gzipped tiles are another representation)."""
    return f'"{etag}{"-gz" if _gzip_ok(request) else ""}"'


def not_modified(request: Request, tag: str) -> bool:
    """True when the client already holds the representation with this tag."""
    held = {t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")}
    return tag in held


def tile_response(request: Request, data: bytes | None, tag: str, cache: str, *, encoded: bool = False) -> Response:
    """304 when the client holds this tile, 204 when it is empty, else the tile (gzipped when accepted).

    ``encoded``: ``data`` is already what this request gets (see ``encode``).
    """
    headers = {"Cache-Control": cache, "ETag": tag, "Vary": "Accept-Encoding"}
    if not_modified(request, tag):
        return Response(status_code=304, headers=headers)
    if not data:
        return Response(status_code=204, headers=headers)
    if _gzip_ok(request):
        headers["Content-Encoding"] = "gzip"
        if not encoded:
            data = encode(data, gzipped=True)
    return Response(data, media_type=MVT, headers=headers)


def encode(data: bytes, *, gzipped: bool) -> bytes:
    """A tile as sent: gzipped for clients that accept it."""
    return gzip.compress(data, compresslevel=5, mtime=0) if gzipped and data else data


@router.get("/cases/{z}/{x}/{y}.pbf", response_class=Response,
            responses={200: {"content": {MVT: {}}, "description": "a Mapbox vector tile"},
                       204: {"description": "no case in this tile"}})
def case_tile(request: Request, conn: ConnDep, scope: Annotated[Scope, allow("cases.read")], rules: RulesDep,
              z: Z, x: XY, y: XY, open_only: Annotated[bool, Query(alias="open")] = True) -> Response:
    """Cases of the caller's region: counted clusters below z12, points with status and warning level above."""
    _check(z, x, y)
    data = tiles.case_tile(conn, open_states=rules.workflow.open_states(), z=z, x=x,
                           y=y, open_only=open_only)
    digest = hashlib.blake2b(data, digest_size=12).hexdigest() if data else "empty"
    return tile_response(request, data, entity_tag(request, f"c{TILE_FORMAT}-{digest}"), "private, no-cache")


@router.get("/{layer}/{z}/{x}/{y}.pbf", dependencies=[allow("public")], response_class=Response,
            responses={200: {"content": {MVT: {}}, "description": "a Mapbox vector tile"},
                       204: {"description": "empty, or below the layer's minzoom"}, 304: {"description": "unchanged"}})
async def tile(request: Request, services: ServicesDep, layer: str, z: Z, x: XY, y: XY,
               generation: Annotated[str | None, Query(max_length=100)] = None) -> Response:
    """One tile of a boundary tier; a generation never changes, so its tiles are cached by ETag.

    The served generation's tiles come from memory once drawn (no connection, no worker thread); only a
    tile drawn for the first time, or of another generation, takes a connection.
    """
    spec = _layer(layer)
    _check(z, x, y)
    served = _served_generation(services) if generation is None else None
    if served is None:
        served = await run_with_connection(request, services.pool, lambda conn: _generation(conn, generation))
    gen_id, gen_name = served
    tag = entity_tag(request, f"g{gen_id}-{layer}-{z}-{x}-{y}-v{TILE_FORMAT}")
    data = b""
    if z >= spec.minzoom and not not_modified(request, tag):
        gzipped = _gzip_ok(request)
        cache, key = tile_cache(request), (gen_id, layer, z, x, y, gzipped)
        cached = cache.get(key)
        if cached is None:
            cached = await run_with_connection(request, services.pool, lambda conn: encode(tiles.area_tile(
                conn, generation_id=gen_id, tier=spec.tier, z=z, x=x, y=y, label_z=spec.label_minzoom),
                gzipped=gzipped))
            cache.put(key, cached)
        data = cached
    response = tile_response(request, data, tag, "public, max-age=300", encoded=True)
    response.headers["X-Generation"] = gen_name
    return response


def _extent(conn: ConnDep) -> tuple[list[float], list[float]]:
    gen = areas.get_generation(conn)
    box = areas.generation_extent(conn, generation_id=gen.id) or (-180.0, -85.0511, 180.0, 85.0511)
    bounds = [round(v, 6) for v in box]
    return bounds, [round((box[0] + box[2]) / 2, 6), round((box[1] + box[3]) / 2, 6), 10]


@router.get("/cases.json", response_model=TileJSON, dependencies=[allow("public")])
def case_tilejson(request: Request, conn: ConnDep, settings: SettingsDep) -> dict[str, Any]:
    """TileJSON 3.0.0 of the cases layer (its tiles need a signed-in caller)."""
    bounds, center = _extent(conn)
    fields = {"id": "Number", "case_no": "String", "status": "String", "warning_level": "String",
              "severity": "String", "category_code": "String", "open": "Boolean", "n": "Number"}
    return {"tilejson": "3.0.0", "name": "cases", "scheme": "xyz", "minzoom": 0, "maxzoom": MAXZOOM,
            "bounds": bounds, "center": center, "attribution": ATTRIBUTION,
            "tiles": [f"{public_base(request, settings)}/tiles/cases/{{z}}/{{x}}/{{y}}.pbf"],
            "vector_layers": [{"id": "cases", "minzoom": 0, "maxzoom": MAXZOOM, "fields": fields,
                               "description": f"counted clusters below z{tiles.CLUSTER_BELOW_Z} (n > 1)"}]}


@router.get("/{layer}.json", response_model=TileJSON, dependencies=[allow("public")])
def tilejson(request: Request, conn: ConnDep, settings: SettingsDep, layer: str) -> dict[str, Any]:
    """TileJSON 3.0.0 for a boundary layer, with bounds, center, a minzoom per layer and attribution."""
    spec = _layer(layer)
    bounds, center = _extent(conn)
    center[2] = max(spec.minzoom, 10)
    return {
        "tilejson": "3.0.0", "name": layer, "scheme": "xyz", "minzoom": spec.minzoom, "maxzoom": MAXZOOM,
        "bounds": bounds, "center": center, "attribution": ATTRIBUTION,
        "tiles": [f"{public_base(request, settings)}/tiles/{layer}/{{z}}/{{x}}/{{y}}.pbf"],
        "vector_layers": [
            {"id": "areas", "minzoom": spec.minzoom, "maxzoom": MAXZOOM,
             "fields": {"code": "String", "name": "String", "tier": "Number", "population": "Number"}},
            {"id": "labels", "minzoom": max(spec.label_minzoom, spec.minzoom), "maxzoom": MAXZOOM,
             "fields": {"code": "String", "name": "String", "tier": "Number"}},
        ],
    }
