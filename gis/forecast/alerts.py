"""Rising-trend alerts: a unit's recent weeks against the weeks before them, Poisson tail, BH across units.

For each unit the cases of the last ``recent_weeks`` are compared with what its previous
``baseline_weeks`` lead one to expect, scaled by the county's own change between the two windows (so a
season that lifts everyone, such as the farming peak, alerts no one). The p-value is the Poisson upper
tail P(X >= recent | expected); units with fewer than ``min_count`` recent cases are never alerted; the
Benjamini-Hochberg procedure holds the false discovery rate across all units of the tier at ``fdr``.
Only the reported stream (see gis.forecast.series) raises an alert.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from gis.errors import InvalidInput

EMPTY_BASELINE = 0.5  # a unit with no case in the baseline weeks counts as half a case: a first case is no p = 0


@dataclass(frozen=True)
class AlertRule:
    """4 recent weeks against the 13 before them, FDR 1 %, at least 5 recent cases."""

    recent_weeks: int = 4
    baseline_weeks: int = 13
    fdr: float = 0.01
    min_count: int = 5

    def __post_init__(self) -> None:
        if self.recent_weeks < 1 or self.baseline_weeks < 1 or not 0 < self.fdr < 1 or self.min_count < 1:
            raise InvalidInput("预警规则：周数和最小案件数须为正数，错误发现率须在 0 与 1 之间",
                               reason="bad_alert_rule")

    @property
    def weeks(self) -> int:
        """Weeks of history one test reads."""
        return self.recent_weeks + self.baseline_weeks


DEFAULT_RULE = AlertRule()


@dataclass(frozen=True)
class RisingTrend:
    """Per unit: recent and baseline cases, the recent cases expected, Poisson p, BH q and the alert flag."""

    recent: NDArray[np.float64]
    baseline: NDArray[np.float64]
    expected: NDArray[np.float64]
    p: NDArray[np.float64]
    q: NDArray[np.float64]
    alert: NDArray[np.bool_]
    county_change: float


def bh_adjust(p: NDArray[np.float64]) -> NDArray[np.float64]:
    """Benjamini-Hochberg adjusted p-values: min over j >= rank of p_(j) * m / j, capped at 1."""
    p = np.asarray(p, dtype=float)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def rising_trend(counts: NDArray[np.float64], rule: AlertRule = DEFAULT_RULE) -> RisingTrend:
    """Test the last ``rule.weeks`` columns of (units x weeks) reported counts; the last column is the newest."""
    if counts.ndim != 2 or counts.shape[1] < rule.weeks:
        raise InvalidInput(f"上升趋势检验需要 {rule.weeks} 周的数据", reason="short_history")
    recent = counts[:, -rule.recent_weeks:].sum(axis=1)
    baseline = counts[:, -rule.weeks: -rule.recent_weeks].sum(axis=1)
    per_week_then = baseline.sum() / rule.baseline_weeks
    change = float(recent.sum() / rule.recent_weeks / per_week_then) if per_week_then > 0 else 1.0
    expected = np.maximum(baseline, EMPTY_BASELINE) * rule.recent_weeks / rule.baseline_weeks * change
    p = np.where(recent >= rule.min_count, stats.poisson.sf(recent - 1, expected), 1.0)
    q = bh_adjust(p)
    return RisingTrend(recent, baseline, expected, p, q, q <= rule.fdr, change)
