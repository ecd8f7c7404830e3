"""The dispatch board: orders with their case, where it is and how long each step has taken."""

from __future__ import annotations

from typing import Any

from psycopg.rows import dict_row

from gis.storage.dispatch import ORDER_COLUMNS, ORDER_FROM
from gis.storage.pool import Conn, translate_pg_errors
from gis.storage.row_security import case_region

BOARD_COLUMNS = (
    ORDER_COLUMNS + ", d.active, c.case_no, c.status AS case_status, c.warning_level, c.severity, c.category_code,"
    " c.lon, c.lat, c.grid_code, c.due_at,"
    " g.name AS grid_name, v.name AS village_name, t.name AS town_name,"
    " greatest(d.dispatched_at, d.accepted_at, d.en_route_at, d.on_scene_at, d.completed_at, d.declined_at,"
    "  d.returned_at, d.cancelled_at) AS last_step_at"
)
BOARD_FROM = (
    ORDER_FROM + " LEFT JOIN areas g ON g.generation_id = c.generation_id AND g.code = c.grid_code"
    " LEFT JOIN areas v ON v.generation_id = c.generation_id AND v.code = c.village_code"
    " LEFT JOIN areas t ON t.generation_id = c.generation_id AND t.code = c.town_code"
)


def board_orders(conn: Conn, *, active_only: bool = True, case_id: int | None = None, limit: int = 200
                 ) -> list[dict[str, Any]]:
    """Orders in the connection's scope (their case's region; a field user's own), newest step first.

    Each row carries the case's number, status, warning level, point and address (grid, village, town names).
    """
    region, region_params = case_region(conn)
    conditions = [region]
    params: list[Any] = list(region_params)
    if active_only:
        conditions.append("d.active")
    if case_id is not None:
        conditions.append("d.case_id = %s")
        params.append(case_id)
    query = (f"SELECT {BOARD_COLUMNS} {BOARD_FROM} WHERE {' AND '.join(conditions)}"
             " ORDER BY last_step_at DESC, d.id DESC LIMIT %s")
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, (*params, limit)).fetchall()


def board_page(conn: Conn, *, statuses: list[str], roles: list[str], town: str | None, case_statuses: list[str],
               limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """Active orders in the connection's scope, filtered, newest step first; and how many in all."""
    region, region_params = case_region(conn)
    conditions = [region, "d.active"]
    params: list[Any] = list(region_params)
    for clause, value in (("d.status = ANY(%s)", statuses), ("d.role = ANY(%s)", roles),
                          ("c.status = ANY(%s)", case_statuses)):
        if value:
            conditions.append(clause)
            params.append(value)
    if town:
        conditions.append("c.town_code = %s")
        params.append(town)
    where = " AND ".join(conditions)
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(f"SELECT {BOARD_COLUMNS} {BOARD_FROM} WHERE {where}"
                           " ORDER BY last_step_at DESC, d.id DESC LIMIT %s OFFSET %s",
                           (*params, limit, offset)).fetchall()
        total = cur.execute(f"SELECT count(*) AS n {ORDER_FROM} WHERE {where}", params).fetchone()
    return rows, int(total["n"]) if total else 0


def live_positions(conn: Conn, *, limit: int = 5000) -> list[dict[str, Any]]:
    """Active staff in the connection's scope that have a last known position, newest fix first."""
    from gis.storage.staff import STAFF_COLUMNS, STAFF_FROM

    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(f"SELECT {STAFF_COLUMNS} {STAFF_FROM} WHERE s.active AND p.staff_id IS NOT NULL"
                           " ORDER BY p.recorded_at DESC LIMIT %s", (limit,)).fetchall()
