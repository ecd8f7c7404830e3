"""Boundary tiers as frames (for validation context and export), diffs between generations, relocation."""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import shapely
from psycopg.rows import dict_row

from gis.storage.pool import Conn, translate_pg_errors


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


def changed_areas(conn: Conn, *, old: int, new: int) -> list[dict[str, Any]]:
    """Areas of every tier added, removed or changed (name, tier, parent, geometry) from ``old`` to ``new``.

    Each row has ``code``, ``tier`` and the town (tier-2 ancestor, or itself) the area belongs to in each
    generation: ``old_town`` and ``new_town`` (None where the area is absent, or for the county itself).
    """
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "WITH g AS (SELECT x.generation_id, x.code, x.name, x.tier, x.geom, p.code AS parent_code,"
            "  CASE x.tier WHEN 2 THEN x.code WHEN 3 THEN p.code WHEN 4 THEN gp.code END AS town_code"
            "  FROM areas x LEFT JOIN areas p ON p.id = x.parent_id LEFT JOIN areas gp ON gp.id = p.parent_id"
            "  WHERE x.generation_id IN (%s, %s))"
            " SELECT coalesce(a.code, b.code) AS code, coalesce(b.tier, a.tier)::int AS tier,"
            "  a.town_code AS old_town, b.town_code AS new_town"
            " FROM (SELECT * FROM g WHERE generation_id = %s) a"
            " FULL JOIN (SELECT * FROM g WHERE generation_id = %s) b ON a.code = b.code"
            " WHERE a.code IS NULL OR b.code IS NULL OR a.name <> b.name OR a.tier <> b.tier"
            "  OR a.parent_code IS DISTINCT FROM b.parent_code"
            "  OR (a.geom IS DISTINCT FROM b.geom AND NOT ST_Equals(a.geom, b.geom))"
            " ORDER BY 2, 1", (old, new, old, new)).fetchall()


def relocation_candidates(conn: Conn, *, to_generation: int, open_states: list[str],
                          from_generation: int | None = None) -> list[int]:
    """Ids of open cases located in another generation than ``to_generation`` (only ``from_generation``'s)."""
    with translate_pg_errors():
        if conn.execute("SELECT to_regclass('cases') IS NULL").fetchone() == (True,):
            return []
        conn.execute("SELECT fq_analyze_boundaries()")  # a generation just stored has no statistics yet: bad plans
        rows = conn.execute(
            "SELECT id FROM cases WHERE status = ANY(%s) AND generation_id <> %s"
            " AND (%s::int IS NULL OR generation_id = %s::int) ORDER BY id",
            (open_states, to_generation, from_generation, from_generation)).fetchall()
    return [int(r[0]) for r in rows]


def plan_relocations(conn: Conn, *, to_generation: int, case_ids: list[int]) -> list[dict[str, Any]]:
    """Where each case would land in ``to_generation`` (SQL function ``fq_case_relocations``).

    Rows carry the old and new grid, village and town codes, ``how`` (point, grid_code or grid_overlap)
    and ``overlap_share``; ``new_grid`` is None for a case that cannot be placed.
    """
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT * FROM fq_case_relocations(%s, %s)", (to_generation, case_ids)).fetchall()


def apply_relocations(conn: Conn, *, to_generation: int, rows: list[dict[str, Any]], actor_id: int | None,
                      actor_name: str, generation_name: str, open_states: list[str]) -> list[dict[str, Any]]:
    """Move planned cases (codes and generation id), each with a 'relocate' entry in its timeline.

    A case closed or moved by someone else since the plan was made is left alone. Returns the moved rows.
    """
    if not rows:
        return []
    columns = ("id", "old_generation", "old_grid", "new_grid", "new_village", "new_town", "how", "overlap_share")
    arrays = [[r[c] for r in rows] for c in columns]
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "WITH plan AS (SELECT * FROM unnest(%s::bigint[], %s::int[], %s::text[], %s::text[], %s::text[],"
            "  %s::text[], %s::text[], %s::float8[]) AS p(id, old_generation, old_grid, new_grid, new_village,"
            "  new_town, how, overlap_share)),"
            " moved AS (UPDATE cases c SET generation_id = %s, grid_code = p.new_grid, village_code = p.new_village,"
            "  town_code = p.new_town, updated_at = now(), locate_evidence = c.locate_evidence || jsonb_build_object("
            "  'relocated_from', p.old_generation, 'previous_grid', p.old_grid, 'relocated_by', p.how,"
            "  'overlap_share', p.overlap_share)"
            "  FROM plan p WHERE c.id = p.id AND c.generation_id = p.old_generation AND c.status = ANY(%s)"
            "  RETURNING c.id, c.status, p.old_generation, p.old_grid, c.grid_code AS new_grid, p.how,"
            "  p.overlap_share),"
            " logged AS (INSERT INTO case_transitions (case_id, action, from_state, to_state, note, detail,"
            "  actor_id, actor_name) SELECT m.id, 'relocate', m.status, m.status,"
            "  'boundary update: grid ' || m.old_grid || ' -> ' || m.new_grid || ' in generation ' || %s"
            "  || CASE m.how WHEN 'grid_overlap' THEN ' (the new grid covering most of the old one, '"
            "  || round(m.overlap_share::numeric * 100, 1) || ' %%)' WHEN 'point' THEN ' (by its point)'"
            "  ELSE ' (by its grid code)' END,"
            "  jsonb_build_object('from_generation', m.old_generation, 'to_generation', %s::int, 'old_grid',"
            "  m.old_grid, 'new_grid', m.new_grid, 'relocated_by', m.how, 'overlap_share', m.overlap_share),"
            "  %s, %s FROM moved m)"
            " SELECT id, old_generation, old_grid, new_grid, how, overlap_share FROM moved ORDER BY id",
            (*arrays, to_generation, open_states, generation_name, to_generation, actor_id, actor_name)).fetchall()
