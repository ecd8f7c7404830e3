"""Boundary tiers as frames (for validation context and export), diffs between generations, relocation."""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import shapely
from psycopg.rows import dict_row

from gis.storage.pool import Conn, translate_pg_errors

OPEN_CASE = "status NOT IN ('closed', 'returned', 'duplicate')"
# The grid chain a case would get in generation %s: by its point (lowest covering grid code), or by grid code.
CHAIN_IN_GENERATION = (
    " CROSS JOIN LATERAL (SELECT g.code AS grid, v.code AS village, t.code AS town"
    "  FROM areas g JOIN areas v ON v.id = g.parent_id JOIN areas t ON t.id = v.parent_id"
    "  WHERE g.generation_id = %s AND g.tier = 4 AND CASE WHEN c.geom IS NOT NULL"
    "   THEN EXISTS (SELECT 1 FROM area_pieces p WHERE p.area_id = g.id AND ST_Covers(p.geom, c.geom))"
    "   ELSE g.code = c.grid_code END ORDER BY g.code LIMIT 1) n"
)


def tier_frame(conn: Conn, *, generation_id: int, tier: int) -> gpd.GeoDataFrame:
    """One tier of a generation with parent codes (EPSG:4326)."""
    with translate_pg_errors(), conn.cursor(binary=True) as cur:
        rows = cur.execute(
            "SELECT a.code, a.name, a.tier, coalesce(p.code, '') AS parent_code, a.population, a.attrs,"
            " ST_AsBinary(a.geom) FROM areas a LEFT JOIN areas p ON p.id = a.parent_id"
            " WHERE a.generation_id = %s AND a.tier = %s ORDER BY a.code", (generation_id, tier)).fetchall()
    return gpd.GeoDataFrame(
        {"code": [r[0] for r in rows], "name": [r[1] for r in rows], "tier": [int(r[2]) for r in rows],
         "parent_code": [r[3] for r in rows], "population": [r[4] for r in rows], "attrs": [r[5] for r in rows]},
        geometry=shapely.from_wkb([bytes(r[6]) for r in rows]) if rows else [], crs="EPSG:4326")


def save_report(conn: Conn, *, generation_id: int, report: dict[str, Any]) -> None:
    """Keep the validation report with the generation it produced."""
    with translate_pg_errors():
        conn.execute("UPDATE generations SET report = %s WHERE id = %s",
                     (json.dumps(report, ensure_ascii=False, default=str), generation_id))


def get_report(conn: Conn, *, generation_id: int) -> dict[str, Any] | None:
    """The validation report a committed load produced (None for generations made otherwise)."""
    with translate_pg_errors():
        row = conn.execute("SELECT report FROM generations WHERE id = %s", (generation_id,)).fetchone()
    return row[0] if row else None


def diff_grids(conn: Conn, *, old: int, new: int) -> dict[str, list[dict[str, Any]]]:
    """Grids added, removed and changed (geometry or name) from one generation to another."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT coalesce(a.code, b.code) AS code, a.name AS old_name, b.name AS new_name,"
            " CASE WHEN a.id IS NULL THEN 'added' WHEN b.id IS NULL THEN 'removed' ELSE 'changed' END AS change,"
            " CASE WHEN a.id IS NOT NULL AND b.id IS NOT NULL"
            "  THEN round(ST_Area(ST_SymDifference(a.geom, b.geom)::geography)::numeric, 1)::float8 END"
            "  AS moved_area_m2"
            " FROM (SELECT * FROM areas WHERE generation_id = %s AND tier = 4) a"
            " FULL JOIN (SELECT * FROM areas WHERE generation_id = %s AND tier = 4) b ON a.code = b.code"
            " WHERE a.id IS NULL OR b.id IS NULL OR a.name <> b.name OR NOT ST_Equals(a.geom, b.geom)"
            " ORDER BY 1", (old, new)).fetchall()
    out: dict[str, list[dict[str, Any]]] = {"added": [], "removed": [], "changed": []}
    for row in rows:
        out[row.pop("change")].append(row)
    return out


def case_moves(conn: Conn, *, from_generation: int | None, to_generation: int) -> list[dict[str, Any]]:
    """Open cases whose grid, village or town would differ if located in ``to_generation``."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        if cur.execute("SELECT to_regclass('cases') IS NULL AS missing").fetchone()["missing"]:  # type: ignore[index]
            return []
        return cur.execute(
            "SELECT c.id, c.grid_code AS old_grid, c.village_code AS old_village, c.town_code AS old_town,"
            " n.grid AS new_grid, n.village AS new_village, n.town AS new_town FROM cases c"
            + CHAIN_IN_GENERATION +
            f" WHERE {OPEN_CASE} AND (%s::int IS NULL OR c.generation_id = %s::int) AND c.generation_id <> %s"
            " AND (n.grid <> c.grid_code OR n.village <> c.village_code OR n.town <> c.town_code)"
            " ORDER BY c.id", (to_generation, from_generation, from_generation, to_generation)).fetchall()


def relocate_open_cases(conn: Conn, *, to_generation: int) -> list[dict[str, Any]]:
    """Move every open case of older generations onto ``to_generation`` (codes and generation id)."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        if cur.execute("SELECT to_regclass('cases') IS NULL AS missing").fetchone()["missing"]:  # type: ignore[index]
            return []
        return cur.execute(
            "WITH target AS (SELECT c.id, c.generation_id AS old_generation, c.grid_code AS old_grid,"
            "  n.grid, n.village, n.town FROM cases c"
            + CHAIN_IN_GENERATION +
            f" WHERE {OPEN_CASE} AND c.generation_id <> %s FOR UPDATE OF c)"
            " UPDATE cases c SET generation_id = %s, grid_code = t.grid, village_code = t.village,"
            " town_code = t.town, updated_at = now(), locate_evidence = c.locate_evidence ||"
            " jsonb_build_object('relocated_from', t.old_generation, 'previous_grid', t.old_grid)"
            " FROM target t WHERE c.id = t.id"
            " RETURNING c.id, t.old_generation, t.old_grid, c.grid_code AS new_grid",
            (to_generation, to_generation, to_generation)).fetchall()
