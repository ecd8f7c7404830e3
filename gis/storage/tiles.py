"""Vector tiles straight from PostGIS: boundary tiers (public) and cases (scoped by the caller's region)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from psycopg import sql

from gis.storage.pool import Conn, translate_pg_errors
from gis.storage.row_security import case_region

CLUSTER_BELOW_Z = 12  # below this zoom cases are drawn as counted clusters


def area_tile(conn: Conn, *, generation_id: int, tier: int, z: int, x: int, y: int, label_z: int = 99) -> bytes:
    """The MVT bytes of one tier (layers ``areas`` and, from ``label_z``, ``labels``); empty when nothing is there."""
    with translate_pg_errors():
        row = conn.execute(
            "SELECT fq_area_tile(%s, %s::smallint, %s, %s, %s, %s)", (generation_id, tier, z, x, y, label_z)
        ).fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""


@cache
def _case_tile_sql() -> str:
    return (resources.files("gis.storage") / "sql" / "queries" / "case_tile.sql").read_text(encoding="utf-8")


def case_tile(conn: Conn, *, open_states: list[str], z: int, x: int, y: int, open_only: bool = True) -> bytes:
    """The MVT bytes of the cases layer in the connection's scope (clustered below zoom 12); empty when none."""
    params: dict[str, object] = {"z": z, "x": x, "y": y, "open_states": open_states, "cluster_below": CLUSTER_BELOW_Z}
    # The region hint's positional %s placeholders become named ones so they mix with the named values.
    region_sql, region_params = case_region(conn)
    for i, value in enumerate(region_params):
        region_sql = region_sql.replace("%s", f"%(region_{i})s", 1)
        params[f"region_{i}"] = value
    status = "AND c.status = ANY(%(open_states)s)" if open_only else ""
    query = sql.SQL(_case_tile_sql()).format(region=sql.SQL(region_sql), status_filter=sql.SQL(status),
                                             )
    with translate_pg_errors():
        row = conn.execute(query, params).fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""
