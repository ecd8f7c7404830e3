"""Geometry and topology QA of a boundary load (in Python: PostGIS 3.3 has no coverage functions)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from gis.boundaries.report import Report
from gis.crs import bd09_to_wgs84, gcj02_to_wgs84
from gis.geodesy import CHINA_LAT, CHINA_LON, geodesic_area_m2
from gis.progress import Progress, silent

TOLERANCE_M2 = 1.0  # overlaps/gaps below this are float noise, reported as warnings
SLIVER_M2 = 50.0
SHIFTS = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}  # map-app obfuscations a file may still carry
SLIVER_THINNESS = 0.02  # 4*pi*A/P^2: 1 for a circle, near 0 for a needle


def area_m2(geom: shapely.Geometry) -> float:
    """Area in square metres on the ellipsoid (findings report it)."""
    return geodesic_area_m2(geom)


def where(geom: shapely.Geometry) -> tuple[float, float] | None:
    """A point on a geometry, for the report."""
    if geom is None or geom.is_empty:
        return None
    point = shapely.point_on_surface(geom)
    return (round(point.x, 7), round(point.y, 7))


def check_geometries(areas: gpd.GeoDataFrame, report: Report, *, repair: bool,
                     progress: Progress = silent) -> gpd.GeoDataFrame:
    """Empty, non-polygonal and invalid geometries; returns the usable rows (repaired when asked)."""
    keep = np.ones(len(areas), dtype=bool)
    geoms = np.asarray(areas.geometry.values, dtype=object)
    for i, (geom, code, tier) in enumerate(zip(geoms, areas.code, areas.tier, strict=True)):
        if i % 5000 == 0:
            progress("checking geometries", i, len(geoms))
        if geom is None or shapely.is_empty(geom):
            report.add("error", "empty_geometry", "no geometry", feature=code, tier=tier)
            keep[i] = False
            continue
        if shapely.get_type_id(geom) not in (3, 6):
            report.add("error", "not_a_polygon", f"{geom.geom_type} is not an area", feature=code, tier=tier)
            keep[i] = False
            continue
        if not shapely.is_valid(geom):
            reason = shapely.is_valid_reason(geom)
            fixed = _polygonal(shapely.make_valid(geom, method="structure", keep_collapsed=False))
            text = f"make_valid(method='structure'): {area_m2(geom):,.1f} -> {area_m2(fixed):,.1f} m2"
            report.add("warning" if repair else "error", "invalid_geometry", reason, feature=code, tier=tier,
                       location=where(fixed), repair=text + ("" if repair else " (pass --repair to apply)"))
            geoms[i] = fixed
    progress("checking geometries", len(geoms), len(geoms))
    out = areas.copy()
    out["geometry"] = [shapely.MultiPolygon([g]) if shapely.get_type_id(g) == 3 else g for g in geoms]
    if not repair:
        invalid = {f.feature for f in report.findings if f.code == "invalid_geometry"}
        keep &= ~out.code.isin(invalid).to_numpy()
    return out[keep]


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (3, 6)]
    return shapely.MultiPolygon(list(shapely.get_parts(shapely.union_all(parts)))) if parts else shapely.Polygon()


def check_extent(areas: gpd.GeoDataFrame, report: Report, source: str) -> None:
    """Coordinates outside China, or latitude and longitude swapped."""
    if not len(areas):
        return
    minx, miny, maxx, maxy = areas.total_bounds
    if CHINA_LAT[0] <= minx <= maxx <= CHINA_LAT[1] and CHINA_LON[0] <= miny <= maxy <= CHINA_LON[1]:
        report.add("error", "lat_lon_swapped", f"x runs {minx:.3f}..{maxx:.3f} and y {miny:.3f}..{maxy:.3f}: "
                   "latitude and longitude look swapped", feature=source)
        return
    inside = ((areas.bounds.minx >= CHINA_LON[0]) & (areas.bounds.maxx <= CHINA_LON[1])
              & (areas.bounds.miny >= CHINA_LAT[0]) & (areas.bounds.maxy <= CHINA_LAT[1]))
    for code, geom in zip(areas.code[~inside], areas.geometry[~inside], strict=True):
        minx, miny, maxx, maxy = geom.bounds if geom is not None and not geom.is_empty else (0.0, 0.0, 0.0, 0.0)
        if CHINA_LAT[0] <= minx <= maxx <= CHINA_LAT[1] and CHINA_LON[0] <= miny <= maxy <= CHINA_LON[1]:
            back = where(shapely.transform(geom, lambda xy: xy[:, ::-1]))
            report.add("error", "lat_lon_swapped", f"this feature's latitude and longitude look swapped (x runs "
                       f"{minx:.3f}..{maxx:.3f}, y {miny:.3f}..{maxy:.3f}); swapped back it lies at {back}",
                       feature=code, location=back)
        else:
            report.add("error", "outside_china", f"coordinates outside China (x {minx:.3f}..{maxx:.3f}, "
                       f"y {miny:.3f}..{maxy:.3f})", feature=code, location=where(geom))


def check_codes(areas: gpd.GeoDataFrame, report: Report) -> None:
    """Missing and duplicate codes within a tier."""
    for tier, group in areas.groupby("tier"):
        nameless = group[group.code == ""]
        for name, geom in zip(nameless.name, nameless.geometry, strict=True):
            label = f" (name {name!r})" if name else ""
            report.add("error", "missing_code", f"a feature has no code{label}", feature=name or "", tier=int(tier),
                       location=where(geom))
        dupes = group.code[(group.code != "") & group.code.duplicated(keep=False)]
        for code in sorted(set(dupes)):
            report.add("error", "duplicate_code", f"code used by {int((dupes == code).sum())} features",
                       feature=code, tier=int(tier))


def check_codes_across_tiers(areas: gpd.GeoDataFrame, report: Report) -> None:
    """Codes used in two tiers (a generation holds each code once), kept tiers of the active one included."""
    pairs = areas.loc[areas.code != "", ["code", "tier"]].drop_duplicates()
    shared = pairs[pairs.code.duplicated(keep=False)]
    for code, group in shared.groupby("code"):
        report.add("error", "duplicate_code", f"code used in tiers {sorted(int(t) for t in group.tier)}",
                   feature=str(code))


def coverage_suspects(children: gpd.GeoDataFrame) -> NDArray[np.bool_]:
    """True for areas with an edge that does not match its neighbours' (GEOS coverage validation).

    A clean tiling has none; overlaps, including an area inside another, always produce some, so only
    these areas need the slower pairwise tests.
    """
    geoms = np.asarray(children.geometry.values, dtype=object)
    if not len(geoms):
        return np.zeros(0, dtype=bool)
    return np.asarray(~shapely.is_empty(shapely.coverage_invalid_edges(geoms)))


def check_siblings(children: gpd.GeoDataFrame, report: Report, *,
                   suspects: NDArray[np.bool_] | None = None) -> None:
    """Overlaps between areas of the same tier (one inside another included), and slivers."""
    geoms = np.asarray(children.geometry.values, dtype=object)
    codes = children.code.to_numpy()
    tier = int(children.tier.iloc[0]) if len(children) else None
    suspects = coverage_suspects(children) if suspects is None else suspects
    candidates = np.flatnonzero(suspects)
    left, right = shapely.STRtree(geoms).query(geoms[candidates], predicate="intersects")
    left = candidates[left]
    pairs = np.unique(np.sort(np.column_stack([left, right])[left != right], axis=1), axis=0)
    left, right = pairs[:, 0], pairs[:, 1]  # each pair once, even when only one side is a suspect
    inner = shapely.relate_pattern(geoms[left], geoms[right], "T********")  # interiors meet
    for i, j in zip(left[inner], right[inner], strict=True):
        overlap = shapely.intersection(geoms[i], geoms[j])
        size = area_m2(overlap)
        severity = "error" if size > TOLERANCE_M2 else "warning"
        report.add(severity, "sibling_overlap", f"overlaps {codes[j]}", feature=str(codes[i]), tier=tier,
                   area_m2=round(size, 2), location=where(overlap))
    areas_m2 = np.array([area_m2(g) for g in geoms])
    thinness = 4 * np.pi * shapely.area(geoms) / np.maximum(shapely.length(geoms), 1e-12) ** 2
    for k in np.flatnonzero((areas_m2 < SLIVER_M2) | (thinness < SLIVER_THINNESS)):
        report.add("warning", "sliver", f"very small or thin area (thinness {thinness[k]:.3f})",
                   feature=str(codes[k]), tier=tier, area_m2=round(float(areas_m2[k]), 2), location=where(geoms[k]))


def check_gcj02_shift(children: gpd.GeoDataFrame, parents: gpd.GeoDataFrame, report: Report, *,
                      crs_given: bool) -> None:
    """A layer in GCJ-02 (or BD-09) sits 0.1-1.4 km off its WGS84 parents; undoing the shift makes it fit."""
    if len(children) < 3 or not len(parents):
        return
    outline = shapely.union_all(np.asarray(parents.geometry.values, dtype=object))
    shapely.prepare(outline)
    points = shapely.get_coordinates(shapely.point_on_surface(np.asarray(children.geometry.values, dtype=object)))
    vertices = shapely.get_coordinates(np.asarray(children.geometry.values, dtype=object))[::7]
    sample = np.vstack([points, vertices])

    def misfit(xy: NDArray[np.float64]) -> float:
        return float(1 - shapely.intersects_xy(outline, xy[:, 0], xy[:, 1]).mean())

    if misfit(sample) <= 0.002:
        return
    outline = shapely.buffer(outline, 1e-6)  # ~0.1 m: a corrected vertex lands a hair off its shared edge
    shapely.prepare(outline)
    before = misfit(sample)
    fixed = {kind: misfit(np.column_stack(undo(sample[:, 0], sample[:, 1]))) for kind, undo in SHIFTS.items()}
    kind = min(fixed, key=lambda k: fixed[k])
    if fixed[kind] < before / 4:
        label = {"gcj02": "GCJ-02", "bd09": "BD-09"}[kind]
        report.add("warning" if crs_given else "error", f"suspected_{kind}",
                   f"{before:.1%} of the layer falls outside its parent tier, {fixed[kind]:.1%} after a {label} -> "
                   f"WGS84 correction: the file is probably in {label} (load it with --crs {kind})",
                   tier=int(children.tier.iloc[0]))
