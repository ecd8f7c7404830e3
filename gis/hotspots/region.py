"""The region a caller may see, as a SQL condition on ``cases c`` (same shape as gis.policy.RegionFilter)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RegionFilter:
    """A SQL condition on ``cases c`` and its positional parameters."""

    sql: str = "true"
    params: tuple[Any, ...] = ()


COUNTY_WIDE = RegionFilter()


def town_region(town_code: str | None) -> RegionFilter:
    """The region of a user limited to one town (None: the whole county)."""
    return COUNTY_WIDE if town_code is None else RegionFilter("c.town_code = %s", (town_code,))
