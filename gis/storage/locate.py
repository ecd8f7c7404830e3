"""Reading a generation's hierarchy out of PostGIS to build the in-process locate index."""

from __future__ import annotations

import numpy as np
import shapely

from gis.errors import NotFound
from gis.locate import GridTable, LocateIndex
from gis.storage import areas
from gis.storage.pool import Conn, translate_pg_errors

TIER_SQL = (
    "SELECT id, code, name, parent_id FROM areas WHERE generation_id = %s AND tier = %s ORDER BY code"
)


def load_grid_table(conn: Conn, *, generation_id: int | None = None) -> GridTable:
    """Grids (sorted by code, with geometry) and the names of every tier above them."""
    gen = areas.get_generation(conn, ref=generation_id)
    with translate_pg_errors():
        tiers = {t: conn.execute(TIER_SQL, (gen.id, t)).fetchall() for t in (1, 2, 3)}
        with conn.cursor(binary=True) as cur:
            grids = cur.execute(
                "SELECT code, name, parent_id, ST_AsBinary(geom) FROM areas"
                " WHERE generation_id = %s AND tier = 4 ORDER BY code", (gen.id,)
            ).fetchall()
    if not grids:
        raise NotFound(f"generation {gen.name!r} has no grids", reason="no_grids")
    position = {t: {row[0]: i for i, row in enumerate(rows)} for t, rows in tiers.items()}

    def parents(rows: list[tuple], tier: int) -> np.ndarray:
        return np.array([position[tier][row[-1]] for row in rows], dtype=np.int64)

    return GridTable(
        generation_id=gen.id, generation_name=gen.name,
        grid_codes=np.array([g[0] for g in grids]), grid_names=np.array([g[1] for g in grids]),
        grid_geoms=shapely.from_wkb([bytes(g[3]) for g in grids]),
        grid_village=np.array([position[3][g[2]] for g in grids], dtype=np.int64),
        village_codes=np.array([r[1] for r in tiers[3]]), village_names=np.array([r[2] for r in tiers[3]]),
        village_town=parents(tiers[3], 2),
        town_codes=np.array([r[1] for r in tiers[2]]), town_names=np.array([r[2] for r in tiers[2]]),
        town_county=parents(tiers[2], 1),
        county_codes=np.array([r[1] for r in tiers[1]]), county_names=np.array([r[2] for r in tiers[1]]),
    )


def load_index(conn: Conn, *, generation_id: int | None = None) -> LocateIndex:
    """Build the locate index of a generation (the active one by default)."""
    return LocateIndex.build(load_grid_table(conn, generation_id=generation_id))
