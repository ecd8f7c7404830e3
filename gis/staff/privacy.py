"""What of a staff record each caller sees: whereabouts and contact are personal data (PIPL art. 28).

- Roles without personal data (field users, GIS staff) see no whereabouts and masked phones, except their own.
- County-wide personal-data roles (operators, supervisors, admins of the centre) see everything.
- A town user sees their own town's staff in full. County-level staff (police, lawyers, psychologists) and
  anyone else from outside the town may be recommended and sent to the town, so their name, role,
  organisation, workload and availability stay visible; their phone and live position only while they serve
  the town (an active order on one of its cases, or on duty with a fresh position inside it), their home never.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from gis.cases.privacy import mask_phone
from gis.policy import COUNTY_LEVEL_STAFF_ROLES, Scope
from gis.storage import serving
from gis.storage.pool import Conn

POSITION_FIELDS = ("position_lon", "position_lat", "position_at", "accuracy_m")
HOME_FIELDS = ("home_lon", "home_lat", "home_village_code")
WHEREABOUTS_FIELDS = (*POSITION_FIELDS, "home_lon", "home_lat")
# A position older than this does not show someone "on duty in the town" (the scoring's stale limit).
FRESH_POSITION = timedelta(minutes=30)


def _own(row: dict[str, Any], scope: Scope) -> bool:
    return scope.user is not None and scope.user.staff_code is not None and row["staff_code"] == scope.user.staff_code


def _from_outside(row: dict[str, Any], scope: Scope) -> bool:
    """A staff member a town user sees but who is not their town's own (county-level or another town's)."""
    return scope.town_code is not None and (row.get("role") in COUNTY_LEVEL_STAFF_ROLES
                                            or row.get("town_code") != scope.town_code)


def staff_view(row: dict[str, Any], scope: Scope, *, serving_ids: frozenset[int] | set[int] = frozenset()
               ) -> dict[str, Any]:
    """The record as the caller may see it (``serving_ids``: staff serving the caller's town, see module doc)."""
    if _own(row, scope):
        return row
    if not scope.sees_personal_data:
        masked = {k: v for k, v in row.items() if k not in WHEREABOUTS_FIELDS}
        masked["phone"] = mask_phone(row.get("phone"))
        return masked
    if not _from_outside(row, scope):
        return row
    view = {k: v for k, v in row.items() if k not in HOME_FIELDS}
    if row.get("id") in serving_ids:
        return view
    view = {k: v for k, v in view.items() if k not in POSITION_FIELDS}
    view["phone"] = mask_phone(row.get("phone"))
    return view


def serving_town(conn: Conn, scope: Scope, rows: list[dict[str, Any]], *, now: datetime | None = None
                 ) -> frozenset[int]:
    """Ids of the outside staff among ``rows`` who serve the caller's town now (empty for county-wide callers)."""
    if scope.town_code is None or not scope.sees_personal_data:
        return frozenset()
    ids = sorted({int(r["id"]) for r in rows if _from_outside(r, scope) and not _own(r, scope)})
    fresh_after = (now or datetime.now(UTC)) - FRESH_POSITION
    return frozenset(serving.serving_staff_ids(conn, town_code=scope.town_code, ids=ids, fresh_after=fresh_after))


def staff_views(conn: Conn, scope: Scope, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every record as the caller may see it (one query for who serves their town)."""
    ids = serving_town(conn, scope, rows)
    return [staff_view(r, scope, serving_ids=ids) for r in rows]
