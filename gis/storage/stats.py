"""Queries behind the supervisors' statistics: counts per stored grid code, case facts, the overdue board."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from typing import Any

from psycopg import sql
from psycopg.rows import dict_row

from gis.hotspots.filters import CaseFilter
from gis.storage.pool import Conn, translate_pg_errors
from gis.storage.row_security import case_region


def _query(name: str) -> str:
    return (resources.files("gis.storage") / "sql" / "queries" / f"{name}.sql").read_text(encoding="utf-8")


def _filters(flt: CaseFilter) -> tuple[str, list[Any]]:
    parts: list[str] = []
    params: list[Any] = []
    if flt.category:
        parts.append("left(c.category_code, %s) = %s")
        params += [len(flt.category), flt.category]
    for column, values in (("source_channel", flt.channels), ("status", flt.statuses),
                           ("handling_tier", flt.handling_tiers)):
        if values:
            parts.append(f"c.{column} = ANY(%s)")
            params.append(list(values))
    if flt.town_code:
        parts.append("c.town_code = %s")
        params.append(flt.town_code)
    return " AND ".join(parts) or "true", params


def _compose(conn: Conn, name: str, flt: CaseFilter) -> tuple[sql.Composed, list[Any]]:
    """A query file with the filters and the region hint of the connection's scope (the policy decides the rows)."""
    where, params = _filters(flt)
    region, region_params = case_region(conn)
    text = sql.SQL(_query(name)).format(filters=sql.SQL(where), region=sql.SQL(region))
    return text, params + list(region_params)


def unit_rows(conn: Conn, *, generation_id: int) -> list[tuple[str, str, int, str | None, float, float, bytes]]:
    """Every area of a generation (code, name, tier, parent code, population, area m2, WKB)."""
    with translate_pg_errors():
        return conn.execute(_query("stats_units"), (generation_id,)).fetchall()


def grid_counts(conn: Conn, *, flt: CaseFilter) -> list[tuple[str, int]]:
    """(grid code, cases) for the filtered cases, from the grid code stored on each case."""
    query, params = _compose(conn, "stats_grid_counts", flt)
    with translate_pg_errors():
        return conn.execute(query, [flt.since, flt.until, *params]).fetchall()


def grid_week_counts(conn: Conn, *, flt: CaseFilter) -> list[tuple[str, int, int]]:
    """(grid code, week number from ``since``, cases) for the filtered cases."""
    query, params = _compose(conn, "stats_grid_weeks", flt)
    with translate_pg_errors():
        return conn.execute(query, [flt.since, flt.since, flt.until, *params]).fetchall()


def case_points(conn: Conn, *, flt: CaseFilter, limit: int) -> list[tuple[float, float]]:
    """WGS84 (lon, lat) of the filtered, located cases (at most ``limit``)."""
    query, params = _compose(conn, "stats_points", flt)
    with translate_pg_errors():
        return conn.execute(query, [flt.since, flt.until, *params, limit]).fetchall()


def case_facts(conn: Conn, *, since: datetime, until: datetime, pending_states: list[str],
               town_code: str | None = None) -> list[dict[str, Any]]:
    """``fq_case_facts`` rows (see functions/stats.sql) of the cases registered in the window.

    ``pending_states`` (the workflow's states before resolution) decide which cases are overdue (fq_is_overdue).
    """
    region, region_params = case_region(conn)
    query = f"SELECT * FROM fq_case_facts(%s, %s, %s) c WHERE {region} AND (%s::text IS NULL OR c.town_code = %s)"
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, [since, until, pending_states, *region_params, town_code, town_code]).fetchall()


def staff_labels(conn: Conn, *, ids: list[int]) -> dict[int, tuple[str, str, str]]:
    """(staff code, name, role) by staff id."""
    with translate_pg_errors():
        rows = conn.execute("SELECT id, staff_code, name, role FROM staff WHERE id = ANY(%s)", (ids,)).fetchall()
    return {int(r[0]): (r[1], r[2], r[3]) for r in rows}


def overdue_board(conn: Conn, *, flt: CaseFilter, pending_states: list[str], now: datetime,
                  limit: int, offset: int) -> tuple[list[dict[str, Any]], int, int]:
    """Pending cases with a warning or overdue, by due time; how many there are in all, and how many are overdue."""
    query, params = _compose(conn, "stats_overdue", flt)
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, [now, pending_states, pending_states, *params, limit, offset]).fetchall()
        if not rows and offset:  # past the last page: the totals still count
            return [], *overdue_totals(conn, flt=flt, pending_states=pending_states, now=now)
    total = int(rows[0]["total"]) if rows else 0
    overdue = int(rows[0]["overdue_total"]) if rows else 0
    for row in rows:
        row.pop("total")
        row.pop("overdue_total")
    return rows, total, overdue


def overdue_totals(conn: Conn, *, flt: CaseFilter, pending_states: list[str], now: datetime
                   ) -> tuple[int, int]:
    """(cases on the overdue board, of which overdue) for the filters and region."""
    query, params = _compose(conn, "stats_overdue", flt)
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, [now, pending_states, pending_states, *params, 1, 0]).fetchall()
    return (int(rows[0]["total"]), int(rows[0]["overdue_total"])) if rows else (0, 0)


def supervisions(conn: Conn, *, flt: CaseFilter, limit: int, offset: int
                 ) -> tuple[list[dict[str, Any]], int]:
    """Supervision records with their case, newest first; and how many there are in all."""
    query, params = _compose(conn, "stats_supervisions", flt)
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, [*params, limit, offset]).fetchall()
    total = int(rows[0].pop("total")) if rows else 0
    for row in rows[1:]:
        row.pop("total")
    return rows, total


def cases_version(conn: Conn) -> tuple[str, int, int, int]:
    """What figures are computed from: the database, its cases (with transitions and orders), roster, generation.

    Each moves when a writer commits (schema 050 and 200), in every process alike. Read it before computing,
    so an answer filed under a version is never older than that version. The database's name and port come
    first: a process talking to two databases (the tests) must not take one's answer for the other's.
    """
    with translate_pg_errors():
        rows: dict[str, int] = dict(conn.execute("SELECT name, version FROM service_versions"
                                                 " WHERE name IN ('cases', 'roster', 'generation')").fetchall())
        where = conn.execute("SELECT current_database() || ':' || coalesce(inet_server_port(), 0)").fetchone()
    return (str(where[0]) if where else "", int(rows.get("cases", 0)), int(rows.get("roster", 0)),
            int(rows.get("generation", 0)))


def breakdown(conn: Conn, *, flt: CaseFilter) -> list[tuple[str, str, int]]:
    """(source channel, category class, cases) in the window."""
    query, params = _compose(conn, "stats_breakdown", flt)
    with translate_pg_errors():
        return conn.execute(query, [flt.since, flt.until, *params]).fetchall()
