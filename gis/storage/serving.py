"""Which staff serve a town right now: sent to one of its cases, or on duty inside it (gis/staff/privacy.py)."""

from __future__ import annotations

from datetime import datetime

from gis.storage.pool import Conn, translate_pg_errors


def serving_staff_ids(conn: Conn, *, town_code: str, ids: list[int], fresh_after: datetime) -> set[int]:
    """Of ``ids``, the staff serving ``town_code``.

    Serving: an active order on a case of the town, or on duty (or busy) with a position recorded after
    ``fresh_after`` inside the town's boundary of the active generation.
    """
    if not ids:
        return set()
    with translate_pg_errors():
        rows = conn.execute(
            "SELECT d.staff_id FROM dispatch_orders d JOIN cases c ON c.id = d.case_id"
            " WHERE d.active AND c.town_code = %s AND d.staff_id = ANY(%s)"
            " UNION"
            " SELECT p.staff_id FROM staff_positions_latest p JOIN staff s ON s.id = p.staff_id"
            " JOIN areas a ON a.code = %s AND a.tier = 2"
            "  AND a.generation_id = (SELECT g.id FROM generations g WHERE g.is_active)"
            " WHERE p.staff_id = ANY(%s) AND s.duty_status <> 'off_duty' AND p.recorded_at >= %s"
            "  AND ST_Covers(a.geom, p.geom)",
            (town_code, ids, town_code, ids, fresh_after)).fetchall()
    return {int(r[0]) for r in rows}
