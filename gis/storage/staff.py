"""Storage of the roster and staff positions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import sql
from psycopg.rows import dict_row

from gis.errors import NotFound
from gis.staff.roster import StaffRecord
from gis.storage.pool import Conn, translate_pg_errors

STAFF_COLUMNS = (
    "s.id, s.staff_code, s.name, s.role, s.organisation, s.phone, s.skills, s.territory, s.home_village_code,"
    " s.duty_status, s.capacity, s.languages, s.active, s.town_code,"
    " ST_X(s.home) AS home_lon, ST_Y(s.home) AS home_lat,"
    " p.lon AS position_lon, p.lat AS position_lat, p.recorded_at AS position_at, p.accuracy_m,"
    " fq_active_orders(s.id) AS active_orders"  # county-wide load, whoever asks (schema 110)
)
STAFF_FROM = "FROM staff s LEFT JOIN staff_positions_latest p ON p.staff_id = s.id"


def upsert_staff(conn: Conn, *, records: list[StaffRecord]) -> int:
    """Insert or update staff by staff_code (one statement per row inside the caller's transaction)."""
    with translate_pg_errors(), conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO staff (staff_code, name, role, organisation, phone, skills, territory, home,"
            " home_village_code, duty_status, capacity, languages) VALUES (%s, %s, %s, %s, %s, %s, %s,"
            " CASE WHEN %s::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(%s, %s), 4326) END,"
            " %s, %s, %s, %s) ON CONFLICT (staff_code) DO UPDATE SET name = EXCLUDED.name, role = EXCLUDED.role,"
            " organisation = EXCLUDED.organisation, phone = EXCLUDED.phone, skills = EXCLUDED.skills,"
            " territory = EXCLUDED.territory, home = EXCLUDED.home, home_village_code = EXCLUDED.home_village_code,"
            " duty_status = EXCLUDED.duty_status, capacity = EXCLUDED.capacity, languages = EXCLUDED.languages,"
            " active = true, updated_at = now()",
            [(r.staff_code, r.name, r.role, r.organisation, r.phone, list(r.skills), list(r.territory), r.home_lon,
              r.home_lon, r.home_lat, r.home_village_code, r.duty_status, r.capacity, list(r.languages))
             for r in records],
        )
        conn.execute("SELECT fq_sync_staff_slots()")
    return len(records)


def get_staff(conn: Conn, *, staff_id: int | None = None, staff_code: str | None = None) -> dict[str, Any]:
    """One staff member with position and workload; outside the connection's scope NotFound, as if absent."""
    column, value = ("s.id", staff_id) if staff_id is not None else ("s.staff_code", staff_code)
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(f"SELECT {STAFF_COLUMNS} {STAFF_FROM} WHERE {column} = %s", (value,)).fetchone()
    if row is None:
        raise NotFound(f"staff {staff_id or staff_code} not found", reason="staff_not_found")
    return row


def staff_by_ids(conn: Conn, *, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Several staff members by id."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(f"SELECT {STAFF_COLUMNS} {STAFF_FROM} WHERE s.id = ANY(%s)", (ids,)).fetchall()
    return {int(r["id"]): r for r in rows}


def responsible_ids(conn: Conn, *, roles: list[str], codes: list[str]) -> list[int]:
    """Active staff of these roles whose territory names one of the area codes."""
    with translate_pg_errors():
        rows = conn.execute("SELECT id FROM staff WHERE active AND role = ANY(%s) AND territory && %s::text[]",
                            (roles, codes)).fetchall()
    return [int(r[0]) for r in rows]


def list_staff(conn: Conn, *, role: str | None, town: str | None, duty: str | None, limit: int, offset: int
               ) -> tuple[list[dict[str, Any]], int]:
    """Staff in the connection's scope filtered by role, town and duty status."""
    clauses: list[str] = ["s.active"]
    params: list[Any] = []
    if role:
        clauses.append("s.role = %s")
        params.append(role)
    if duty:
        clauses.append("s.duty_status = %s")
        params.append(duty)
    if town:
        clauses.append("s.town_code = %s")
        params.append(town)
    where = " AND ".join(clauses)
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(f"SELECT {STAFF_COLUMNS} {STAFF_FROM} WHERE {where} ORDER BY s.staff_code"
                           " LIMIT %s OFFSET %s", [*params, limit, offset]).fetchall()
        total = conn.execute(f"SELECT count(*) FROM staff s WHERE {where}", params).fetchone()
    return rows, int(total[0]) if total else 0


def update_staff(conn: Conn, *, staff_id: int, fields: dict[str, Any]) -> None:
    """Change roster fields (names come from code)."""
    if not fields:
        return
    sets = sql.SQL(", ").join(sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in fields)
    with translate_pg_errors():
        cur = conn.execute(sql.SQL("UPDATE staff SET {}, updated_at = now() WHERE id = %(id)s").format(sets),
                           {**fields, "id": staff_id})
        if cur.rowcount == 0:
            raise NotFound(f"staff {staff_id} not found", reason="staff_not_found")
        conn.execute("SELECT fq_sync_staff_slots()")


def located_staff(conn: Conn, *, stale_before: datetime) -> list[tuple[int, str, float, float]]:
    """(id, role, lon, lat) of active staff: fresh GPS position, else home base (stale GPS is left out)."""
    with translate_pg_errors():
        rows = conn.execute(
            "SELECT s.id, s.role, coalesce(p.lon, ST_X(s.home)), coalesce(p.lat, ST_Y(s.home)) FROM staff s"
            " LEFT JOIN staff_positions_latest p ON p.staff_id = s.id"
            " WHERE s.active AND (p.staff_id IS NOT NULL OR s.home IS NOT NULL)"
            " AND (p.recorded_at IS NULL OR p.recorded_at >= %s)", (stale_before,)).fetchall()
    return [(int(i), str(r), float(x), float(y)) for i, r, x, y in rows]


def ingest_positions(conn: Conn, *, rows: list[tuple[int, float, float, float | None, datetime]]) -> int:
    """Store (staff id, lon, lat, accuracy, recorded_at) rows: history in one insert, latest by upsert.

    Positions are a high-volume, replaceable stream: this transaction commits without waiting for
    the WAL flush (synchronous_commit off, for this transaction only; cases and orders stay durable).
    """
    if not rows:
        return 0
    with translate_pg_errors():
        conn.execute("SET LOCAL synchronous_commit = off")
        # One INSERT of arrays, not COPY: COPY FROM does not run under row-level security (schema 110).
        ids, lons, lats, accuracies, times = (list(column) for column in zip(*rows, strict=True))
        conn.execute("INSERT INTO staff_positions (staff_id, lon, lat, accuracy_m, recorded_at)"
                     " SELECT * FROM unnest(%s::bigint[], %s::float8[], %s::float8[], %s::real[], %s::timestamptz[])",
                     (ids, lons, lats, accuracies, times))
        latest: dict[int, tuple[int, float, float, float | None, datetime]] = {}
        for row in rows:
            if row[0] not in latest or row[4] >= latest[row[0]][4]:
                latest[row[0]] = row
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO staff_positions_latest (staff_id, lon, lat, geom, accuracy_m, recorded_at)"
                " VALUES (%s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s)"
                " ON CONFLICT (staff_id) DO UPDATE SET lon = EXCLUDED.lon, lat = EXCLUDED.lat, geom = EXCLUDED.geom,"
                " accuracy_m = EXCLUDED.accuracy_m, recorded_at = EXCLUDED.recorded_at, received_at = now()"
                " WHERE staff_positions_latest.recorded_at <= EXCLUDED.recorded_at",
                # staff id order: concurrent batches lock rows in the same order and never deadlock
                [(s, x, y, x, y, a, t) for s, x, y, a, t in sorted(latest.values())])
    return len(rows)


def known_staff_ids(conn: Conn, *, ids: list[int], managed: bool = False) -> set[int]:
    """Which of these ids are active staff in the connection's scope.

    ``managed``: only those whose records and positions the scope may write (``fq_manages_staff``).
    """
    managed_sql = " AND fq_manages_staff(s.town_code, s.role, s.staff_code)" if managed else ""
    with translate_pg_errors():
        return {int(r[0]) for r in conn.execute("SELECT s.id FROM staff s WHERE s.active AND s.id = ANY(%s)"
                                                + managed_sql, (ids,))}


def purge_positions(conn: Conn, *, before: datetime) -> int:
    """Delete position history recorded before a time; returns the number of rows removed."""
    with translate_pg_errors():
        return conn.execute("DELETE FROM staff_positions WHERE recorded_at < %s", (before,)).rowcount


def count_staff(conn: Conn) -> int:
    """Number of roster entries (active or not)."""
    with translate_pg_errors():
        row = conn.execute("SELECT count(*) FROM staff").fetchone()
    return int(row[0]) if row else 0
