"""Rising-trend alerts (gis/forecast) as notifications: each alerted village's town users are told once a week."""

from __future__ import annotations

from datetime import datetime

from gis.forecast.service import alerts_week
from gis.hotspots.weights import HotspotWeights
from gis.models import Tier
from gis.notify.triggers import on_rising_village
from gis.storage.pool import Conn


def notify_rising_villages(conn: Conn, weights: HotspotWeights, *, week: str, now: datetime) -> dict[str, int]:
    """Test the villages over the weeks ending with ``week``; notify each alerted village's town (idempotent)."""
    result = alerts_week(conn, weights, tier=Tier.VILLAGE, week=week, now=now)
    villages = weights.units.of(Tier.VILLAGE)
    rep = result.reported
    alerted = notified = 0
    for k, i in enumerate(result.positions):
        if not rep.alert[k]:
            continue
        alerted += 1
        notified += on_rising_village(conn, village_code=str(villages.codes[i]), village_name=str(villages.names[i]),
                                      town_code=str(villages.parent_codes[i]), week=week, recent=int(rep.recent[k]),
                                      expected=float(rep.expected[k]))
    return {"alerted": alerted, "notified": notified}
