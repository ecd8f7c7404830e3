"""A layer's own coverage, without a parent tier.

Holes its areas enclose, areas far from the rest, and a layer that lies outside the active generation
altogether (another county, or a wrong CRS).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Geod

from gis.boundaries.report import Report
from gis.boundaries.validate import TOLERANCE_M2, area_m2, where

FAR_KM = 10.0  # an area this far from every sibling is flagged (tiers tile: neighbours touch)
OUTSIDE_SHARE = 0.5  # a layer with more of its areas outside the active generation than this is not of it
GEOD = Geod(ellps="WGS84")


def _km(a: shapely.Geometry, b: shapely.Geometry) -> float:
    """Geodesic length of the shortest line between two geometries, in km."""
    line = shapely.shortest_line(a, b)
    (x0, y0), (x1, y1) = shapely.get_coordinates(line)
    return float(GEOD.inv(x0, y0, x1, y1)[2] / 1000.0)


def check_own_gaps(children: gpd.GeoDataFrame, report: Report, *,
                   suspects: NDArray[np.bool_] | None = None) -> None:
    """Holes in a layer's coverage: areas enclosed by the layer's own areas that none of them covers.

    Used when the tier above is missing (a standalone layer), where the parent-based gap check cannot run.
    """
    geoms = np.asarray(children.geometry.values, dtype=object)
    if not len(geoms):
        return
    tier = int(children.tier.iloc[0])
    clean = suspects is not None and not suspects.any()
    union = shapely.coverage_union_all(geoms) if clean else shapely.union_all(geoms)
    tree = shapely.STRtree(geoms)
    codes = children.code.to_numpy()
    for part in shapely.get_parts(union):
        for ring in shapely.get_interior_ring(part, range(shapely.get_num_interior_rings(part))):
            hole = shapely.Polygon(ring)
            size = area_m2(hole)
            if size <= TOLERANCE_M2:
                continue
            around = sorted(str(codes[k]) for k in tree.query(ring, predicate="intersects"))
            report.add("error", "gap", f"an area enclosed by {', '.join(around[:4])}"
                       f"{' ...' if len(around) > 4 else ''} is in no tier {tier} area", feature=around[0] if around
                       else "", tier=tier, area_m2=round(size, 2), location=where(hole))


def check_far_features(children: gpd.GeoDataFrame, report: Report, *, far_km: float = FAR_KM) -> None:
    """Areas tens of kilometres from every other area of their tier (a typo in coordinates, another county)."""
    geoms = np.asarray(children.geometry.values, dtype=object)
    if len(geoms) < 3:
        return
    tier = int(children.tier.iloc[0])
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")  # in a tiling nearly every area touches one
    touching = np.zeros(len(geoms), dtype=bool)
    touching[left[left != right]] = True
    lonely = np.flatnonzero(~touching)
    if not len(lonely):
        return
    (near_from, near_to), degrees = tree.query_nearest(geoms[lonely], exclusive=True, return_distance=True,
                                                       all_matches=False)
    near_from = lonely[near_from]
    lat = math.radians(float(np.nanmean(shapely.get_y(shapely.centroid(geoms)))))
    rough_km = degrees * 111.32 * math.cos(lat)  # a lower bound: only candidates get the geodesic distance
    codes = children.code.to_numpy()
    for i, j, guess in zip(near_from, near_to, rough_km, strict=True):
        if guess <= far_km:
            continue
        km = _km(geoms[i], geoms[j])
        if km > far_km:
            report.add("warning", "far_from_siblings", f"{km:.1f} km from the nearest other tier {tier} area "
                       f"({codes[j]}): a typo in its coordinates, or an area of another county?",
                       feature=str(codes[i]), tier=tier, location=where(geoms[i]))


def outside_generation(loaded: gpd.GeoDataFrame, context: list[gpd.GeoDataFrame], report: Report, *,
                       generation: str) -> bool:
    """Say once when the loaded layers lie outside the active generation; True when they do.

    The caller then validates the layers on their own: checked against a generation they are not part of,
    every area would be an error of its own (thousands of ``missing_parent``), and the one real problem hidden.
    """
    if not context or not len(loaded):
        return False
    outer = min(context, key=lambda frame: int(frame.tier.iloc[0]))
    outline = shapely.union_all(np.asarray(outer.geometry.values, dtype=object))
    shapely.prepare(outline)
    points = shapely.point_on_surface(np.asarray(loaded.geometry.values, dtype=object))
    outside = float(1 - shapely.intersects(outline, points).mean())
    if outside <= OUTSIDE_SHARE:
        return False
    hull = shapely.convex_hull(shapely.multipoints(shapely.get_coordinates(
        np.asarray(loaded.geometry.values, dtype=object))))
    km = _km(hull, outline)
    where_text = f"lies {km:,.1f} km from" if km >= 0.05 else "only touches or overlaps the edge of"
    report.add("error", "outside_active_generation",
               f"{outside:.0%} of the loaded areas lie outside the active generation {generation!r}; the layer "
               f"{where_text} its extent. A new or another county: load it with --standalone. Meant to be "
               "here: check its coordinate system (--crs)", location=where(hull))
    return True
