"""Many cases at once (after a typhoon): the optimal assignment next to greedy nearest-first."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

UNREACHABLE = 1e12  # cost of a pairing the constraints forbid (no skill): never chosen when avoidable


@dataclass(frozen=True)
class Plan:
    """Case index -> staff index pairs, total metres, and cases left without anyone."""

    pairs: list[tuple[int, int]]
    total_m: float
    unassigned: list[int]


def _slots(free: NDArray[np.int64]) -> NDArray[np.int64]:
    return np.repeat(np.arange(len(free)), np.maximum(free, 0))


def optimal_plan(distance_m: NDArray[np.float64], allowed: NDArray[np.bool_], free: NDArray[np.int64]) -> Plan:
    """Minimum total distance, each staff member used at most ``free`` times, forbidden pairs avoided.

    Staff are expanded into one column per free slot, then ``scipy.optimize.linear_sum_assignment``
    solves the (rectangular) assignment problem exactly.
    """
    columns = _slots(free)
    if len(columns) == 0 or distance_m.shape[0] == 0:
        return Plan([], 0.0, list(range(distance_m.shape[0])))
    cost = np.where(allowed[:, columns], distance_m[:, columns], UNREACHABLE)
    rows, cols = linear_sum_assignment(cost)
    pairs = [(int(r), int(columns[c])) for r, c in zip(rows, cols, strict=True) if cost[r, c] < UNREACHABLE]
    return _plan(distance_m, pairs)


def greedy_plan(distance_m: NDArray[np.float64], allowed: NDArray[np.bool_], free: NDArray[np.int64]) -> Plan:
    """Each case in turn takes the nearest allowed staff member with a free slot."""
    left = free.astype(np.int64).copy()
    pairs = []
    for case in range(distance_m.shape[0]):
        options = np.flatnonzero(allowed[case] & (left > 0))
        if options.size:
            best = int(options[np.argmin(distance_m[case, options])])
            pairs.append((case, best))
            left[best] -= 1
    return _plan(distance_m, pairs)


def _plan(distance_m: NDArray[np.float64], pairs: list[tuple[int, int]]) -> Plan:
    done = {c for c, _ in pairs}
    return Plan(sorted(pairs), float(sum(distance_m[c, s] for c, s in pairs)),
                [c for c in range(distance_m.shape[0]) if c not in done])
