"""Read-only boundary hierarchy: generations, areas and their children."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import ConnDep, allow
from api.errors import error_responses
from api.schemas import AreaView, Extent, GenerationView
from gis.storage import areas

router = APIRouter(prefix="/api/v1", tags=["areas"], dependencies=[allow("public")])


@router.get("/generations")
def list_generations(conn: ConnDep) -> list[GenerationView]:
    """All boundary generations, newest first."""
    return [GenerationView.model_validate(asdict(g)) for g in areas.list_generations(conn)]


@router.get("/areas/extent")
def extent(conn: ConnDep, generation: Annotated[str | None, Query(max_length=100)] = None) -> Extent:
    """Bounding box of a generation (the active one by default), for fitting maps."""
    gen = areas.get_generation(conn, ref=generation)
    return Extent(generation=gen.name, bbox=areas.generation_extent(conn, generation_id=gen.id))


@router.get("/areas/{code}", responses=error_responses(404))
def get_area(conn: ConnDep, code: Annotated[str, Path(max_length=32)],
             generation: Annotated[str | None, Query(max_length=100)] = None) -> AreaView:
    """One area with its direct children."""
    gen = areas.get_generation(conn, ref=generation)
    area = areas.get_area(conn, generation_id=gen.id, code=code)
    children = areas.area_children(conn, area_id=area.id)
    return AreaView.model_validate({
        **asdict(area),
        "generation": gen.name,
        "bbox": areas.area_bbox(conn, area_id=area.id),
        "children": [{"code": c.code, "name": c.name, "tier": c.tier} for c in children],
    })
