"""Routing by territory x sector: handling tier, handling unit and deadline of a case."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from gis.cases.taxonomy import Category
from gis.errors import InvalidInput
from gis.locate import ChainLevel

TIERS = {"county": 1, "town": 2, "village": 3, "grid": 4}
TIER_NAMES = {v: k for k, v in TIERS.items()}


@dataclass(frozen=True)
class Route:
    """Where a case goes and by when."""

    tier: int
    unit: str
    due_at: datetime


@dataclass(frozen=True)
class RoutingTable:
    """Rules, deadlines and warning thresholds from routing.toml."""

    rules: tuple[dict[str, Any], ...]
    default_tier: int
    deadline_hours: dict[int, float]
    severity_factor: dict[str, float]
    yellow_fraction: float
    auto_escalate_on_red: bool
    related_radius_m: float
    related_window_days: float

    def tier_for(self, category: Category, severity: str) -> int:
        """The first matching rule's tier (category prefix and severity), else the default."""
        for rule in self.rules:
            prefix = str(rule.get("category", ""))
            if prefix and not category.code.startswith(prefix):
                continue
            if "severity" in rule and severity not in rule["severity"]:
                continue
            return TIERS[rule["tier"]]
        return self.default_tier

    def deadline(self, tier: int, severity: str, start: datetime) -> datetime:
        """Due time for a tier and severity, counted from ``start``."""
        hours = self.deadline_hours[tier] * self.severity_factor.get(severity, 1.0)
        return start + timedelta(hours=hours)

    def route(self, chain: tuple[ChainLevel, ...], category: Category, severity: str, *, tier: int | None = None,
              start: datetime) -> Route:
        """Handling tier (or the given one), unit (the area at that tier + the category's sector), due time."""
        tier = self.tier_for(category, severity) if tier is None else tier
        area = next(level for level in chain if level.tier == tier)
        return Route(tier, unit_name(area.name, tier, category.sector), self.deadline(tier, severity, start))


# People's mediation (人民调解) is organised at every tier: a case of the village committee's sector handled at a
# village, town or county is its 人民调解委员会 there, not "X镇（村（社区）调委会）".
MEDIATION_SECTOR = "村（社区）调委会"


def unit_name(area_name: str, tier: int, sector: str) -> str:
    """The handling unit people read: the area and the sector's body at that tier."""
    if sector == MEDIATION_SECTOR and tier <= TIERS["village"]:
        return f"{area_name}人民调解委员会"
    return f"{area_name}（{sector}）" if sector else area_name


def load_routing(path: Path) -> RoutingTable:
    """Read routing.toml, checking tier names."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        rules = tuple(doc.get("rules", []))
        for rule in rules:
            if rule["tier"] not in TIERS:
                raise KeyError(rule["tier"])
        return RoutingTable(
            rules=rules, default_tier=TIERS[doc.get("default_tier", "village")],
            deadline_hours={TIERS[k]: float(v) for k, v in doc["deadline_hours"].items()},
            severity_factor={k: float(v) for k, v in doc.get("severity_factor", {}).items()},
            yellow_fraction=float(doc["warnings"]["yellow_fraction"]),
            auto_escalate_on_red=bool(doc["warnings"].get("auto_escalate_on_red", False)),
            related_radius_m=float(doc["related"]["radius_m"]),
            related_window_days=float(doc["related"]["window_days"]),
        )
    except (OSError, tomllib.TOMLDecodeError, KeyError, ValueError) as exc:
        raise InvalidInput(f"{path}: bad routing table: {exc}", reason="bad_routing") from exc
