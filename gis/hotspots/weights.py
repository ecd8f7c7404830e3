"""Queen contiguity weights per tier, built once per boundary generation and cached.

Contiguity is computed in the county's Gauss-Kruger zone (a projected CRS), with islands (units that
touch nothing, such as an island township) attached to their nearest unit; enclaves touch their host
and need nothing special. Building the grid tier costs about two seconds for 8,535 grids, so a process
keeps one ``HotspotWeights`` per generation (``HotspotWeightsCache``) and rebuilds only when the active
generation changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import libpysal
import numpy as np
import shapely
from scipy import sparse

from gis.hotspots.units import TierUnits, UnitTable
from gis.models import Tier


def gauss_kruger_epsg(lon: float) -> int:
    """The CGCS2000 3-degree Gauss-Kruger zone (central-meridian variant, EPSG:4534-4554) for a longitude."""
    central = int(round(lon / 3.0) * 3)
    return 4534 + (min(max(central, 75), 135) - 75) // 3


# Degrees: about 60 m for grids, 120 m for villages, 250 m for towns and the county.
DISPLAY_TOLERANCE = {Tier.GRID: 0.0006, Tier.VILLAGE: 0.0012, Tier.TOWN: 0.0025, Tier.COUNTY: 0.0025}


@dataclass(frozen=True)
class TierWeights:
    """Binary Queen weights of one tier: a sparse matrix (no self-links) and the libpysal W with self-links."""

    matrix: sparse.csr_matrix
    w: libpysal.weights.W
    islands_attached: int


def queen_weights(units: TierUnits) -> TierWeights:
    """Queen contiguity in the local Gauss-Kruger zone, islands attached with KNN(k=1)."""
    frame = gpd.GeoDataFrame({"code": units.codes}, geometry=list(units.geometry), crs="EPSG:4326")
    lon = float(shapely.centroid(shapely.union_all(units.geometry[: min(len(units), 200)])).x)
    frame = frame.to_crs(epsg=gauss_kruger_epsg(lon))
    w = libpysal.weights.Queen.from_dataframe(frame, use_index=False, silence_warnings=True)
    islands = list(w.islands)
    if islands and len(frame) > 1:
        knn = libpysal.weights.KNN.from_dataframe(frame.set_geometry(frame.representative_point()), k=1,
                                                  use_index=False, silence_warnings=True)
        w = libpysal.weights.attach_islands(w, knn)
    w.transform = "B"
    matrix = sparse.csr_matrix(w.sparse, dtype=float)
    matrix.setdiag(0)
    matrix.eliminate_zeros()
    return TierWeights(matrix, libpysal.weights.fill_diagonal(w, 1.0), len(islands))


@dataclass
class HotspotWeights:
    """Weights for the tiers of one generation, each built on first use (thread-safe)."""

    units: UnitTable
    _built: dict[Tier, TierWeights] = field(default_factory=dict)
    _display: dict[Tier, np.ndarray] = field(default_factory=dict)
    _towns: dict[tuple[Tier, str], TierWeights] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def generation_id(self) -> int:
        """The generation these weights were built from."""
        return self.units.generation_id

    def is_stale(self, active_generation_id: int) -> bool:
        """True when another generation is active now."""
        return active_generation_id != self.generation_id

    def for_tier(self, tier: Tier) -> TierWeights:
        """The weights of a tier (built now if this is the first use)."""
        with self._lock:
            if tier not in self._built:
                self._built[tier] = queen_weights(self.units.of(tier))
            return self._built[tier]

    def for_town(self, tier: Tier, town_code: str) -> TierWeights:
        """The tier's weights among one town's units only (``units.in_town`` order).

        A town user's statistics never look across the town's border (built on first use, cached per town).
        """
        whole = self.for_tier(tier)
        with self._lock:
            key = (tier, town_code)
            if key not in self._towns:
                self._towns[key] = subset_weights(whole, np.flatnonzero(self.units.in_town(tier, town_code)))
            return self._towns[key]

    def display_geometry(self, tier: Tier) -> np.ndarray:
        """The tier's polygons coverage-simplified for maps (shared edges stay shared; never per polygon)."""
        with self._lock:
            if tier not in self._display:
                geoms = self.units.of(tier).geometry
                simplified = shapely.coverage_simplify(geoms, DISPLAY_TOLERANCE[tier]) if len(geoms) else geoms
                self._display[tier] = shapely.set_precision(simplified, 1e-5)
            return self._display[tier]


def subset_weights(weights: TierWeights, idx: np.ndarray) -> TierWeights:
    """The weights among the units ``idx`` only (links to other units dropped; self-links kept for esda)."""
    matrix = sparse.csr_matrix(weights.matrix[idx][:, idx])
    matrix.eliminate_zeros()
    w = libpysal.weights.WSP(matrix).to_W(silence_warnings=True)
    w.transform = "B"
    return TierWeights(matrix, libpysal.weights.fill_diagonal(w, 1.0), 0)


class HotspotWeightsCache:
    """One ``HotspotWeights`` per process, replaced when the active generation changes."""

    def __init__(self) -> None:
        self._current: HotspotWeights | None = None
        self._lock = threading.Lock()

    def get(self, generation_id: int, load: Callable[[int], UnitTable]) -> HotspotWeights:
        """The weights of ``generation_id``, loading its units with ``load`` when not cached."""
        with self._lock:
            if self._current is None or self._current.is_stale(generation_id):
                self._current = HotspotWeights(load(generation_id))
            return self._current


def neighbour_counts(weights: TierWeights) -> np.ndarray:
    """Number of neighbours of each unit (after islands were attached)."""
    return np.asarray(weights.matrix.sum(axis=1)).ravel()
