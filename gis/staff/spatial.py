"""Metric positions of staff and nearest-neighbour search (scipy cKDTree), never in degrees."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from pyproj import Transformer
from scipy.spatial import cKDTree


def gauss_kruger_epsg(lon: float) -> int:
    """The CGCS2000 3-degree Gauss-Kruger zone (central-meridian variant, EPSG:4534-4554) for a longitude."""
    central = int(round(lon / 3.0) * 3)
    return 4534 + (min(max(central, 75), 135) - 75) // 3


@dataclass
class Metric:
    """WGS84 -> metres in the Gauss-Kruger zone of the county."""

    epsg: int
    transformer: Transformer = field(init=False)

    def __post_init__(self) -> None:
        self.transformer = Transformer.from_crs("EPSG:4326", f"EPSG:{self.epsg}", always_xy=True)

    def xy(self, lon: NDArray[np.float64] | float, lat: NDArray[np.float64] | float) -> NDArray[np.float64]:
        """Easting/northing in metres, shape (n, 2)."""
        x, y = self.transformer.transform(np.atleast_1d(lon), np.atleast_1d(lat))
        return np.column_stack([x, y])


@dataclass
class StaffPoints:
    """Where each staff member is (latest fresh GPS or home base), per role, with a KD-tree each."""

    metric: Metric
    ids: dict[str, NDArray[np.int64]] = field(default_factory=dict)
    trees: dict[str, cKDTree] = field(default_factory=dict)

    @classmethod
    def build(cls, metric: Metric, rows: list[tuple[int, str, float, float]]) -> StaffPoints:
        """Rows of (staff id, role, lon, lat)."""
        points = cls(metric)
        by_role: dict[str, list[tuple[int, float, float]]] = {}
        for staff_id, role, lon, lat in rows:
            by_role.setdefault(role, []).append((staff_id, lon, lat))
        for role, items in by_role.items():
            arr = np.array(items, dtype=float)
            points.ids[role] = arr[:, 0].astype(np.int64)
            points.trees[role] = cKDTree(metric.xy(arr[:, 1], arr[:, 2]))
        return points

    def nearest(self, role: str, lon: float, lat: float, k: int) -> list[tuple[int, float]]:
        """(staff id, metres) of the k nearest staff of a role."""
        tree = self.trees.get(role)
        if tree is None:
            return []
        x, y = self.metric.transformer.transform(lon, lat)  # scalar path: ~3 us, no arrays
        distances, rows = tree.query((x, y), k=min(k, tree.n))
        ids = self.ids[role][np.atleast_1d(rows)].tolist()
        return list(zip(ids, np.atleast_1d(distances).tolist(), strict=True))
