"""蓝黄红 risk levels from Gi*: thresholds, correction and minimum count read from a data file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from gis.errors import InvalidInput
from gis.hotspots.gistar import GiStar
from gis.settings import PROJECT_ROOT

LEVELS = ("red", "yellow", "blue")
DEFAULT_FILE = PROJECT_ROOT / "data" / "hotspots" / "levels.toml"


@dataclass(frozen=True)
class LevelRules:
    """When a unit is red or yellow."""

    red_p: float = 0.01
    yellow_p: float = 0.05
    fdr: bool = True
    min_count: int = 3
    permutations: int = 999
    labels: tuple[tuple[str, str], ...] = (("red", "红色"), ("yellow", "黄色"), ("blue", "蓝色"))
    colours: tuple[tuple[str, str], ...] = (("red", "#d7301f"), ("yellow", "#fdbb2d"), ("blue", "#4a90d9"))

    def with_fdr(self, fdr: bool) -> LevelRules:
        """The same rules with the correction on or off."""
        return replace(self, fdr=fdr)

    def label(self, level: str) -> str:
        """The Chinese label of a level."""
        return dict(self.labels)[level]

    def colour(self, level: str) -> str:
        """The map colour of a level."""
        return dict(self.colours)[level]


def load_level_rules(path: Path = DEFAULT_FILE) -> LevelRules:
    """Read the thresholds file, checking that 0 < red_p <= yellow_p < 1."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        rules = LevelRules(float(doc["red_p"]), float(doc["yellow_p"]), bool(doc.get("fdr", True)),
                           int(doc.get("min_count", 3)), int(doc.get("permutations", 999)),
                           tuple((k, str(doc.get("labels", {}).get(k, k))) for k in LEVELS),
                           tuple((k, str(doc.get("colours", {}).get(k, "#999999"))) for k in LEVELS))
    except (OSError, tomllib.TOMLDecodeError, KeyError, ValueError) as exc:
        raise InvalidInput(f"{path}: bad risk level rules: {exc}", reason="bad_levels") from exc
    if not 0 < rules.red_p <= rules.yellow_p < 1:
        raise InvalidInput(f"{path}: need 0 < red_p <= yellow_p < 1", reason="bad_levels")
    return rules


def risk_levels(gi: GiStar, counts: NDArray[np.float64], rules: LevelRules) -> NDArray[np.str_]:
    """Red / yellow / blue per unit: hot (z > 0) at the thresholds, with enough cases, permutations agreeing."""
    p = gi.p_fdr if rules.fdr else gi.p
    hot = (gi.z > 0) & (np.asarray(counts) >= rules.min_count)
    sim = gi.p_sim if gi.p_sim is not None else np.zeros_like(p)
    red = hot & (p <= rules.red_p) & (sim <= rules.red_p)
    yellow = hot & ~red & (p <= rules.yellow_p) & (sim <= rules.yellow_p)
    return np.where(red, "red", np.where(yellow, "yellow", "blue"))
