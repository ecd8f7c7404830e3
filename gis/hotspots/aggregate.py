"""Counts per unit from the grid codes stored on cases: any tier by roll-up, or H3 cells from case points.

Per-grid counts are one ``np.bincount`` over grid indices (milliseconds for a million cases); coarser
tiers sum grid counts through the grid -> village -> town -> county index arrays. Rates are per 1,000
residents (population of the unit) and per km2 (its area).
"""

from __future__ import annotations

from dataclasses import dataclass

import h3
import numpy as np
from numpy.typing import NDArray

from gis.errors import InvalidInput
from gis.hotspots.units import UnitTable
from gis.models import Tier

H3_RESOLUTIONS = range(7, 11)


@dataclass(frozen=True)
class UnitCounts:
    """Cases per unit of one tier (or H3 cell), with rates; ``unmapped`` cases had a grid code unknown here."""

    codes: NDArray[np.str_]
    names: NDArray[np.str_]
    counts: NDArray[np.float64]
    population: NDArray[np.float64] | None
    area_km2: NDArray[np.float64]
    unmapped: int

    @property
    def per_1000(self) -> NDArray[np.float64] | None:
        """Cases per 1,000 residents (None when population is unknown, as for H3 cells)."""
        if self.population is None:
            return None
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.population > 0, self.counts * 1000.0 / np.maximum(self.population, 1), 0.0)

    @property
    def per_km2(self) -> NDArray[np.float64]:
        """Cases per square kilometre."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.area_km2 > 0, self.counts / np.maximum(self.area_km2, 1e-9), 0.0)


def grid_indices(units: UnitTable, grid_codes: list[str]) -> NDArray[np.int64]:
    """Index of each stored grid code in the generation's grid arrays (-1: not a grid of it)."""
    return units.of(Tier.GRID).positions(grid_codes)


def grid_vector(units: UnitTable, rows: list[tuple[str, int]]) -> tuple[NDArray[np.float64], int]:
    """Per-grid counts from (grid code, count) rows, and the count of cases on unknown grids."""
    idx = grid_indices(units, [r[0] for r in rows])
    n = np.array([r[1] for r in rows], dtype=float)
    known = idx >= 0
    vec = np.bincount(idx[known], weights=n[known], minlength=len(units.of(Tier.GRID))).astype(float)
    return vec, int(n[~known].sum())


def grid_week_matrix(units: UnitTable, rows: list[tuple[str, int, int]], weeks: int) -> NDArray[np.float64]:
    """(grids x weeks) counts from (grid code, week, count) rows."""
    idx = grid_indices(units, [r[0] for r in rows])
    week = np.array([r[1] for r in rows], dtype=np.int64)
    n = np.array([r[2] for r in rows], dtype=float)
    ok = (idx >= 0) & (week >= 0) & (week < weeks)
    flat = np.bincount(idx[ok] * weeks + week[ok], weights=n[ok], minlength=len(units.of(Tier.GRID)) * weeks)
    return flat.reshape(len(units.of(Tier.GRID)), weeks).astype(float)


def roll_up_matrix(units: UnitTable, grid_matrix: NDArray[np.float64], tier: Tier) -> NDArray[np.float64]:
    """Sum a (grids x periods) matrix into the units of ``tier``."""
    if tier == Tier.GRID:
        return grid_matrix
    out = np.zeros((len(units.of(tier)), grid_matrix.shape[1]))
    np.add.at(out, units.up[tier], grid_matrix)
    return out


def tier_counts(units: UnitTable, grid_counts: NDArray[np.float64], tier: Tier, unmapped: int = 0) -> UnitCounts:
    """Counts and rates of every unit of a tier."""
    table = units.of(tier)
    return UnitCounts(table.codes, table.names, units.roll_up(grid_counts, tier), table.population, table.area_km2,
                      unmapped)


def h3_counts(lon: NDArray[np.float64], lat: NDArray[np.float64], resolution: int) -> UnitCounts:
    """Cases per H3 cell at ``resolution`` (7-10), cells with at least one case."""
    if resolution not in H3_RESOLUTIONS:
        raise InvalidInput(f"h3 resolution must be 7-10, got {resolution}", reason="bad_h3_resolution")
    cells = np.array([h3.latlng_to_cell(float(y), float(x), resolution) for x, y in zip(lon, lat, strict=True)],
                     dtype=str)
    codes, counts = np.unique(cells, return_counts=True) if len(cells) else (np.array([], str), np.array([]))
    area = np.array([h3.cell_area(str(c), unit="km^2") for c in codes], dtype=float)
    return UnitCounts(codes, codes, counts.astype(float), None, area, 0)
