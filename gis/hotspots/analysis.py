"""The hotspot answer for one window: counts, rates, Gi*, 蓝黄红 level, emerging pattern and change per unit.

County-wide callers get statistics over the whole county. A town user's are computed from their town's
cases among their town's units only and cut by gis.stats_cut (levels and counts, no test statistics), so a
case in a neighbouring town changes nothing they see.
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
from gis.hotspots.weights import HotspotWeights, TierWeights
from gis.models import Tier
from gis.stats_cut import computed_from_own_cases, cut
from gis.storage import stats
from gis.storage.pool import Conn

MAX_POINTS = 200_000


def _kept(row: dict[str, Any]) -> bool:
    """Rows of a tier table are already only the kept (own) units."""
    return True


@dataclass
class HotspotTable:
    """One row per unit (columns as arrays); ``tier`` is None for H3 cells."""

    tier: Tier | None
    h3_resolution: int | None
    flt: CaseFilter
    counts: UnitCounts
    columns: dict[str, NDArray] = field(default_factory=dict)
    keep: NDArray[np.bool_] | None = None
    town_code: str | None = None  # the caller's town: rows() applies the statistics cut for it

    def rows(self) -> list[dict[str, Any]]:
        """Visible units as the caller may see them (gis.stats_cut), JSON-ready: NaN becomes None, floats rounded."""
        own = computed_from_own_cases if self.tier is None else _kept
        return cut(self.town_code, self.all_rows(), own=own)

    def all_rows(self) -> list[dict[str, Any]]:
        """The kept units with every statistic (before the cut)."""
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
    """Everything the hotspot map and CSV show for one window (see data/cases/README.md).

    County-wide callers get the county's analysis. For a town user (``town_code``) everything is computed
    from the town's cases among the town's units only (Gi* on the town's contiguity), so nothing they see
    depends on a neighbouring town's cases; ``rows()`` then cuts the fields (gis.stats_cut).
    """
    units = weights.units
    counted = flt.within(town_code)
    if tier is None:
        assert h3_resolution is not None
        pts = np.array(stats.case_points(conn, flt=counted, limit=MAX_POINTS), dtype=float).reshape(-1, 2)
        return HotspotTable(None, h3_resolution, flt, h3_counts(pts[:, 0], pts[:, 1], h3_resolution),
                            town_code=town_code)
    grid_counts, unmapped = grid_vector(units, stats.grid_counts(conn, flt=counted))
    counts = tier_counts(units, grid_counts, tier, unmapped)
    keep = None if town_code is None else units.in_town(tier, town_code)
    table = HotspotTable(tier, None, flt, counts, keep=keep, town_code=town_code)
    columns: dict[str, NDArray] = {}
    if tier != Tier.COUNTY:
        tw = weights.for_tier(tier) if town_code is None else weights.for_town(tier, town_code)
        y = counts.counts if keep is None else counts.counts[keep]
        gi = gi_star(tw, y, permutations=rules.permutations)
        columns.update(z=gi.z, p=gi.p, p_fdr=gi.p_fdr, expected=gi.expected, local_sum=gi.local_sum,
                       level=risk_levels(gi, y, rules))
        if gi.p_sim is not None:
            columns["p_sim"] = gi.p_sim
        columns.update(_trend_columns(conn, counted, tier, weights, trend_weeks, tw, keep))
    table.columns.update(_spread(columns, keep))
    table.columns.update(_change_columns(conn, counted, tier, weights))
    return table


def _spread(columns: dict[str, NDArray], keep: NDArray[np.bool_] | None) -> dict[str, NDArray]:
    """Columns computed over the kept units as full-length arrays (other units: NaN, 0 or '')."""
    if keep is None:
        return columns
    out: dict[str, NDArray] = {}
    for name, part in columns.items():
        fill: object = np.nan if part.dtype.kind == "f" else 0 if part.dtype.kind in "iub" else ""
        full = np.full(len(keep), fill, dtype=part.dtype if part.dtype.kind != "U" else object)
        full[keep] = part
        out[name] = full.astype(part.dtype) if part.dtype.kind == "U" else full
    return out


def _trend_columns(conn: Conn, flt: CaseFilter, tier: Tier, weights: HotspotWeights, weeks: int,
                   tw: TierWeights, keep: NDArray[np.bool_] | None) -> dict[str, NDArray]:
    """Emerging-hotspot pattern over the ``weeks`` weeks ending at the window's end (kept units only)."""
    span = flt.spanning(flt.until - timedelta(weeks=weeks), flt.until)
    grid_matrix = grid_week_matrix(weights.units, stats.grid_week_counts(conn, flt=span), weeks)
    weekly = roll_up_matrix(weights.units, grid_matrix, tier)
    result = emerging_hotspots(tw.matrix, weekly if keep is None else weekly[keep])
    labels = np.array([PATTERNS[p] for p in result.pattern])
    return {"trend": result.pattern, "trend_label": labels, "trend_z": result.trend.z, "trend_p": result.trend.p,
            "hot_weeks": result.hot.sum(axis=1)}


def _change_columns(conn: Conn, flt: CaseFilter, tier: Tier, weights: HotspotWeights) -> dict[str, NDArray]:
    """Cases in the last 7 and 30 days of the window against the 7 and 30 days before them."""
    out: dict[str, NDArray] = {}
    for name, days in (("week", 7), ("month", 30)):
        now = flt.spanning(flt.until - timedelta(days=days), flt.until)
        cur, _ = grid_vector(weights.units, stats.grid_counts(conn, flt=now))
        prev, _ = grid_vector(weights.units, stats.grid_counts(conn, flt=now.previous()))
        out[f"last_{name}"] = weights.units.roll_up(cur, tier)
        out[f"{name}_change"] = weights.units.roll_up(cur - prev, tier)
    return out
