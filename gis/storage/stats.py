"""Queries behind the supervisors' statistics: counts per stored grid code, case facts, the overdue board."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from typing import Any

from psycopg import sql
from psycopg.rows import dict_row

from gis.hotspots.filters import CaseFilter
from gis.hotspots.region import RegionFilter
from gis.storage.pool import Conn, translate_pg_errors


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


def _compose(name: str, flt: CaseFilter, region: RegionFilter) -> tuple[sql.Composed, list[Any]]:
    where, params = _filters(flt)
    text = sql.SQL(_query(name)).format(filters=sql.SQL(where), region=sql.SQL(region.sql))
    return text, params + list(region.params)


def unit_rows(conn: Conn, *, generation_id: int) -> list[tuple[str, str, int, str | None, float, float, bytes]]:
    """Every area of a generation (code, name, tier, parent code, population, area m2, WKB)."""
    with translate_pg_errors():
        return conn.execute(_query("stats_units"), (generation_id,)).fetchall()


def grid_counts(conn: Conn, *, flt: CaseFilter, region: RegionFilter) -> list[tuple[str, int]]:
    """(grid code, cases) for the filtered cases, from the grid code stored on each case."""
    query, params = _compose("stats_grid_counts", flt, region)
    with translate_pg_errors():
        return conn.execute(query, [flt.since, flt.until, *params]).fetchall()


def grid_week_counts(conn: Conn, *, flt: CaseFilter, region: RegionFilter) -> list[tuple[str, int, int]]:
    """(grid code, week number from ``since``, cases) for the filtered cases."""
    query, params = _compose("stats_grid_weeks", flt, region)
    with translate_pg_errors():
        return conn.execute(query, [flt.since, flt.since, flt.until, *params]).fetchall()


def case_points(conn: Conn, *, flt: CaseFilter, region: RegionFilter, limit: int) -> list[tuple[float, float]]:
    """WGS84 (lon, lat) of the filtered, located cases (at most ``limit``)."""
    query, params = _compose("stats_points", flt, region)
    with translate_pg_errors():
        return conn.execute(query, [flt.since, flt.until, *params, limit]).fetchall()


def case_facts(conn: Conn, *, since: datetime, until: datetime, region: RegionFilter, pending_states: list[str]
               ) -> list[dict[str, Any]]:
    """``fq_case_facts`` rows (see functions/stats.sql) of the cases registered in the window.

    ``pending_states`` (the workflow's states before resolution) decide which cases are overdue (fq_is_overdue).
    """
    query = sql.SQL("SELECT * FROM fq_case_facts(%s, %s, %s) c WHERE {}").format(sql.SQL(region.sql))
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, [since, until, pending_states, *region.params]).fetchall()


def staff_labels(conn: Conn, *, ids: list[int]) -> dict[int, tuple[str, str, str]]:
    """(staff code, name, role) by staff id."""
    with translate_pg_errors():
        rows = conn.execute("SELECT id, staff_code, name, role FROM staff WHERE id = ANY(%s)", (ids,)).fetchall()
    return {int(r[0]): (r[1], r[2], r[3]) for r in rows}


def overdue_board(conn: Conn, *, flt: CaseFilter, region: RegionFilter, pending_states: list[str], now: datetime,
                  limit: int, offset: int) -> tuple[list[dict[str, Any]], int, int]:
    """Pending cases with a warning or overdue, by due time; how many there are in all, and how many are overdue."""
    where, params = _filters(flt)
    query = sql.SQL(_query("stats_overdue")).format(filters=sql.SQL(where), region=sql.SQL(region.sql))
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, [now, pending_states, pending_states, *params, *region.params, limit, offset]
                           ).fetchall()
        if not rows and offset:  # past the last page: the totals still count
            return [], *overdue_totals(conn, flt=flt, region=region, pending_states=pending_states, now=now)
    total = int(rows[0]["total"]) if rows else 0
    overdue = int(rows[0]["overdue_total"]) if rows else 0
    for row in rows:
        row.pop("total")
        row.pop("overdue_total")
    return rows, total, overdue


def overdue_totals(conn: Conn, *, flt: CaseFilter, region: RegionFilter, pending_states: list[str], now: datetime
                   ) -> tuple[int, int]:
    """(cases on the overdue board, of which overdue) for the filters and region."""
    where, params = _filters(flt)
    query = sql.SQL(_query("stats_overdue")).format(filters=sql.SQL(where), region=sql.SQL(region.sql))
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, [now, pending_states, pending_states, *params, *region.params, 1, 0]).fetchall()
    return (int(rows[0]["total"]), int(rows[0]["overdue_total"])) if rows else (0, 0)


def supervisions(conn: Conn, *, flt: CaseFilter, region: RegionFilter, limit: int, offset: int
                 ) -> tuple[list[dict[str, Any]], int]:
    """Supervision records with their case, newest first; and how many there are in all."""
    where, params = _filters(flt)
    query = sql.SQL(_query("stats_supervisions")).format(filters=sql.SQL(where), region=sql.SQL(region.sql))
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, [*params, *region.params, limit, offset]).fetchall()
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


def breakdown(conn: Conn, *, flt: CaseFilter, region: RegionFilter) -> list[tuple[str, str, int]]:
    """(source channel, category class, cases) in the window."""
    query, params = _compose("stats_breakdown", flt, region)
    with translate_pg_errors():
        return conn.execute(query, [flt.since, flt.until, *params]).fetchall()
