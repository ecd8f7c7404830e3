"""Who answers for a place: the grid's workers and the village's mediation committee."""

from __future__ import annotations

from typing import Any

from gis.cases.privacy import mask_phone
from gis.storage.pool import Conn, translate_pg_errors


def responsible_for(conn: Conn, *, grid_code: str, village_code: str) -> dict[str, list[dict[str, Any]]]:
    """Grid workers of the grid and mediators of the village (empty lists before a roster is loaded)."""
    with translate_pg_errors():
        exists = conn.execute("SELECT to_regclass('staff') IS NOT NULL").fetchone()
        if not exists or not exists[0]:
            return {"grid_workers": [], "mediators": []}
        rows = conn.execute(
            "SELECT staff_code, name, role, organisation, phone FROM staff"
            " WHERE active AND ((role = 'grid_worker' AND territory @> ARRAY[%s]::text[])"
            "  OR (role = 'mediator' AND territory @> ARRAY[%s]::text[]))"
            " ORDER BY role, staff_code",
            (grid_code, village_code),
        ).fetchall()
    out: dict[str, list[dict[str, Any]]] = {"grid_workers": [], "mediators": []}
    for code, name, role, organisation, phone in rows:
        key = "grid_workers" if role == "grid_worker" else "mediators"
        out[key].append({"staff_code": code, "name": name, "organisation": organisation,
                         "phone": mask_phone(phone)})
    return out
