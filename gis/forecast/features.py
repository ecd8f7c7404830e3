"""What the forecast of week t+1 may know at the end of week t: lagged counts, the neighbours' level, the season.

Every feature of a row is computed from weeks up to and including t, never later: a row for target week
t+1 reads ``counts[:, : t + 1]`` only (the no-future-data test perturbs later weeks and checks nothing moves).
With one year of history the season cannot be learnt from last year's same week, so it enters as the
county's momentum (its last 4 weeks against its last 13): the farming peaks and the wage disputes before
the Spring Festival move every unit of the county together.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

MIN_PAST_WEEKS = 13
FEATURES = ("last_week", "mean_4", "mean_13", "mean_all", "neighbours_13", "county_momentum", "population")


def features_at(counts: NDArray[np.float64], t: int, neighbours: sparse.csr_matrix,
                population: NDArray[np.float64]) -> NDArray[np.float64]:
    """(units x features) for forecasting week ``t + 1`` from ``counts[:, : t + 1]`` (units x weeks)."""
    if t + 1 < MIN_PAST_WEEKS:
        raise ValueError(f"need {MIN_PAST_WEEKS} past weeks, got {t + 1}")
    past = counts[:, : t + 1]
    mean_4 = past[:, -4:].mean(axis=1)
    mean_13 = past[:, -13:].mean(axis=1)
    mean_all = past.mean(axis=1)
    degree = np.asarray(neighbours.sum(axis=1)).ravel()
    around = np.asarray(neighbours @ mean_13).ravel() / np.maximum(degree, 1.0)
    county = past.sum(axis=0)
    momentum = np.log((county[-4:].mean() + 1.0) / (county[-13:].mean() + 1.0))
    return np.column_stack([
        np.log1p(past[:, -1]), np.log1p(mean_4), np.log1p(mean_13), np.log1p(mean_all), np.log1p(around),
        np.full(len(past), momentum), np.log1p(population / 1000.0),
    ])


def training_rows(counts: NDArray[np.float64], origin: int, neighbours: sparse.csr_matrix,
                  population: NDArray[np.float64], *, weeks: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Stacked (features, next week's count) for the last ``weeks`` target weeks up to ``origin`` (inclusive)."""
    first = max(MIN_PAST_WEEKS - 1, origin - weeks)
    xs, ys = [], []
    for t in range(first, origin):
        xs.append(features_at(counts, t, neighbours, population))
        ys.append(counts[:, t + 1])
    if not xs:
        raise ValueError(f"need at least {MIN_PAST_WEEKS + 1} weeks of history to fit")
    return np.vstack(xs), np.concatenate(ys)
