"""Vector tiles straight from PostGIS."""

from __future__ import annotations

import psycopg

from gis.storage.pool import translate_pg_errors


def area_tile(conn: psycopg.Connection, *, generation_id: int, tier: int, z: int, x: int, y: int) -> bytes:
    """The MVT bytes of one tier (empty bytes when nothing intersects the tile)."""
    with translate_pg_errors():
        row = conn.execute(
            "SELECT fq_area_tile(%s, %s::smallint, %s, %s, %s)", (generation_id, tier, z, x, y)
        ).fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""
