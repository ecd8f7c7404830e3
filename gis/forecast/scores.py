"""How good a hot-spot forecast is: PAI and PEI* at a share of the county's area (NIJ forecasting challenge).

PAI = (share of next week's cases inside the chosen units) / (share of the area they cover). Units are
taken in order of forecast density (expected cases per km2) while their area stays within the budget.
PEI* = PAI / PAI*, where PAI* is the same rule applied to the cases that really happened (the best any
forecast could have done with that budget): 1.0 is perfect, 0 found nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class HitScore:
    """PAI and PEI* of one forecast, the area share used and the share of cases caught."""

    pai: float
    pei_star: float
    area_share: float
    hit_share: float


def chosen_units(score: NDArray[np.float64], area: NDArray[np.float64], budget: float) -> NDArray[np.bool_]:
    """Units in order of ``score`` per km2 (ties: smaller unit first) while their area fits ``budget`` (0-1)."""
    density = np.asarray(score, dtype=float) / np.asarray(area, dtype=float)
    order = np.lexsort((area, -density))
    inside = np.cumsum(area[order]) <= budget * area.sum()
    chosen = np.zeros(len(area), dtype=bool)
    chosen[order[inside]] = True
    return chosen


def pai(chosen: NDArray[np.bool_], actual: NDArray[np.float64], area: NDArray[np.float64]) -> float:
    """Predictive accuracy index of a set of units against the cases that happened."""
    total, covered = float(actual.sum()), float(area[chosen].sum())
    if total == 0 or covered == 0:
        return 0.0
    return (float(actual[chosen].sum()) / total) / (covered / float(area.sum()))


def hit_score(forecast: NDArray[np.float64], actual: NDArray[np.float64], area: NDArray[np.float64],
              budget: float = 0.05) -> HitScore:
    """PAI and PEI* of ``forecast`` at ``budget`` of the area."""
    chosen = chosen_units(forecast, area, budget)
    best = pai(chosen_units(actual, area, budget), actual, area)
    mine = pai(chosen, actual, area)
    total = float(actual.sum())
    return HitScore(mine, mine / best if best > 0 else 0.0, float(area[chosen].sum() / area.sum()),
                    float(actual[chosen].sum()) / total if total else 0.0)
