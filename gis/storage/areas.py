"""Storage of generations and areas (the four-tier hierarchy)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from psycopg.rows import class_row

from gis.errors import Conflict, NotFound
from gis.models import AreaSummary, Generation
from gis.storage.pool import (
    Conn,  # noqa: E402
    translate_pg_errors,
)


@dataclass(frozen=True)
class AreaRow:
    """One area to store: its parent is named by code (resolved inside the generation)."""

    code: str
    name: str
    tier: int
    parent_code: str | None
    geometry: shapely.Geometry
    population: int | None = None
    attrs: dict[str, Any] | None = None


def create_generation(conn: Conn, *, name: str, description: str = "", source: str = "") -> Generation:
    """Create a new, inactive generation."""
    with translate_pg_errors(), conn.cursor(row_factory=class_row(Generation)) as cur:
        cur.execute(
            "INSERT INTO generations (name, description, source) VALUES (%s, %s, %s)"
            " RETURNING id, name, description, source, created_at, activated_at, is_active",
            (name, description, source),
        )
        row = cur.fetchone()
    assert row is not None
    return row


def insert_areas(conn: Conn, *, generation_id: int, rows: Iterable[AreaRow]) -> dict[int, int]:
    """Stage rows with binary COPY, then insert them tier by tier; returns counts per tier.

    Runs inside the caller's transaction, so a failed load leaves nothing behind.
    """
    with translate_pg_errors():
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS fq_staged_areas (code text, name text, tier smallint,"
            " parent_code text, geom geometry, population integer, attrs jsonb) ON COMMIT DROP"
        )
        conn.execute("TRUNCATE fq_staged_areas")
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY fq_staged_areas (code, name, tier, parent_code, geom, population, attrs) FROM STDIN"
            ) as copy,
        ):
            for row in rows:
                copy.write_row(
                    (
                        row.code,
                        row.name,
                        row.tier,
                        row.parent_code,
                        shapely.to_wkb(shapely.set_srid(row.geometry, 4326), hex=True, include_srid=True),
                        row.population,
                        json.dumps(row.attrs or {}, ensure_ascii=False),
                    )
                )
        counts: dict[int, int] = {}
        for tier in (1, 2, 3, 4):
            cur = conn.execute("SELECT fq_insert_staged_tier(%s, %s::smallint)", (generation_id, tier))
            counts[tier] = int(cur.fetchone()[0])  # type: ignore[index]
        conn.execute("SELECT fq_subdivide_generation(%s)", (generation_id,))
    return counts


def get_generation(conn: Conn, *, ref: str | int | None = None) -> Generation:
    """A generation by id or name; the active one when ``ref`` is None."""
    sql = "SELECT id, name, description, source, created_at, activated_at, is_active FROM generations"
    params: Sequence[object]
    if ref is None:
        sql, params = sql + " WHERE is_active", ()
    elif isinstance(ref, int) or (str(ref).isascii() and str(ref).isdigit()):
        sql, params = sql + " WHERE id = %s", (int(ref),)
    else:
        sql, params = sql + " WHERE name = %s", (ref,)
    with translate_pg_errors(), conn.cursor(row_factory=class_row(Generation)) as cur:
        row = cur.execute(sql, params).fetchone()
    if row is None:
        raise NotFound(
            "no active generation" if ref is None else f"generation {ref!r} not found",
            reason="generation_not_found",
        )
    return row


def list_generations(conn: Conn) -> list[Generation]:
    """All generations, newest first."""
    with translate_pg_errors(), conn.cursor(row_factory=class_row(Generation)) as cur:
        return cur.execute(
            "SELECT id, name, description, source, created_at, activated_at, is_active"
            " FROM generations ORDER BY id DESC"
        ).fetchall()


def activate_generation(conn: Conn, *, generation_id: int) -> Generation:
    """Make one generation the active one, atomically (one transaction, one-active index)."""
    with translate_pg_errors(), conn.transaction():
        found = conn.execute("SELECT 1 FROM generations WHERE id = %s FOR UPDATE", (generation_id,)).fetchone()
        if found is None:
            raise NotFound(f"generation {generation_id} not found", reason="generation_not_found")
        empty = conn.execute(
            "SELECT NOT EXISTS (SELECT 1 FROM areas WHERE generation_id = %s)", (generation_id,)
        ).fetchone()
        if empty and empty[0]:
            raise Conflict(f"generation {generation_id} has no areas", reason="empty_generation")
        conn.execute("UPDATE generations SET is_active = false WHERE is_active AND id <> %s", (generation_id,))
        conn.execute("UPDATE generations SET is_active = true, activated_at = now() WHERE id = %s", (generation_id,))
    return get_generation(conn, ref=generation_id)


def tier_counts(conn: Conn, *, generation_id: int) -> dict[int, int]:
    """Number of areas per tier in a generation."""
    with translate_pg_errors():
        rows = conn.execute(
            "SELECT tier, count(*) FROM areas WHERE generation_id = %s GROUP BY tier ORDER BY tier",
            (generation_id,),
        ).fetchall()
    return {int(t): int(n) for t, n in rows}


def area_bbox(conn: Conn, *, area_id: int) -> tuple[float, float, float, float]:
    """Bounding box (minx, miny, maxx, maxy) of one area (maps open on a town user's town)."""
    with translate_pg_errors():
        row = conn.execute("SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM areas"
                           " WHERE id = %s", (area_id,)).fetchone()
    assert row is not None
    return (float(row[0]), float(row[1]), float(row[2]), float(row[3]))


def generation_extent(conn: Conn, *, generation_id: int) -> tuple[float, float, float, float] | None:
    """Bounding box (minx, miny, maxx, maxy) of a generation's top tier."""
    with translate_pg_errors():
        row = conn.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM"
            " (SELECT ST_Extent(geom) AS e FROM areas WHERE generation_id = %s"
            "  AND tier = (SELECT min(tier) FROM areas WHERE generation_id = %s)) s",
            (generation_id, generation_id),
        ).fetchone()
    if row is None or row[0] is None:
        return None
    return (float(row[0]), float(row[1]), float(row[2]), float(row[3]))


def get_area(conn: Conn, *, generation_id: int, code: str) -> AreaSummary:
    """One area (without geometry) by code."""
    with translate_pg_errors(), conn.cursor(row_factory=class_row(AreaSummary)) as cur:
        row = cur.execute(
            "SELECT id, code, name, tier, parent_id, generation_id, area_m2, population, attrs"
            " FROM areas WHERE generation_id = %s AND code = %s",
            (generation_id, code),
        ).fetchone()
    if row is None:
        raise NotFound(f"area {code!r} not found in generation {generation_id}", reason="area_not_found")
    return row


def area_children(conn: Conn, *, area_id: int) -> list[AreaSummary]:
    """Direct children of an area, by code."""
    with translate_pg_errors(), conn.cursor(row_factory=class_row(AreaSummary)) as cur:
        return cur.execute(
            "SELECT id, code, name, tier, parent_id, generation_id, area_m2, population, attrs"
            " FROM areas WHERE parent_id = %s ORDER BY code",
            (area_id,),
        ).fetchall()


def chain_for_code(conn: Conn, *, generation_id: int, code: str) -> list[tuple[str, str, int]]:
    """(code, name, tier) from the county down to the area with this code."""
    with translate_pg_errors():
        rows = conn.execute(
            "WITH RECURSIVE up AS (SELECT id, code, name, tier, parent_id FROM areas"
            "  WHERE generation_id = %s AND code = %s"
            " UNION ALL SELECT a.id, a.code, a.name, a.tier, a.parent_id FROM areas a JOIN up ON a.id = up.parent_id)"
            " SELECT code, name, tier FROM up ORDER BY tier", (generation_id, code)).fetchall()
    if not rows:
        raise NotFound(f"area {code!r} not found in the active generation", reason="area_not_found")
    return [(str(c), str(n), int(t)) for c, n, t in rows]


def representative_point(conn: Conn, *, generation_id: int, code: str) -> tuple[float, float]:
    """A point guaranteed inside an area (for cases known only by their grid)."""
    with translate_pg_errors():
        row = conn.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM areas"
                           " WHERE generation_id = %s AND code = %s) s", (generation_id, code)).fetchone()
    if row is None:
        raise NotFound(f"area {code!r} not found", reason="area_not_found")
    return float(row[0]), float(row[1])
