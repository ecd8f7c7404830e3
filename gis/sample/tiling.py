"""Exact hierarchical tiling of a county outline into towns, villages and grids.

The method keeps every shared edge bit-identical, so the tiers nest exactly:

1. work in metres (an azimuthal equidistant projection centred on the county);
2. draw town seats, village seeds (denser near seats) and grid seeds (denser still);
3. build ONE Voronoi diagram of all grid seeds, node its edges against the outline,
   densify the linework and polygonise it: every face belongs to the grid whose seed
   is nearest to it (the Voronoi property), so faces never overlap or leave gaps;
4. warp every vertex with a smooth, small displacement field (a homeomorphism applied
   once per coordinate, so neighbours see the same warped edge) to make edges irregular;
5. villages and towns are coverage unions of their grids: nesting holds by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Transformer
from scipy.spatial import cKDTree

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class TilingCounts:
    """How many units each tier gets."""

    towns: int = 17
    villages: int = 1026
    grids: int = 8535

    def __post_init__(self) -> None:
        if not 1 <= self.towns <= self.villages <= self.grids:
            raise ValueError(f"counts must satisfy 1 <= towns <= villages <= grids, got {self}")


@dataclass
class Tiling:
    """Polygons (EPSG:4326) of each tier and the parent index of every child."""

    grids: NDArray[np.object_]
    grid_village: IntArray
    villages: NDArray[np.object_]
    village_town: IntArray
    towns: NDArray[np.object_]
    town_seats: NDArray[np.object_]
    village_urban: NDArray[np.bool_]
    county: shapely.MultiPolygon


def local_transformers(lon0: float, lat0: float) -> tuple[Transformer, Transformer]:
    """Metric (azimuthal equidistant) <-> WGS84 transformers centred on a point."""
    aeqd = f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m"
    to_m = Transformer.from_crs("EPSG:4326", aeqd, always_xy=True)
    to_deg = Transformer.from_crs(aeqd, "EPSG:4326", always_xy=True)
    return to_m, to_deg


def sample_in_polygon(rng: np.random.Generator, poly: shapely.Geometry, n: int, density: object = None) -> FloatArray:
    """Draw ``n`` points inside ``poly`` by rejection, optionally weighted by a density in [0, 1]."""
    shapely.prepare(poly)
    minx, miny, maxx, maxy = poly.bounds
    out: list[FloatArray] = []
    have = 0
    while have < n:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(max(4 * n, 64), 2))
        keep = shapely.contains_xy(poly, xy[:, 0], xy[:, 1])
        if density is not None:
            keep &= rng.uniform(size=len(xy)) < density(xy)  # type: ignore[operator]
        xy = xy[keep]
        out.append(xy)
        have += len(xy)
    return np.concatenate(out)[:n]


def split_count(total: int, weights: FloatArray, minimum: int) -> IntArray:
    """Split ``total`` into integer parts proportional to ``weights``, each >= ``minimum``."""
    k = len(weights)
    if total < k * minimum:
        raise ValueError(f"cannot give {k} units at least {minimum} each out of {total}")
    spare = total - k * minimum
    raw = weights / weights.sum() * spare
    parts = np.floor(raw).astype(np.int64)
    remainder = spare - int(parts.sum())
    parts[np.argsort(-(raw - parts), kind="stable")[:remainder]] += 1
    return parts + minimum


def spread_seats(rng: np.random.Generator, outline: shapely.Geometry, n: int) -> FloatArray:
    """Town seats: best-candidate sampling keeps them apart, like real market towns."""
    seats = sample_in_polygon(rng, outline, 1)
    while len(seats) < n:
        cand = sample_in_polygon(rng, outline, 30)
        dist = cKDTree(seats).query(cand)[0]
        seats = np.vstack([seats, cand[np.argmax(dist)]])
    return seats


def voronoi_regions(seeds: FloatArray, clip: shapely.Geometry) -> NDArray[np.object_]:
    """Voronoi cells of ``seeds`` clipped to ``clip``, in seed order (approximate, for sampling)."""
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=clip, ordered=True)
    return shapely.intersection(shapely.get_parts(cells), clip)


def exact_faces(seeds: FloatArray, outline: shapely.Geometry, segment: float) -> tuple[NDArray[np.object_], IntArray]:
    """Polygonise the Voronoi linework of ``seeds`` noded against ``outline``.

    Returns the faces inside the outline and, for each face, the index of its seed.
    """
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=outline)
    edges = shapely.boundary(shapely.get_parts(cells))
    linework = shapely.union_all(np.concatenate([edges, [shapely.boundary(outline)]]))
    linework = shapely.intersection(linework, outline)
    linework = shapely.segmentize(linework, segment)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(linework)))
    shapely.prepare(outline)
    inside = shapely.contains_properly(outline, shapely.point_on_surface(faces))
    faces = faces[inside]
    reps = shapely.get_coordinates(shapely.point_on_surface(faces))
    owner = cKDTree(seeds).query(reps)[1].astype(np.int64)
    return faces, owner


def smooth_warp(rng: np.random.Generator, scale: float, outline: shapely.Geometry) -> object:
    """A smooth displacement field with Lipschitz constant < 1 (so it is a homeomorphism).

    The displacement fades to zero within ``3 * scale`` of the outline, so the county keeps
    exactly the outline it was given (a real county's border must not move).
    """
    octaves = [(scale * 8, 0.2), (scale * 3, 0.18), (scale * 1.2, 0.12), (scale * 0.5, 0.08)]
    # Distance to the border from a KD-tree of densely sampled border points: 1-Lipschitz like
    # the true distance, and far faster for a million vertices.
    border = cKDTree(shapely.get_coordinates(shapely.segmentize(shapely.boundary(outline), scale / 20)))
    terms = []
    for wavelength, slope in octaves:
        amplitude = slope * wavelength / (2 * np.pi) / 2
        k = 2 * np.pi / wavelength
        angle = rng.uniform(0, 2 * np.pi, size=2)
        phase = rng.uniform(0, 2 * np.pi, size=2)
        terms.append((amplitude, k, angle, phase))

    def warp(xy: FloatArray) -> FloatArray:
        shift = np.zeros_like(xy)
        for amplitude, k, angle, phase in terms:
            for axis in (0, 1):
                along = xy[:, 0] * np.cos(angle[axis]) + xy[:, 1] * np.sin(angle[axis])
                shift[:, axis] += amplitude * np.sin(k * along + phase[axis])
        reach = 3 * scale
        t = np.clip(border.query(xy, distance_upper_bound=reach)[0] / reach, 0.0, 1.0)
        return xy + shift * (t * t * (3 - 2 * t))[:, None]

    return warp


def build_tiling(
    outline_m: shapely.Geometry,
    counts: TilingCounts,
    *,
    to_deg: Transformer,
    seed: int,
    segment_m: float = 30.0,
) -> Tiling:
    """Tile a metric outline into an exactly nested town/village/grid hierarchy in EPSG:4326."""
    rng = np.random.default_rng(seed)
    seats = spread_seats(rng, outline_m, counts.towns)
    town_area = shapely.area(voronoi_regions(seats, outline_m))
    typical = float(np.sqrt(outline_m.area / counts.grids))

    def urban_density(xy: FloatArray) -> FloatArray:
        d = cKDTree(seats).query(xy)[0]
        return np.asarray(0.25 + 0.75 * np.exp(-((d / (typical * 12)) ** 2)))

    villages_per_town = split_count(counts.villages, town_area, 1)
    town_regions = voronoi_regions(seats, outline_m)
    village_xy = np.vstack(
        [
            sample_in_polygon(rng, region, int(n), urban_density)
            for region, n in zip(town_regions, villages_per_town, strict=True)
        ]
    )
    village_town = np.repeat(np.arange(counts.towns), villages_per_town).astype(np.int64)
    village_regions = np.concatenate(
        [voronoi_regions(village_xy[village_town == t], town_regions[t]) for t in range(counts.towns)]
    )
    weight = shapely.area(village_regions) * urban_density(village_xy) ** 2
    grids_per_village = split_count(counts.grids, weight, 1)
    grid_xy = np.vstack(
        [sample_in_polygon(rng, region, int(n)) for region, n in zip(village_regions, grids_per_village, strict=True)]
    )
    grid_village = np.repeat(np.arange(counts.villages), grids_per_village).astype(np.int64)

    faces, owner = exact_faces(grid_xy, outline_m, segment_m)
    warp = smooth_warp(rng, typical, outline_m)

    def to_lonlat(xy: FloatArray) -> FloatArray:
        lon, lat = to_deg.transform(*warp(xy).T)  # type: ignore[operator]
        return np.round(np.column_stack([lon, lat]), 7)

    faces = shapely.transform(faces, to_lonlat)
    grids = _dissolve(faces, owner, counts.grids)
    villages = _dissolve(grids, grid_village, counts.villages)
    grid_village = _reattach_islands(grids, grid_village, villages)
    villages = _dissolve(grids, grid_village, counts.villages)
    towns = _dissolve(villages, village_town, counts.towns)
    county = shapely.coverage_union_all(towns)
    seat_points = shapely.points(to_lonlat(seats))
    urban = cKDTree(seats).query(village_xy)[0] < typical * 6
    return Tiling(
        grids=grids,
        grid_village=grid_village,
        villages=villages,
        village_town=village_town,
        towns=towns,
        town_seats=seat_points,
        village_urban=urban,
        county=_as_multi(county),
    )


def _as_multi(geom: shapely.Geometry) -> shapely.MultiPolygon:
    if isinstance(geom, shapely.MultiPolygon):
        return geom
    return shapely.MultiPolygon([geom])


def _reattach_islands(children: NDArray[np.object_], owner: IntArray, parents: NDArray[np.object_]) -> IntArray:
    """Give children cut off from their parent's main part to the neighbour they share most edge with."""
    owner = owner.copy()
    tree = shapely.STRtree(parents)
    for p, parent in enumerate(parents):
        parts = list(parent.geoms)
        if len(parts) < 2:
            continue
        main = max(parts, key=lambda g: g.area)
        for c in np.flatnonzero(owner == p):
            if shapely.intersection(children[c], main).area > 0:
                continue
            edge = shapely.boundary(children[c])
            best, best_len = p, 0.0
            for q in tree.query(children[c], predicate="touches"):
                shared = shapely.intersection(edge, shapely.boundary(parents[q])).length
                if q != p and shared > best_len:
                    best, best_len = int(q), shared
            owner[c] = best
    return owner


def _dissolve(parts: NDArray[np.object_], owner: IntArray, n: int) -> NDArray[np.object_]:
    """Coverage-union the parts of each owner (exact: shared edges are identical)."""
    order = np.argsort(owner, kind="stable")
    bounds = np.searchsorted(owner[order], np.arange(n + 1))
    out = np.empty(n, dtype=object)
    for i in range(n):
        members = parts[order[bounds[i] : bounds[i + 1]]]
        if len(members) == 0:
            raise ValueError(f"unit {i} received no area; try another seed")
        merged = members[0] if len(members) == 1 else shapely.coverage_union_all(members)
        out[i] = _as_multi(merged)
    return out
