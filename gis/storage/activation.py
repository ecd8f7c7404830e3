"""What switching the active generation would change: areas by tier, staff territories, grid coverage."""

from __future__ import annotations

from typing import Any

from psycopg.rows import dict_row

from gis.storage.pool import Conn, translate_pg_errors


def area_changes(conn: Conn, *, old: int, new: int) -> list[dict[str, Any]]:
    """Areas added, removed or changed from ``old`` to ``new``, with names and their town in each generation."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "WITH g AS (SELECT x.generation_id, x.code, x.name, x.tier, x.geom, p.code AS parent_code,"
            "  CASE x.tier WHEN 2 THEN x.code WHEN 3 THEN p.code WHEN 4 THEN gp.code END AS town_code"
            "  FROM areas x LEFT JOIN areas p ON p.id = x.parent_id LEFT JOIN areas gp ON gp.id = p.parent_id"
            "  WHERE x.generation_id IN (%s, %s))"
            " SELECT coalesce(a.code, b.code) AS code, coalesce(b.name, a.name) AS name,"
            "  coalesce(b.tier, a.tier)::int AS tier, a.town_code AS old_town, b.town_code AS new_town,"
            "  CASE WHEN a.code IS NULL THEN 'added' WHEN b.code IS NULL THEN 'removed' ELSE 'changed' END AS change,"
            "  ST_X(ST_PointOnSurface(coalesce(b.geom, a.geom))) AS lon,"
            "  ST_Y(ST_PointOnSurface(coalesce(b.geom, a.geom))) AS lat"
            " FROM (SELECT * FROM g WHERE generation_id = %s) a"
            " FULL JOIN (SELECT * FROM g WHERE generation_id = %s) b ON a.code = b.code"
            " WHERE a.code IS NULL OR b.code IS NULL OR a.name <> b.name OR a.tier <> b.tier"
            "  OR a.parent_code IS DISTINCT FROM b.parent_code"
            "  OR (a.geom IS DISTINCT FROM b.geom AND NOT ST_Equals(a.geom, b.geom))"
            " ORDER BY 3, 1", (old, new, old, new)).fetchall()


def tier_count(conn: Conn, *, generation_id: int, tier: int) -> int:
    """How many areas of a tier a generation holds."""
    with translate_pg_errors():
        row = conn.execute("SELECT count(*) FROM areas WHERE generation_id = %s AND tier = %s",
                           (generation_id, tier)).fetchone()
    return int(row[0]) if row else 0


def uncovered_share(conn: Conn, *, generation_id: int) -> float:
    """The share of the county's area no grid of the generation covers (grids never overlap once validated)."""
    with translate_pg_errors():
        row = conn.execute(
            "SELECT (SELECT sum(ST_Area(geom)) FROM areas WHERE generation_id = %s AND tier = 1),"
            " (SELECT sum(ST_Area(geom)) FROM areas WHERE generation_id = %s AND tier = 4)",
            (generation_id, generation_id)).fetchone()
    county, grids = (float(row[0] or 0), float(row[1] or 0)) if row else (0.0, 0.0)
    return max(0.0, 1 - grids / county) if county else 0.0


def staff_losing_territory(conn: Conn, *, old: int, new: int) -> list[dict[str, Any]]:
    """Staff with territory codes that exist in ``old`` and not in ``new`` (their area disappears)."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        if cur.execute("SELECT to_regclass('staff') IS NULL").fetchone() == {"?column?": True}:
            return []
        return cur.execute(
            "SELECT s.staff_code, s.name, array_agg(t ORDER BY t) AS lost,"
            "  cardinality(s.territory) AS territory_size"
            " FROM staff s CROSS JOIN LATERAL unnest(s.territory) AS t"
            " WHERE EXISTS (SELECT 1 FROM areas a WHERE a.generation_id = %s AND a.code = t)"
            "  AND NOT EXISTS (SELECT 1 FROM areas a WHERE a.generation_id = %s AND a.code = t)"
            " GROUP BY s.staff_code, s.name, s.territory ORDER BY s.staff_code", (old, new)).fetchall()
