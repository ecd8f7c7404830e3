"""Everything the hotspot map shows for one window, gathered once (tiers, H3 cells, points, weekly counts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from numpy.typing import NDArray

from gis.hotspots.aggregate import grid_week_matrix, roll_up_matrix
from gis.hotspots.analysis import HotspotTable, hotspot_table
from gis.hotspots.filters import CaseFilter, local_day
from gis.hotspots.levels import LevelRules
from gis.hotspots.weights import HotspotWeights
from gis.models import Tier
from gis.storage import stats
from gis.storage.pool import Conn

MAP_POINTS = 20_000


@dataclass(frozen=True)
class HotspotMapData:
    """Tables per tier, H3 cells, case points, and weekly village counts for the slider."""

    tables: dict[Tier, HotspotTable]
    h3: HotspotTable
    points: NDArray[np.float64]
    week_labels: list[str]
    village_weeks: NDArray[np.float64]  # villages x weeks
    weights: HotspotWeights
    rules: LevelRules
    town_code: str | None


def map_data(conn: Conn, *, flt: CaseFilter, weights: HotspotWeights, rules: LevelRules, town_code: str | None,
             h3_resolution: int = 8, weeks: int = 8) -> HotspotMapData:
    """Gather the map's data (statistics county-wide, cut to ``town_code`` when given)."""
    tables = {tier: hotspot_table(conn, flt=flt, tier=tier, h3_resolution=None, weights=weights, rules=rules,
                                  town_code=town_code) for tier in (Tier.GRID, Tier.VILLAGE, Tier.TOWN)}
    h3_table = hotspot_table(conn, flt=flt, tier=None, h3_resolution=h3_resolution, weights=weights, rules=rules,
                             town_code=town_code)
    counted = flt.within(town_code)
    points = np.array(stats.case_points(conn, flt=counted, limit=MAP_POINTS), dtype=float).reshape(-1, 2)
    span = counted.spanning(flt.until - timedelta(weeks=weeks), flt.until)
    grid_matrix = grid_week_matrix(weights.units, stats.grid_week_counts(conn, flt=span), weeks)
    labels = [local_day(span.since + timedelta(weeks=w)).isoformat() for w in range(weeks)]
    return HotspotMapData(tables, h3_table, points, labels, roll_up_matrix(weights.units, grid_matrix, Tier.VILLAGE),
                          weights, rules, town_code)
