"""The in-process exact index: point -> fourth-tier grid -> village -> town -> county.

Built from PostGIS (the system of record) at start-up and rebuilt when a generation is activated.
Bulk lookups go through a label raster; undecided points (near edges) take the exact test,
grouped by polygon so each polygon's prepared structure stays in cache (2-3x faster than
point order). A point on a shared edge or vertex belongs to the covering grid with the lowest
code: grids are stored sorted by code and the smallest index wins.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import shapely
from numpy.typing import NDArray

from gis.geodesy import M_PER_DEG_LAT, M_PER_DEG_LON_EQUATOR
from gis.locate.model import ChainLevel, Location, NearbyGrid
from gis.locate.raster import OUTSIDE, UNDECIDED, LabelRaster, build_label_raster

MAX_RASTER_PIXELS = 80_000_000
Metric = Callable[[NDArray[np.float64]], NDArray[np.float64]]


@dataclass
class GridTable:
    """Grids (sorted by code) and the names of every tier above them."""

    generation_id: int
    generation_name: str
    grid_codes: NDArray[np.str_]
    grid_names: NDArray[np.str_]
    grid_geoms: NDArray[np.object_]
    grid_village: NDArray[np.int64]
    village_codes: NDArray[np.str_]
    village_names: NDArray[np.str_]
    village_town: NDArray[np.int64]
    town_codes: NDArray[np.str_]
    town_names: NDArray[np.str_]
    town_county: NDArray[np.int64]
    county_codes: NDArray[np.str_]
    county_names: NDArray[np.str_]

    def __post_init__(self) -> None:
        if len(self.grid_codes) == 0:
            raise ValueError("a locate index needs at least one grid")
        if np.any(self.grid_codes[1:] < self.grid_codes[:-1]):
            raise ValueError("grids must be sorted by code (the tie-break on shared edges relies on it)")


class LocateIndex:
    """Exact point-in-grid lookups with the hierarchy chain."""

    def __init__(self, table: GridTable, raster: LabelRaster) -> None:
        self.table = table
        self.raster = raster
        self.tree = shapely.STRtree(table.grid_geoms)
        shapely.prepare(table.grid_geoms)

    @classmethod
    def build(cls, table: GridTable, *, pixel_deg: float = 0.00007) -> LocateIndex:
        """Build the raster (coarser when the extent is large) and the tree."""
        minx, miny, maxx, maxy = shapely.total_bounds(table.grid_geoms)
        pixel = max(pixel_deg, math.sqrt((maxx - minx) * (maxy - miny) / MAX_RASTER_PIXELS))
        return cls(table, build_label_raster(table.grid_geoms, pixel))

    @property
    def generation_id(self) -> int:
        """The generation the index was built from."""
        return self.table.generation_id

    def __len__(self) -> int:
        return len(self.table.grid_codes)

    def memory_bytes(self) -> int:
        """Approximate memory: raster, coordinates of the polygons, tree and name arrays."""
        coords = int(shapely.get_num_coordinates(self.table.grid_geoms).sum()) * 16
        names = sum(int(a.nbytes) for a in (self.table.grid_codes, self.table.grid_names))
        return self.raster.nbytes + coords + names + len(self) * 64

    # -- bulk ---------------------------------------------------------------------------------
    def locate_many(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.int64]:
        """Grid row per point (-1 outside every grid); exact, including edges (lowest code wins)."""
        lon = np.ascontiguousarray(lon, dtype=np.float64)
        lat = np.ascontiguousarray(lat, dtype=np.float64)
        labels = self.raster.lookup(lon, lat).astype(np.int64)
        todo = np.flatnonzero(labels < 0)  # UNDECIDED near edges; OUTSIDE becomes -1 below
        if todo.size:
            undecided = todo[labels[todo] == UNDECIDED]
            labels[todo] = -1
            if undecided.size:
                labels[undecided] = self._exact(lon[undecided], lat[undecided])
        return labels

    def _exact(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.int64]:
        point_idx, grid_idx = self.tree.query(shapely.points(lon, lat))
        order = np.argsort(grid_idx, kind="stable")  # group by polygon: cache-friendly
        point_idx, grid_idx = point_idx[order], grid_idx[order]
        hit = shapely.intersects_xy(self.table.grid_geoms[grid_idx], lon[point_idx], lat[point_idx])
        best = np.full(len(lon), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(best, point_idx[hit], grid_idx[hit])
        best[best == np.iinfo(np.int64).max] = -1
        return best

    # -- single -------------------------------------------------------------------------------
    def grid_at(self, lon: float, lat: float) -> int:
        """Grid row of one point, -1 outside."""
        label = self.raster.lookup_one(lon, lat)
        if label >= 0:
            return label
        if label == OUTSIDE:
            return -1
        candidates = self.tree.query(shapely.Point(lon, lat), predicate="intersects")
        return int(candidates.min()) if candidates.size else -1

    def chain(self, grid: int) -> tuple[ChainLevel, ...]:
        """County -> town -> village -> grid for a grid row."""
        t = self.table
        village = int(t.grid_village[grid])
        town = int(t.village_town[village])
        county = int(t.town_county[town])
        return (
            ChainLevel(str(t.county_codes[county]), str(t.county_names[county]), 1),
            ChainLevel(str(t.town_codes[town]), str(t.town_names[town]), 2),
            ChainLevel(str(t.village_codes[village]), str(t.village_names[village]), 3),
            ChainLevel(str(t.grid_codes[grid]), str(t.grid_names[grid]), 4),
        )

    def locate(self, lon: float, lat: float, *, border_m: float = 50.0) -> Location:
        """The full answer for one WGS84 point: chain, distance to the edge, neighbours near borders."""
        grid = self.grid_at(lon, lat)
        answer = partial(Location, generation_id=self.table.generation_id,
                         generation_name=self.table.generation_name, lon=lon, lat=lat)
        to_metres = _local_metric(lon, lat)
        point = shapely.Point(0.0, 0.0)
        if grid < 0:
            nearest = self._nearest(lon, lat, to_metres)
            return answer(inside=False, nearest_grid=nearest, distance_to_boundary_m=nearest.distance_m,
                          method="exact")
        own = shapely.transform(self.table.grid_geoms[grid], to_metres)
        distance = float(shapely.distance(shapely.boundary(own), point))
        neighbours = self._within(lon, lat, border_m, to_metres, exclude=grid) if distance <= border_m else ()
        method = "raster" if self.raster.lookup_one(lon, lat) >= 0 else "exact"
        return answer(inside=True, chain=self.chain(grid), distance_to_boundary_m=distance,
                      neighbours=neighbours, method=method)

    def _within(self, lon: float, lat: float, metres: float, to_metres: Metric, *, exclude: int
                ) -> tuple[NearbyGrid, ...]:
        dlat = metres / M_PER_DEG_LAT
        dlon = metres / (M_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat)))
        box = shapely.box(lon - dlon, lat - dlat, lon + dlon, lat + dlat)
        found = []
        for g in self.tree.query(box):
            if g == exclude:
                continue
            d = float(shapely.distance(shapely.transform(self.table.grid_geoms[g], to_metres),
                                       shapely.Point(0.0, 0.0)))
            if d <= metres:
                found.append(NearbyGrid(str(self.table.grid_codes[g]), str(self.table.grid_names[g]), round(d, 2)))
        return tuple(sorted(found, key=lambda n: (n.distance_m, n.code)))

    def _nearest(self, lon: float, lat: float, to_metres: Metric) -> NearbyGrid:
        first = int(self.tree.query_nearest(shapely.Point(lon, lat))[0])
        rough = float(shapely.distance(shapely.transform(self.table.grid_geoms[first], to_metres),
                                       shapely.Point(0.0, 0.0)))
        # Degrees are not metres: re-rank every grid within the rough distance, in metres.
        close = self._within(lon, lat, rough * 1.01 + 1.0, to_metres, exclude=-1)
        return close[0] if close else NearbyGrid(str(self.table.grid_codes[first]),
                                                 str(self.table.grid_names[first]), round(rough, 2))


def _local_metric(lon0: float, lat0: float) -> Metric:
    """Equirectangular metres around a point: < 0.1 % error within ~10 km, and cheap."""
    kx = M_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat0))

    def to_metres(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.column_stack(((xy[:, 0] - lon0) * kx, (xy[:, 1] - lat0) * M_PER_DEG_LAT))

    return to_metres
