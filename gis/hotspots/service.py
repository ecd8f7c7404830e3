"""Units and weights of the active generation, cached per process (one build per generation)."""

from __future__ import annotations

from gis.hotspots.units import UnitTable, build_units
from gis.hotspots.weights import HotspotWeights, HotspotWeightsCache
from gis.storage import areas, stats
from gis.storage.pool import Conn

WEIGHTS = HotspotWeightsCache()


def load_units(conn: Conn, generation_id: int) -> UnitTable:
    """Every area of a generation as arrays (see gis.hotspots.units)."""
    return build_units(generation_id, stats.unit_rows(conn, generation_id=generation_id))


def active_weights(conn: Conn, cache: HotspotWeightsCache | None = None) -> HotspotWeights:
    """The cached weights of the active generation (built when it changed)."""
    generation = areas.get_generation(conn)
    return (cache or WEIGHTS).get(generation.id, lambda gid: load_units(conn, gid))
