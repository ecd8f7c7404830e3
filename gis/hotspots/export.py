"""Hotspot tables as GeoJSON (RFC 7946, WGS84), or CSV / Excel with Chinese headers (gis/export_tables.py)."""

from __future__ import annotations

from typing import Any

import h3
import numpy as np
import shapely

from gis.export_tables import Table
from gis.export_tables import table as export_table
from gis.hotspots.analysis import HotspotTable
from gis.hotspots.levels import LevelRules
from gis.hotspots.weights import HotspotWeights
from gis.models import TIER_LABELS

METHOD = "Getis-Ord Gi* (binary Queen contiguity, self included), Benjamini-Hochberg FDR"
TOWN_METHOD = (METHOD + "; computed from the town's own cases among the town's units; levels and counts only"
               " (see the README's security section)")


def feature_collection(table: HotspotTable, weights: HotspotWeights, rules: LevelRules, *, geometry: bool = True
                       ) -> dict[str, Any]:
    """Units with their statistics; geometry coverage-simplified (tiers), the H3 cell outline, or none."""
    rows = table.rows()
    shapes: list[dict[str, Any] | None]
    if not geometry:
        shapes = [None] * len(rows)
    elif table.tier is not None:
        geoms = weights.display_geometry(table.tier)
        idx = np.flatnonzero(table.keep) if table.keep is not None else np.arange(len(geoms))
        shapes = [shapely.geometry.mapping(g) for g in geoms[idx]]
    else:
        shapes = [{"type": "Polygon", "coordinates": [[[round(lon, 6), round(lat, 6)] for lat, lon in
                                                        _closed(h3.cell_to_boundary(str(r["code"])))]]}
                  for r in rows]
    for row in rows:
        if "level" in row:
            row["level_label"] = rules.label(str(row["level"]))
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "id": r["code"], "properties": r, "geometry": g}
                         for r, g in zip(rows, shapes, strict=True)],
            "meta": meta(table, rules)}


def _closed(ring: tuple[tuple[float, float], ...]) -> list[tuple[float, float]]:
    points = list(ring)
    return points + points[:1]


def meta(table: HotspotTable, rules: LevelRules) -> dict[str, Any]:
    """What the numbers mean: window, filters, thresholds, method."""
    flt = table.flt
    return {"tier": table.tier.name.lower() if table.tier is not None else None, "h3": table.h3_resolution,
            "since": flt.since.isoformat(), "until": flt.until.isoformat(), "category": flt.category,
            "channels": list(flt.channels), "statuses": list(flt.statuses),
            "handling_tiers": list(flt.handling_tiers), "cases": int(table.counts.counts.sum()),
            "unmapped_cases": table.counts.unmapped,
            "levels": {"red_p": rules.red_p, "yellow_p": rules.yellow_p, "fdr": rules.fdr,
                       "min_count": rules.min_count, "permutations": rules.permutations},
            "labels": dict(rules.labels), "colours": dict(rules.colours),
            "method": METHOD if table.town_code is None else TOWN_METHOD}


def spreadsheet(table: HotspotTable, rules: LevelRules) -> Table:
    """One row per unit, every statistic the caller may see as a column, the level's words beside its code."""
    rows = []
    for row in table.rows():
        out: dict[str, Any] = {}
        for key, value in row.items():
            out[key] = value
            if key == "level":
                out["level_label"] = dict(rules.labels).get(str(value))
        rows.append(out)
    where = TIER_LABELS[table.tier] if table.tier is not None else f"H3 {table.h3_resolution} 级"
    return export_table(f"风险研判（{where}）", rows)

