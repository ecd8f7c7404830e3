"""Read-only boundary hierarchy: generations, areas and their children."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import ConnDep, allow
from gis.storage import areas

router = APIRouter(prefix="/api/v1", tags=["areas"], dependencies=[allow("public")])


@router.get("/generations")
def list_generations(conn: ConnDep) -> list[dict[str, Any]]:
    """All boundary generations, newest first."""
    return [asdict(g) for g in areas.list_generations(conn)]


@router.get("/areas/extent")
def extent(conn: ConnDep, generation: Annotated[str | None, Query()] = None) -> dict[str, Any]:
    """Bounding box of a generation (the active one by default), for fitting maps."""
    gen = areas.get_generation(conn, ref=generation)
    return {"generation": gen.name, "bbox": areas.generation_extent(conn, generation_id=gen.id)}


@router.get("/areas/{code}")
def get_area(conn: ConnDep, code: str, generation: Annotated[str | None, Query()] = None) -> dict[str, Any]:
    """One area with its direct children."""
    gen = areas.get_generation(conn, ref=generation)
    area = areas.get_area(conn, generation_id=gen.id, code=code)
    children = areas.area_children(conn, area_id=area.id)
    return {
        **asdict(area),
        "generation": gen.name,
        "children": [{"code": c.code, "name": c.name, "tier": c.tier} for c in children],
    }
