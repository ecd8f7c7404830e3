"""The collections: each boundary tier of each generation, and the cases of the caller's region."""

from __future__ import annotations

from dataclasses import dataclass

from gis.errors import InvalidInput, NotFound
from gis.models import TIER_LABELS, Generation, Tier

TIER_IDS = {"towns": Tier.TOWN, "villages": Tier.VILLAGE, "grids": Tier.GRID}
CASES = "cases"
MAX_LIMIT = 10_000
DEFAULT_LIMIT = 100


@dataclass(frozen=True)
class Collection:
    """One collection: a tier of a generation, or the cases."""

    id: str
    title: str
    tier: Tier | None = None
    generation: Generation | None = None


def boundary_collections(generations: list[Generation]) -> list[Collection]:
    """``grids`` etc. for the active generation, and ``grids@NAME`` for every generation."""
    out: list[Collection] = []
    for gen in generations:
        if gen.is_active:
            out += [Collection(name, f"{TIER_LABELS[tier]}（{gen.name}），现行版本", tier, gen)
                    for name, tier in TIER_IDS.items()]
    for gen in sorted(generations, key=lambda g: (not g.is_active, -g.id)):
        out += [Collection(f"{name}@{gen.name}", f"{TIER_LABELS[tier]}（{gen.name}）", tier, gen)
                for name, tier in TIER_IDS.items()]
    return out


def find_collection(collection_id: str, generations: list[Generation]) -> Collection:
    """The collection by id, or NotFound naming the ids there are."""
    if collection_id == CASES:
        return Collection(CASES, "矛盾纠纷案件（本辖区）")
    for collection in boundary_collections(generations):
        if collection.id == collection_id:
            return collection
    raise NotFound(f"collection {collection_id!r} not found", reason="collection_not_found")


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``minlon,minlat,maxlon,maxlat`` in CRS84, or InvalidInput naming the problem."""
    if text is None:
        return None
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError as exc:
        raise InvalidInput("bbox must be four numbers: minlon,minlat,maxlon,maxlat", reason="invalid_bbox") from exc
    if len(values) == 6:  # 3-D boxes: drop the heights
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or values[0] > values[2] or values[1] > values[3]:
        raise InvalidInput("bbox must be minlon,minlat,maxlon,maxlat with min <= max", reason="invalid_bbox")
    if not (-180 <= values[0] <= 180 and -180 <= values[2] <= 180 and -90 <= values[1] <= 90
            and -90 <= values[3] <= 90):
        raise InvalidInput("bbox is outside CRS84 longitude/latitude", reason="invalid_bbox")
    return values[0], values[1], values[2], values[3]
