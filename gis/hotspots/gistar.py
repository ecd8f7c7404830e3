"""Getis-Ord Gi* (star: each unit is its own neighbour) on binary weights, with FDR-corrected p-values.

The z-score is the analytic one, a single sparse matrix-vector product (equal to esda's
``G_Local(star=True, transform="B")`` z): ``z = (W*y - ybar*Wi) / (s*sqrt((n*S1 - Wi^2)/(n-1)))``
where W* is W plus self-links, Wi the row sums of W* and S1 the row sums of its squares (= Wi here).
For one period the permutation p-values of esda (999 conditional permutations) are computed as well.
A permutation p-value cannot go below 1/(permutations+1) = 0.001, so a false-discovery-rate correction
over thousands of units could never pass at 99 % on it alone: the correction (Benjamini-Hochberg) is
applied to the analytic p-values, and a unit must also pass the permutation test uncorrected.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse, stats

from gis.hotspots.weights import TierWeights


@dataclass(frozen=True)
class GiStar:
    """Gi* of one period: z, two-sided p, FDR-adjusted p, permutation p (or None), local and expected sums."""

    z: NDArray[np.float64]
    p: NDArray[np.float64]
    p_fdr: NDArray[np.float64]
    p_sim: NDArray[np.float64] | None
    local_sum: NDArray[np.float64]
    expected: NDArray[np.float64]


def gi_star_z(matrix: sparse.csr_matrix, y: NDArray[np.float64]) -> NDArray[np.float64]:
    """Analytic Gi* z-scores for one or many periods (``y`` of shape (n,) or (n, periods))."""
    y = np.asarray(y, dtype=float)
    n = matrix.shape[0]
    if n < 2:
        return np.zeros_like(y)
    star = matrix + sparse.identity(n, format="csr")
    wi = np.asarray(star.sum(axis=1)).ravel()
    mean = y.mean(axis=0)
    s = np.sqrt((y**2).mean(axis=0) - mean**2)
    local = star @ y
    spread = np.sqrt(np.maximum(n * wi - wi**2, 0.0) / (n - 1))
    denom = np.multiply.outer(spread, s) if y.ndim == 2 else spread * s
    expect = np.multiply.outer(wi, mean) if y.ndim == 2 else wi * mean
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(denom > 0, (local - expect) / np.where(denom > 0, denom, 1.0), 0.0)
    return np.asarray(z)


def fdr_adjust(p: NDArray[np.float64]) -> NDArray[np.float64]:
    """Benjamini-Hochberg adjusted p-values (q-values) along the first axis."""
    p = np.asarray(p, dtype=float)
    if p.size == 0:
        return p
    return np.asarray(stats.false_discovery_control(p, axis=0, method="bh"))


def two_sided_p(z: NDArray[np.float64]) -> NDArray[np.float64]:
    """Normal two-sided p-value of a z-score (99 % confidence: p <= 0.01, |z| >= 2.576)."""
    return np.asarray(2 * stats.norm.sf(np.abs(z)))


def gi_star(weights: TierWeights, counts: NDArray[np.float64], *, permutations: int = 999, seed: int = 12345
            ) -> GiStar:
    """Gi* of one period: analytic z and p, BH-adjusted p and (``permutations`` > 0) esda's permutation p."""
    y = np.asarray(counts, dtype=float)
    z = gi_star_z(weights.matrix, y)
    p = two_sided_p(z)
    star = weights.matrix + sparse.identity(len(y), format="csr")
    local = np.asarray(star @ y).ravel()
    expected = np.asarray(star.sum(axis=1)).ravel() * (y.mean() if len(y) else 0.0)
    p_sim = None
    if permutations > 0 and len(y) > 2 and y.std() > 0:
        from esda.getisord import G_Local

        g = G_Local(y, weights.w, transform="B", star=True, permutations=permutations, seed=seed,
                    keep_simulations=False, n_jobs=1)
        p_sim = np.asarray(g.p_sim, dtype=float)
    return GiStar(z, p, fdr_adjust(p), p_sim, local, expected)
