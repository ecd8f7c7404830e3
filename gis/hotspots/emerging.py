"""Emerging hotspots: weekly Gi* z-scores per unit, a Mann-Kendall trend on them, ArcGIS's categories.

The categories and rules are those of ArcGIS Pro's Emerging Hot Spot Analysis ("How Emerging Hot Spot
Analysis works"); cold categories mirror the hot ones. A bin (unit x week) is hot when its Gi* z > 0 and
its Benjamini-Hochberg adjusted p (over the units of that week) is at most ``alpha``; cold likewise with
z < 0. "90 % of the time-step intervals" is ``hot weeks / weeks >= 0.9``. The trend is Mann-Kendall's
(with the tie correction) on each unit's z series; significant when its two-sided p <= ``alpha``.
Each week's Gi* is spatial only (no time lag in the neighbourhood, unlike ArcGIS's default of one step).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse, stats

from gis.hotspots.gistar import fdr_adjust, gi_star_z, two_sided_p

PATTERNS = {
    "new_hot": "新增热点", "consecutive_hot": "连续热点", "intensifying_hot": "加强热点", "persistent_hot": "持续热点",
    "diminishing_hot": "减弱热点", "sporadic_hot": "零星热点", "oscillating_hot": "振荡热点",
    "historical_hot": "历史热点", "new_cold": "新增冷点", "consecutive_cold": "连续冷点",
    "intensifying_cold": "加强冷点", "persistent_cold": "持续冷点", "diminishing_cold": "减弱冷点",
    "sporadic_cold": "零星冷点", "oscillating_cold": "振荡冷点", "historical_cold": "历史冷点",
    "no_pattern": "无明显模式",
}


@dataclass(frozen=True)
class Trend:
    """Mann-Kendall on each row of a (units x periods) array."""

    s: NDArray[np.float64]
    z: NDArray[np.float64]
    p: NDArray[np.float64]
    tau: NDArray[np.float64]


def mann_kendall(series: NDArray[np.float64]) -> Trend:
    """Mann-Kendall S, z (continuity-corrected), two-sided p and Kendall's tau per row, ties corrected."""
    x = np.atleast_2d(np.asarray(series, dtype=float))
    n = x.shape[1]
    i, j = np.triu_indices(n, k=1)
    s = np.sign(x[:, j] - x[:, i]).sum(axis=1)
    var = np.full(len(x), n * (n - 1) * (2 * n + 5) / 18.0)
    ordered = np.sort(x, axis=1)
    for row in np.flatnonzero((np.diff(ordered, axis=1) == 0).any(axis=1)):
        _, ties = np.unique(ordered[row], return_counts=True)
        var[row] -= float((ties * (ties - 1) * (2 * ties + 5)).sum()) / 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, (s - np.sign(s)) / np.sqrt(np.where(var > 0, var, 1.0)), 0.0)
    tau = s / (n * (n - 1) / 2) if n > 1 else np.zeros(len(x))
    return Trend(s.astype(float), z, np.asarray(2 * stats.norm.sf(np.abs(z))), tau)


def significant_bins(z: NDArray[np.float64], alpha: float, *, fdr: bool = True) -> tuple[NDArray[np.bool_],
                                                                                             NDArray[np.bool_]]:
    """(hot, cold) per bin of a (units x periods) z array; the correction runs over units within each period."""
    p = two_sided_p(z)
    if fdr:
        p = fdr_adjust(p)
    sig = p <= alpha
    return sig & (z > 0), sig & (z < 0)


def classify(hot: NDArray[np.bool_], cold: NDArray[np.bool_], trend: Trend, alpha: float) -> NDArray[np.str_]:
    """ArcGIS's category of each unit (row) from its hot/cold bins and trend."""
    out = np.empty(hot.shape[0], dtype="<U20")
    for u in range(hot.shape[0]):
        out[u] = _classify_one(hot[u], cold[u], float(trend.z[u]), float(trend.p[u]) <= alpha)
    return out


def _classify_one(hot: NDArray[np.bool_], cold: NDArray[np.bool_], trend_z: float, trend_sig: bool) -> str:
    if hot[-1]:
        return _pattern(hot, cold, trend_z, trend_sig, "hot")
    if cold[-1]:
        return _pattern(cold, hot, -trend_z, trend_sig, "cold")
    if hot.mean() >= 0.9:
        return "historical_hot"
    if cold.mean() >= 0.9:
        return "historical_cold"
    return "no_pattern"


def _pattern(mine: NDArray[np.bool_], other: NDArray[np.bool_], trend_z: float, trend_sig: bool, kind: str) -> str:
    """Rules written for hot spots (the final bin is hot); for cold ones the series are swapped, the trend flipped."""
    n = len(mine)
    if mine.sum() / n >= 0.9:
        if trend_sig and trend_z > 0:
            return f"intensifying_{kind}"
        if trend_sig and trend_z < 0:
            return f"diminishing_{kind}"
        return f"persistent_{kind}"
    if mine.sum() == 1:
        return f"new_{kind}"
    run = int(np.argmin(mine[::-1]))
    if run >= 2 and not mine[: n - run].any():
        return f"consecutive_{kind}"
    if other.any():
        return f"oscillating_{kind}"
    return f"sporadic_{kind}"


@dataclass(frozen=True)
class Emerging:
    """Per unit: category, trend z and p, the weekly z-scores and hot/cold bins."""

    pattern: NDArray[np.str_]
    trend: Trend
    z: NDArray[np.float64]
    hot: NDArray[np.bool_]
    cold: NDArray[np.bool_]


def emerging_hotspots(matrix: sparse.csr_matrix, weekly: NDArray[np.float64], *, alpha: float = 0.05,
                      fdr: bool = True) -> Emerging:
    """Classify every unit from its (units x weeks) counts."""
    z = gi_star_z(matrix, weekly)
    hot, cold = significant_bins(z, alpha, fdr=fdr)
    trend = mann_kendall(z)
    return Emerging(classify(hot, cold, trend, alpha), trend, z, hot, cold)
