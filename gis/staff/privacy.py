"""What of a staff record each caller sees: whereabouts and contact are personal data (PIPL art. 28)."""

from __future__ import annotations

from typing import Any

from gis.cases.privacy import mask_phone
from gis.policy import Scope

WHEREABOUTS_FIELDS = ("position_lon", "position_lat", "position_at", "accuracy_m", "home_lon", "home_lat")


def staff_view(row: dict[str, Any], scope: Scope) -> dict[str, Any]:
    """The record as the caller may see it: full for personal-data roles and for oneself, else masked."""
    own = scope.user is not None and scope.user.staff_code is not None and row["staff_code"] == scope.user.staff_code
    if scope.sees_personal_data or own:
        return row
    masked = {k: v for k, v in row.items() if k not in WHEREABOUTS_FIELDS}
    masked["phone"] = mask_phone(row.get("phone"))
    return masked
