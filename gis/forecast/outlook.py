"""下周预测与上升预警 for the weekly briefing: next week's expected cases and the villages alerted this week.

Computed exactly as /api/v1/forecast and /api/v1/forecast/alerts answer (gis.forecast.service): county-wide
callers get the county's model, a town user their own town's units only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from gis.forecast.alerts import AlertRule
from gis.forecast.service import alerts_week, forecast_week
from gis.hotspots.filters import iso_week_window
from gis.hotspots.weights import HotspotWeights
from gis.models import Tier
from gis.storage.pool import Conn


@dataclass(frozen=True)
class VillageOutlook:
    """One village: its name, its town's name, next week's expected cases; recent and baseline reported cases."""

    name: str
    town: str
    expected: float
    recent: int = 0
    baseline: int = 0


@dataclass(frozen=True)
class Outlook:
    """Next week's expected cases (all and the villages expecting most) and this week's rising-trend alerts."""

    week: str  # the week the briefing is of (the alerts are at its end)
    next_week: str
    expected_total: float
    top: list[VillageOutlook]
    alerted: list[VillageOutlook]
    rule: AlertRule


def next_iso_week(week: str) -> str:
    """``2026-W48`` -> ``2026-W49`` (across year ends too)."""
    start, _ = iso_week_window(week)
    year, number, _ = (start + timedelta(days=7, hours=8)).isocalendar()
    return f"{year}-W{number:02d}"


def weekly_outlook(conn: Conn, weights: HotspotWeights, *, week: str, now: datetime, town_code: str | None,
                   top: int = 10) -> Outlook:
    """The outlook after the finished ISO ``week``: the forecast of the week after it, the alerts at its end."""
    following = next_iso_week(week)
    forecast = forecast_week(conn, weights, tier=Tier.VILLAGE, week=following, now=now, town_code=town_code)
    alerts = alerts_week(conn, weights, tier=Tier.VILLAGE, week=week, now=now, town_code=town_code)
    villages = weights.units.of(Tier.VILLAGE)
    towns = weights.units.of(Tier.TOWN)
    town_name = {str(c): str(n) for c, n in zip(towns.codes, towns.names, strict=True)}

    def town_of(i: int) -> str:
        return town_name.get(str(villages.parent_codes[i]), "")

    expected = dict(zip(forecast.positions.tolist(), forecast.expected.tolist(), strict=True))
    order = np.argsort(-forecast.expected, kind="stable")[:top]
    best = [VillageOutlook(str(villages.names[i]), town_of(i), float(forecast.expected[k]))
            for k, i in ((int(k), int(forecast.positions[k])) for k in order) if forecast.expected[k] > 0]
    rep = alerts.reported
    alerted = [VillageOutlook(str(villages.names[i]), town_of(i), float(expected.get(i, 0.0)), int(rep.recent[k]),
                              int(rep.baseline[k]))
               for k, i in enumerate(alerts.positions.tolist()) if rep.alert[k]]
    alerted.sort(key=lambda v: (-v.recent, v.name))
    return Outlook(week, following, float(forecast.expected.sum()), best, alerted, alerts.rule)
