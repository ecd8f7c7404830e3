"""What a lookup answers: the grid chain of a point, and how sure we are near borders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ChainLevel:
    """One level of the hierarchy a point falls in."""

    code: str
    name: str
    tier: int


@dataclass(frozen=True)
class NearbyGrid:
    """A grid within the border distance of a point (or the nearest grid of an outside point)."""

    code: str
    name: str
    distance_m: float


@dataclass(frozen=True)
class Location:
    """The answer for one point: inside (with its chain) or outside (with the nearest grid)."""

    inside: bool
    generation_id: int
    generation_name: str
    lon: float
    lat: float
    chain: tuple[ChainLevel, ...] = ()
    distance_to_boundary_m: float = 0.0
    neighbours: tuple[NearbyGrid, ...] = ()
    nearest_grid: NearbyGrid | None = None
    method: str = "exact"
    extra: dict[str, Any] = field(default_factory=dict)

    def _code_at(self, tier: int) -> str | None:
        return next((level.code for level in self.chain if level.tier == tier), None)

    @property
    def grid_code(self) -> str | None:
        """The fourth-tier grid's code (None outside)."""
        return self._code_at(4)

    @property
    def village_code(self) -> str | None:
        """The village/community code (None outside)."""
        return self._code_at(3)

    @property
    def town_code(self) -> str | None:
        """The town/subdistrict code (None outside)."""
        return self._code_at(2)

    @property
    def county_code(self) -> str | None:
        """The county code (None outside)."""
        return self._code_at(1)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (built by hand: ``dataclasses.asdict`` deep-copies and costs more than the lookup)."""
        nearest = self.nearest_grid
        return {
            "inside": self.inside, "generation_id": self.generation_id, "generation_name": self.generation_name,
            "lon": self.lon, "lat": self.lat,
            "chain": [{"code": c.code, "name": c.name, "tier": c.tier} for c in self.chain],
            "distance_to_boundary_m": round(self.distance_to_boundary_m, 2),
            "neighbours": [{"code": n.code, "name": n.name, "distance_m": n.distance_m} for n in self.neighbours],
            "nearest_grid": None if nearest is None else {"code": nearest.code, "name": nearest.name,
                                                          "distance_m": nearest.distance_m},
            "method": self.method, "extra": dict(self.extra), "grid_code": self.grid_code,
            "village_code": self.village_code, "town_code": self.town_code, "county_code": self.county_code,
        }
