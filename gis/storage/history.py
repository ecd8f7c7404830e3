"""Bulk storage of a generated case history: cases, transitions, supervisions and lead orders with COPY."""

from __future__ import annotations

import io
import json
import logging
import time

import pandas as pd

from gis.storage.pool import Conn, translate_pg_errors

log = logging.getLogger("fengqiao.history")
CASE_COLUMNS = ("id", "status", "lon", "lat", "geom", "grid_code", "village_code", "town_code", "county_code",
                "generation_id", "located_by", "locate_evidence", "category_code", "source_channel", "title",
                "description", "severity", "handling_tier", "handling_unit", "due_at", "warning_level",
                "satisfaction", "created_at", "updated_at", "closed_at", "created_by")


def _ts(seconds: pd.Series) -> pd.Series:
    out = pd.to_datetime(seconds.where(seconds >= 0), unit="s", utc=True)
    return out.dt.strftime("%Y-%m-%d %H:%M:%S+00").where(out.notna(), None)


def _copy(conn: Conn, table: str, columns: tuple[str, ...], frame: pd.DataFrame) -> None:
    buffer = io.StringIO()
    frame.loc[:, list(columns)].to_csv(buffer, index=False, header=False, na_rep="\\N")
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv, NULL '\\N')"
    started = time.perf_counter()
    with conn.cursor() as cur, cur.copy(statement) as copy:
        copy.write(buffer.getvalue())
    log.debug("COPY %s: %d rows in %.2f s", table, len(frame), time.perf_counter() - started)


def store_history(conn: Conn, *, cases: pd.DataFrame, transitions: pd.DataFrame, supervisions: pd.DataFrame,
                  orders: pd.DataFrame, generation_id: int, created_by: int, actor_name: str) -> list[int]:
    """Write a history in the caller's transaction; returns the new case ids (in ``cases`` order).

    A block of case ids is reserved under a table lock, so rows can reference their case before it is
    written and concurrent intake keeps working after the load.
    """
    n = len(cases)
    if n == 0:
        return []
    with translate_pg_errors():
        conn.execute("LOCK TABLE cases IN SHARE ROW EXCLUSIVE MODE")
        row = conn.execute("SELECT coalesce(max(id), 0) FROM cases").fetchone()
        first = max(int(row[0]) if row else 0, 0) + 1
        conn.execute("SELECT setval(pg_get_serial_sequence('cases', 'id'), %s)", (first + n - 1,))
        ids = pd.Series(range(first, first + n))
        frame = cases.copy()
        frame["id"] = ids.to_numpy()
        frame["geom"] = "SRID=4326;POINT(" + frame["lon"].astype(str) + " " + frame["lat"].astype(str) + ")"
        frame["generation_id"] = generation_id
        frame["located_by"] = "point"
        frame["locate_evidence"] = json.dumps({"method": "sample"})
        frame["created_by"] = created_by
        frame["satisfaction"] = frame["satisfaction"].where(frame["satisfaction"] > 0).astype("Int64")
        for col in ("due_at", "created_at", "closed_at"):
            frame[col] = _ts(frame[col])
        frame["updated_at"] = frame["created_at"]
        _copy(conn, "cases", CASE_COLUMNS, frame)
        tr = transitions.assign(case_id=ids.to_numpy()[transitions["case"].to_numpy()], actor_id=created_by,
                                actor_name=actor_name, at=_ts(transitions["at"]))
        _copy(conn, "case_transitions", ("case_id", "action", "from_state", "to_state", "note", "detail", "actor_id",
                                         "actor_name", "at"), tr)
        if len(supervisions):
            sv = supervisions.assign(case_id=ids.to_numpy()[supervisions["case"].to_numpy()],
                                     at=_ts(supervisions["at"]))
            _copy(conn, "case_supervisions", ("case_id", "level", "reason", "handling_tier", "at"), sv)
        if len(orders):
            od = orders.assign(case_id=ids.to_numpy()[orders["case"].to_numpy().astype(int)], role="lead",
                               created_by=created_by, reason="样例历史")
            for col in ("dispatched_at", "accepted_at", "on_scene_at", "completed_at", "returned_at"):
                od[col] = _ts(od[col].astype("float64").fillna(-1).astype("int64"))
            _copy(conn, "dispatch_orders", ("case_id", "staff_id", "slot", "role", "status", "reason", "created_by",
                                            "dispatched_at", "accepted_at", "on_scene_at", "completed_at",
                                            "returned_at"), od)
    return ids.tolist()


def count_cases(conn: Conn) -> int:
    """How many cases are stored."""
    with translate_pg_errors():
        row = conn.execute("SELECT count(*) FROM cases").fetchone()
    return int(row[0]) if row else 0


def staff_pool_rows(conn: Conn) -> list[tuple[int, str, tuple[str, ...], tuple[int, ...]]]:
    """(id, role, territory, free capacity slots) of active staff, for crediting generated cases."""
    with translate_pg_errors():
        rows = conn.execute(
            "SELECT s.id, s.role, s.territory, coalesce(array_agg(sl.slot ORDER BY sl.slot)"
            " FILTER (WHERE sl.slot IS NOT NULL AND NOT EXISTS (SELECT 1 FROM dispatch_orders d"
            " WHERE d.staff_id = s.id AND d.slot = sl.slot AND d.active)), '{}')"
            " FROM staff s LEFT JOIN staff_slots sl ON sl.staff_id = s.id WHERE s.active GROUP BY s.id"
            " ORDER BY s.id").fetchall()
    return [(int(r[0]), str(r[1]), tuple(r[2] or ()), tuple(int(x) for x in r[3])) for r in rows]


def analyze_cases(conn: Conn) -> None:
    """Planner statistics of the case tables after a bulk load (the owner's right)."""
    with translate_pg_errors():
        conn.execute("ANALYZE cases, case_parties, case_transitions, case_supervisions, dispatch_orders")
