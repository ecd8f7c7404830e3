"""The hotspot answer for one window: counts, rates, Gi*, 蓝黄红 level, emerging pattern and change per unit.

Statistics are computed over the whole county (no edge effects at a town's border) and only then cut to
the caller's town, so a town supervisor sees their units of the county-wide analysis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gis.hotspots.aggregate import UnitCounts, grid_vector, grid_week_matrix, h3_counts, roll_up_matrix, tier_counts
from gis.hotspots.emerging import PATTERNS, emerging_hotspots
from gis.hotspots.filters import CaseFilter
from gis.hotspots.gistar import gi_star
from gis.hotspots.levels import LevelRules, risk_levels
from gis.hotspots.region import COUNTY_WIDE, town_region
from gis.hotspots.weights import HotspotWeights
from gis.models import Tier
from gis.storage import stats
from gis.storage.pool import Conn

MAX_POINTS = 200_000


@dataclass
class HotspotTable:
    """One row per unit (columns as arrays); ``tier`` is None for H3 cells."""

    tier: Tier | None
    h3_resolution: int | None
    flt: CaseFilter
    counts: UnitCounts
    columns: dict[str, NDArray] = field(default_factory=dict)
    keep: NDArray[np.bool_] | None = None

    def rows(self) -> list[dict[str, Any]]:
        """Visible units as dicts (JSON-ready: NaN becomes None, floats rounded)."""
        idx = np.flatnonzero(self.keep) if self.keep is not None else np.arange(len(self.counts.codes))
        rate = self.counts.per_1000
        cols: dict[str, list[Any]] = {
            "code": self.counts.codes[idx].tolist(), "name": self.counts.names[idx].tolist(),
            "count": self.counts.counts[idx].astype(int).tolist(),
            "population": [None] * len(idx) if self.counts.population is None
            else self.counts.population[idx].astype(int).tolist(),
            "area_km2": np.round(self.counts.area_km2[idx], 4).tolist(),
            "per_1000": [None] * len(idx) if rate is None else np.round(rate[idx], 3).tolist(),
            "per_km2": np.round(self.counts.per_km2[idx], 3).tolist()}
        for name, values in self.columns.items():
            part = values[idx]
            if part.dtype.kind == "f":
                cols[name] = [None if not np.isfinite(v) else v for v in np.round(part, 6).tolist()]
            else:
                cols[name] = part.tolist()
        names = list(cols)
        return [dict(zip(names, values, strict=True)) for values in zip(*cols.values(), strict=True)]


def hotspot_table(conn: Conn, *, flt: CaseFilter, tier: Tier | None, h3_resolution: int | None,
                  weights: HotspotWeights, rules: LevelRules, town_code: str | None = None,
                  trend_weeks: int = 12) -> HotspotTable:
    """Everything the hotspot map and CSV show for one window (see data/cases/README.md)."""
    units = weights.units
    if tier is None:
        assert h3_resolution is not None
        region = town_region(town_code)
        pts = np.array(stats.case_points(conn, flt=flt, region=region, limit=MAX_POINTS), dtype=float).reshape(-1, 2)
        return HotspotTable(None, h3_resolution, flt, h3_counts(pts[:, 0], pts[:, 1], h3_resolution))
    grid_counts, unmapped = grid_vector(units, stats.grid_counts(conn, flt=flt, region=COUNTY_WIDE))
    counts = tier_counts(units, grid_counts, tier, unmapped)
    table = HotspotTable(tier, None, flt, counts)
    if tier != Tier.COUNTY:
        tw = weights.for_tier(tier)
        gi = gi_star(tw, counts.counts, permutations=rules.permutations)
        table.columns.update(z=gi.z, p=gi.p, p_fdr=gi.p_fdr, expected=gi.expected, local_sum=gi.local_sum,
                             level=risk_levels(gi, counts.counts, rules))
        if gi.p_sim is not None:
            table.columns["p_sim"] = gi.p_sim
        table.columns.update(_trend_columns(conn, flt, tier, weights, trend_weeks))
    table.columns.update(_change_columns(conn, flt, tier, weights))
    if town_code is not None:
        table.keep = units.of(Tier.TOWN).codes[units.up[Tier.TOWN]] == town_code if tier == Tier.GRID else (
            _in_town(weights, tier, town_code))
    return table


def _in_town(weights: HotspotWeights, tier: Tier, town_code: str) -> NDArray[np.bool_]:
    units = weights.units
    if tier == Tier.TOWN:
        return units.of(Tier.TOWN).codes == town_code
    if tier == Tier.VILLAGE:
        return units.of(Tier.VILLAGE).parent_codes == town_code
    return np.zeros(len(units.of(tier)), dtype=bool)


def _trend_columns(conn: Conn, flt: CaseFilter, tier: Tier, weights: HotspotWeights, weeks: int
                   ) -> dict[str, NDArray]:
    """Emerging-hotspot pattern over the ``weeks`` weeks ending at the window's end."""
    span = CaseFilter(flt.until - timedelta(weeks=weeks), flt.until, flt.category, flt.channels, flt.statuses,
                      flt.handling_tiers)
    grid_matrix = grid_week_matrix(weights.units, stats.grid_week_counts(conn, flt=span, region=COUNTY_WIDE), weeks)
    result = emerging_hotspots(weights.for_tier(tier).matrix, roll_up_matrix(weights.units, grid_matrix, tier))
    labels = np.array([PATTERNS[p] for p in result.pattern])
    return {"trend": result.pattern, "trend_label": labels, "trend_z": result.trend.z, "trend_p": result.trend.p,
            "hot_weeks": result.hot.sum(axis=1)}


def _change_columns(conn: Conn, flt: CaseFilter, tier: Tier, weights: HotspotWeights) -> dict[str, NDArray]:
    """Cases in the last 7 and 30 days of the window against the 7 and 30 days before them."""
    out: dict[str, NDArray] = {}
    for name, days in (("week", 7), ("month", 30)):
        now = CaseFilter(flt.until - timedelta(days=days), flt.until, flt.category, flt.channels, flt.statuses,
                         flt.handling_tiers)
        cur, _ = grid_vector(weights.units, stats.grid_counts(conn, flt=now, region=COUNTY_WIDE))
        prev, _ = grid_vector(weights.units, stats.grid_counts(conn, flt=now.previous(), region=COUNTY_WIDE))
        out[f"last_{name}"] = weights.units.roll_up(cur, tier)
        out[f"{name}_change"] = weights.units.roll_up(cur - prev, tier)
    return out
