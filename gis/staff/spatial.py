"""Metric positions of staff and nearest-neighbour search (scipy cKDTree), never in degrees."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from pyproj import Transformer
from scipy.spatial import cKDTree


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


class BlockKnn:
    """k-nearest with one numpy slice per query: each grid cell stores the points of its 3x3 block.

    cKDTree.query costs 40-90 us per single call on this machine, mostly call overhead; here a query
    is one slice, one distance pass and one argpartition. The answer is exact when the k-th
    distance found is within one cell (nothing outside the 3x3 block can be closer); otherwise,
    in sparse areas, the caller falls back to the tree.
    """

    def __init__(self, xy: NDArray[np.float64], per_cell: float = 4.0) -> None:
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        extent = np.maximum(hi - lo, 1.0)
        self.cell = float(max(np.sqrt(extent[0] * extent[1] * per_cell / max(len(xy), 1)), 1.0))
        self.origin = lo
        self.nx, self.ny = (np.floor(extent / self.cell).astype(int) + 1).tolist()
        cx = np.minimum(((xy[:, 0] - lo[0]) // self.cell).astype(np.int64), self.nx - 1)
        cy = np.minimum(((xy[:, 1] - lo[1]) // self.cell).astype(np.int64), self.ny - 1)
        members: list[list[int]] = [[] for _ in range(self.nx * self.ny)]
        for i, (x, y) in enumerate(zip(cx.tolist(), cy.tolist(), strict=True)):
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    if 0 <= x + dx < self.nx and 0 <= y + dy < self.ny:
                        members[(y + dy) * self.nx + x + dx].append(i)
        self.offsets = np.cumsum([0] + [len(m) for m in members]).tolist()
        self.rows = np.array([i for m in members for i in m], dtype=np.int64)
        self.block_xy = xy[self.rows]

    def query(self, x: float, y: float, k: int) -> tuple[list[float], list[int]] | None:
        """(distances, rows) nearest first, or None when the block cannot prove the answer."""
        ix, iy = int((x - self.origin[0]) // self.cell), int((y - self.origin[1]) // self.cell)
        if not (0 <= ix < self.nx and 0 <= iy < self.ny):
            return None
        cell = iy * self.nx + ix
        start, end = self.offsets[cell], self.offsets[cell + 1]
        if end - start < k:
            return None
        block = self.block_xy[start:end]
        d2 = (block[:, 0] - x) ** 2 + (block[:, 1] - y) ** 2
        best = np.argpartition(d2, k - 1)[:k] if end - start > k else np.arange(k)
        best = best[np.argsort(d2[best])]
        if d2[best[-1]] > self.cell * self.cell:
            return None
        return np.sqrt(d2[best]).tolist(), self.rows[start + best].tolist()


@dataclass
class StaffPoints:
    """Where each staff member is (latest fresh GPS or home base), per role, with a KD-tree each."""

    metric: Metric
    ids: dict[str, NDArray[np.int64]] = field(default_factory=dict)
    trees: dict[str, cKDTree] = field(default_factory=dict)
    blocks: dict[str, BlockKnn] = field(default_factory=dict)

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
            xy = metric.xy(arr[:, 1], arr[:, 2])
            points.trees[role] = cKDTree(xy)
            points.blocks[role] = BlockKnn(xy)
        return points

    def count(self, role: str) -> int:
        """How many located staff of a role there are."""
        ids = self.ids.get(role)
        return 0 if ids is None else len(ids)

    def positions(self, role: str) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """(staff ids, metric xy) of every located staff member of a role."""
        tree = self.trees.get(role)
        if tree is None:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 2))
        return self.ids[role], np.asarray(tree.data)

    def nearest(self, role: str, lon: float, lat: float, k: int) -> list[tuple[int, float]]:
        """(staff id, metres) of the k nearest staff of a role."""
        tree = self.trees.get(role)
        if tree is None:
            return []
        x, y = self.metric.transformer.transform(lon, lat)  # scalar path: ~3 us, no arrays
        found = self.blocks[role].query(x, y, k)
        if found is not None:
            distances_list, rows_list = found
            return list(zip(self.ids[role][rows_list].tolist(), distances_list, strict=True))
        distances, rows = tree.query((x, y), k=min(k, tree.n))
        ids = self.ids[role][np.atleast_1d(rows)].tolist()
        return list(zip(ids, np.atleast_1d(distances).tolist(), strict=True))
