"""Next week's expected cases per grid: a Poisson GLM (log link) on lagged counts, neighbours and season.

One model is fitted on all grids of the county, on the last ``training_weeks`` target weeks before the
origin; grids are then summed into villages and towns (bottom-up), so every village's forecast is exactly
the sum of its grids' and every town's the sum of its villages'.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.linear_model import PoissonRegressor

from gis.forecast.features import FEATURES, features_at, training_rows
from gis.hotspots.units import UnitTable
from gis.models import Tier

TRAINING_WEEKS = 13
RIDGE = 1e-4  # a touch of L2 keeps the fit stable when a feature is constant (an all-quiet county)


@dataclass(frozen=True)
class Forecast:
    """Expected cases of the week after ``origin`` for every grid, and the fitted coefficients."""

    origin: int
    grid: NDArray[np.float64]
    coefficients: dict[str, float]
    intercept: float

    def for_tier(self, units: UnitTable, tier: Tier) -> NDArray[np.float64]:
        """Expected cases per unit of ``tier``, summed from the grids (tiers add up exactly)."""
        return units.roll_up(self.grid, tier)


def forecast_next_week(counts: NDArray[np.float64], origin: int, neighbours: sparse.csr_matrix,
                       population: NDArray[np.float64], *, training_weeks: int = TRAINING_WEEKS) -> Forecast:
    """Fit on weeks up to ``origin`` (index into ``counts``' columns) and forecast week ``origin + 1``."""
    x, y = training_rows(counts, origin, neighbours, population, weeks=training_weeks)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    model = PoissonRegressor(alpha=RIDGE, solver="newton-cholesky", max_iter=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lbfgs may stop at max_iter on a flat county; the fit is still usable
        model.fit((x - mean) / scale, y)
    expected = model.predict((features_at(counts, origin, neighbours, population) - mean) / scale)
    coef = model.coef_ / scale
    return Forecast(origin, np.asarray(expected, dtype=float), dict(zip(FEATURES, coef.tolist(), strict=True)),
                    float(model.intercept_ - float(coef @ mean)))
