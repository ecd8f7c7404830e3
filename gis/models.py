"""Typed records shared by the domain, storage and the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any


class Tier(IntEnum):
    """The four tiers of the grid hierarchy."""

    COUNTY = 1
    TOWN = 2
    VILLAGE = 3
    GRID = 4

    @classmethod
    def parse(cls, value: str | int) -> Tier:
        """Accept 1-4 or a name (county/town/village/grid)."""
        if isinstance(value, int) or (str(value).isascii() and str(value).isdigit()):
            return cls(int(value))
        try:
            return cls[str(value).upper()]
        except KeyError:
            raise ValueError(f"unknown tier {value!r}: use county, town, village or grid") from None


class TierName(StrEnum):
    """Tier names as callers write them (``?tier=grid``)."""

    COUNTY = "county"
    TOWN = "town"
    VILLAGE = "village"
    GRID = "grid"

    @property
    def tier(self) -> Tier:
        """The numeric tier."""
        return Tier[self.name]


TIER_LABELS: dict[Tier, str] = {Tier.COUNTY: "县（区）", Tier.TOWN: "乡镇（街道）", Tier.VILLAGE: "村（社区）",
                                Tier.GRID: "网格"}
# Vector tile layer names of each tier.
TIER_LAYERS: dict[Tier, str] = {Tier.COUNTY: "county", Tier.TOWN: "towns", Tier.VILLAGE: "villages",
                                Tier.GRID: "grids"}


@dataclass(frozen=True)
class Generation:
    """One version of the boundaries (a load creates one; activation makes it current)."""

    id: int
    name: str
    description: str
    source: str
    created_at: datetime
    activated_at: datetime | None
    is_active: bool


@dataclass(frozen=True)
class AreaSummary:
    """An area without its geometry."""

    id: int
    code: str
    name: str
    tier: int
    parent_id: int | None
    generation_id: int
    area_m2: float
    population: int | None
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class User:
    """An authenticated caller and the scope they may see."""

    id: int
    username: str
    role: str
    town_code: str | None
    staff_code: str | None = None

    @property
    def county_wide(self) -> bool:
        """True when the user is not limited to one town."""
        return self.town_code is None
