"""The areas of one boundary generation as arrays: codes, parents, population and area per tier."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import shapely
from numpy.typing import NDArray

from gis.errors import InvalidInput
from gis.models import Tier

TIER_BY_NAME = {"county": Tier.COUNTY, "town": Tier.TOWN, "village": Tier.VILLAGE, "grid": Tier.GRID}


@dataclass(frozen=True)
class TierUnits:
    """The units of one tier, in a fixed order (index = position in these arrays)."""

    tier: Tier
    codes: NDArray[np.str_]
    names: NDArray[np.str_]
    parent_codes: NDArray[np.str_]
    population: NDArray[np.float64]
    area_km2: NDArray[np.float64]
    geometry: NDArray[np.object_]  # shapely polygons, EPSG:4326
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {str(c): i for i, c in enumerate(self.codes)})

    def __len__(self) -> int:
        return len(self.codes)

    def positions(self, codes: NDArray[np.str_] | list[str]) -> NDArray[np.int64]:
        """Index of each code; -1 for codes not in this generation."""
        return np.array([self.index.get(str(c), -1) for c in codes], dtype=np.int64)


@dataclass(frozen=True)
class UnitTable:
    """Every tier of a generation, and the grid -> village -> town -> county roll-up."""

    generation_id: int
    tiers: dict[Tier, TierUnits]
    up: dict[Tier, NDArray[np.int64]]  # grid index -> index of its ancestor at each tier

    def of(self, tier: Tier) -> TierUnits:
        """The units of a tier."""
        return self.tiers[tier]

    def roll_up(self, grid_counts: NDArray[np.float64], tier: Tier) -> NDArray[np.float64]:
        """Sum per-grid values into the units of a coarser tier."""
        if tier == Tier.GRID:
            return grid_counts
        return np.bincount(self.up[tier], weights=grid_counts, minlength=len(self.tiers[tier])).astype(float)

    @cached_property
    def town_of(self) -> dict[str, str]:
        """Unit code -> the code of its town, for the town, village and grid tiers (who owns a statistic)."""
        towns = self.tiers[Tier.TOWN].codes
        out = {str(c): str(c) for c in towns}
        if len(towns) == 0:
            return out
        for tier in (Tier.VILLAGE, Tier.GRID):
            up = self.up[Tier.TOWN] if tier == Tier.GRID else self.tiers[Tier.TOWN].positions(
                self.tiers[Tier.VILLAGE].parent_codes)
            for code, i in zip(self.tiers[tier].codes, up, strict=True):
                if i >= 0:
                    out[str(code)] = str(towns[i])
        return out

    def in_town(self, tier: Tier, town_code: str) -> NDArray[np.bool_]:
        """Which units of a tier lie in a town (none for the county tier)."""
        if tier == Tier.TOWN:
            return np.asarray(self.tiers[Tier.TOWN].codes == town_code)
        if tier == Tier.VILLAGE:
            return np.asarray(self.tiers[Tier.VILLAGE].parent_codes == town_code)
        if tier == Tier.GRID:
            towns = self.tiers[Tier.TOWN].codes
            up = self.up[Tier.TOWN]
            return np.asarray((up >= 0) & (towns[np.maximum(up, 0)] == town_code)) if len(towns) else \
                np.zeros(len(up), dtype=bool)
        return np.zeros(len(self.tiers[tier]), dtype=bool)


def parse_tier(value: str) -> Tier:
    """``county``, ``town``, ``village`` or ``grid``; anything else is InvalidInput(reason='bad_tier')."""
    try:
        return TIER_BY_NAME[value]
    except KeyError:
        raise InvalidInput(f"unknown tier {value!r}: use county, town, village or grid", reason="bad_tier") from None


def build_units(generation_id: int, rows: list[tuple[str, str, int, str | None, float, float, bytes]]) -> UnitTable:
    """Arrays per tier from (code, name, tier, parent code, population, area m2, WKB) rows."""
    tiers: dict[Tier, TierUnits] = {}
    for tier in Tier:
        mine = [r for r in rows if r[2] == tier]
        tiers[tier] = TierUnits(
            tier=tier,
            codes=np.array([r[0] for r in mine], dtype=str),
            names=np.array([r[1] for r in mine], dtype=str),
            parent_codes=np.array([r[3] or "" for r in mine], dtype=str),
            population=np.array([r[4] or 0 for r in mine], dtype=float),
            area_km2=np.array([r[5] / 1e6 for r in mine], dtype=float),
            geometry=shapely.from_wkb([r[6] for r in mine]) if mine else np.array([], dtype=object),
        )
    up: dict[Tier, NDArray[np.int64]] = {Tier.GRID: np.arange(len(tiers[Tier.GRID]), dtype=np.int64)}
    for child, parent in ((Tier.GRID, Tier.VILLAGE), (Tier.VILLAGE, Tier.TOWN), (Tier.TOWN, Tier.COUNTY)):
        step = tiers[parent].positions(tiers[child].parent_codes)
        up[parent] = step[up[child]]
    return UnitTable(generation_id, tiers, up)
