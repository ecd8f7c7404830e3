"""Vector tiles of the boundary tiers (`/tiles/{layer}/{z}/{x}/{y}.pbf`) and their TileJSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from api.deps import ConnDep, allow
from api.schemas import TileJSON
from gis.errors import InvalidInput
from gis.models import Tier
from gis.storage import areas, tiles

router = APIRouter(prefix="/tiles", tags=["tiles"], dependencies=[allow("public")])
LAYERS = {"county": Tier.COUNTY, "towns": Tier.TOWN, "villages": Tier.VILLAGE, "grids": Tier.GRID}
MVT = "application/vnd.mapbox-vector-tile"


def _tier(layer: str) -> Tier:
    if layer not in LAYERS:
        raise InvalidInput(f"unknown layer {layer!r}; layers: {', '.join(LAYERS)}", reason="unknown_layer")
    return LAYERS[layer]


@router.get("/{layer}/{z}/{x}/{y}.pbf", response_class=Response,
            responses={200: {"content": {MVT: {}}, "description": "a Mapbox vector tile"},
                       204: {"description": "no feature in this tile"}})
def tile(
    conn: ConnDep,
    layer: str,
    z: Annotated[int, Path(ge=0, le=22)],
    x: Annotated[int, Path(ge=0)],
    y: Annotated[int, Path(ge=0)],
    generation: Annotated[str | None, Query()] = None,
) -> Response:
    """One tile; 204 when empty."""
    tier = _tier(layer)
    if x >= 2**z or y >= 2**z:
        raise InvalidInput(f"tile {z}/{x}/{y} does not exist", reason="tile_out_of_range")
    gen = areas.get_generation(conn, ref=generation)
    data = tiles.area_tile(conn, generation_id=gen.id, tier=tier, z=z, x=x, y=y)
    headers = {"Cache-Control": "public, max-age=300", "X-Generation": gen.name}
    if not data:
        return Response(status_code=204, headers=headers)
    return Response(data, media_type=MVT, headers=headers)


@router.get("/{layer}.json")
def tilejson(request: Request, layer: str) -> TileJSON:
    """TileJSON 3.0.0 for a layer."""
    _tier(layer)
    base = str(request.base_url).rstrip("/")
    return TileJSON.model_validate({
        "tilejson": "3.0.0",
        "name": layer,
        "scheme": "xyz",
        "minzoom": 6,
        "maxzoom": 18,
        "tiles": [f"{base}/tiles/{layer}/{{z}}/{{x}}/{{y}}.pbf"],
        "vector_layers": [
            {
                "id": "areas",
                "fields": {"code": "String", "name": "String", "tier": "Number", "population": "Number"},
            }
        ],
    })
