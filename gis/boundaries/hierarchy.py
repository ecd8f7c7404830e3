"""Hierarchy QA: parents inferred by containment, unknown parents, children outside their parent, gaps, orphans."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from gis.boundaries.report import Report
from gis.boundaries.validate import TOLERANCE_M2, area_m2, coverage_suspects, where
from gis.geodesy import m2_per_deg2


def _m2_per_deg2(geoms: NDArray[np.object_]) -> NDArray[np.float64]:
    return m2_per_deg2(shapely.get_y(shapely.point_on_surface(geoms)))


def check_nesting(children: gpd.GeoDataFrame, parents: gpd.GeoDataFrame, report: Report, *,
                  suspects: NDArray[np.bool_] | None = None) -> None:
    """Children sticking out of their parent, and gaps: parent area no child covers.

    A parent whose children all lie inside it, match their neighbours' edges and add up to its area
    has no gap; only the others get the exact (and slower) difference.
    """
    tier = int(children.tier.iloc[0]) if len(children) else None
    index = {code: k for k, code in enumerate(parents.code)}
    pgeoms = np.asarray(parents.geometry.values, dtype=object)
    cgeoms = np.asarray(children.geometry.values, dtype=object)
    which = np.array([index.get(code, -1) for code in children.parent_code], dtype=np.int64)
    known = which >= 0
    inside = check_outside(children, parents, report, which=which)
    suspects = coverage_suspects(children) if suspects is None else suspects
    n = len(pgeoms)
    child_area = np.bincount(which[known], weights=shapely.area(cgeoms[known]), minlength=n)
    doubtful = np.bincount(which[known], weights=(suspects | ~inside)[known].astype(float), minlength=n) > 0
    deficit_m2 = (shapely.area(pgeoms) - child_area) * _m2_per_deg2(pgeoms)
    has_children = np.bincount(which[known], minlength=n) > 0
    for p in np.flatnonzero(has_children & (doubtful | (deficit_m2 > TOLERANCE_M2))):
        covered = shapely.union_all(cgeoms[which == p])
        for gap in shapely.get_parts(shapely.difference(pgeoms[p], covered)):
            size = area_m2(gap)
            if shapely.get_type_id(gap) == 3 and size > TOLERANCE_M2:
                report.add("error", "gap", f"part of {parents.code.iloc[p]} is in no child area",
                           feature=str(parents.code.iloc[p]), tier=tier, area_m2=round(size, 2), location=where(gap))


def check_outside(children: gpd.GeoDataFrame, parents: gpd.GeoDataFrame, report: Report, *,
                  which: NDArray[np.int64] | None = None, where_parent: str = "") -> NDArray[np.bool_]:
    """Children sticking out of the parent their code names (``which``: the parent's row, -1 for none).

    Returns True per child inside (or without a known parent). ``where_parent`` says where the parents came
    from when not from the file.
    """
    tier = int(children.tier.iloc[0]) if len(children) else None
    if which is None:
        index = {code: k for k, code in enumerate(parents.code)}
        which = np.array([index.get(code, -1) for code in children.parent_code], dtype=np.int64)
    known = which >= 0
    pgeoms = np.asarray(parents.geometry.values, dtype=object)
    cgeoms = np.asarray(children.geometry.values, dtype=object)
    shapely.prepare(pgeoms)
    inside = np.ones(len(cgeoms), dtype=bool)
    inside[known] = shapely.covers(pgeoms[which[known]], cgeoms[known])
    for k in np.flatnonzero(~inside):
        outside = shapely.difference(cgeoms[k], pgeoms[which[k]])
        size, share = area_m2(outside), area_m2(outside) / max(area_m2(cgeoms[k]), 1e-9)
        if size > TOLERANCE_M2:
            report.add("error" if share > 0.01 else "warning", "child_outside_parent",
                       f"{share:.1%} 的面积落在上级区划 {parents.code.iloc[which[k]]}"
                       f"{_named(parents, which[k])}{where_parent}以外",
                       feature=str(children.code.iloc[k]), tier=tier, area_m2=round(size, 2), location=where(outside))
    return inside


def _named(frame: gpd.GeoDataFrame, row: int) -> str:
    name = str(frame.name.iloc[row]) if "name" in frame.columns and frame.name.iloc[row] else ""
    return f"（{name}）" if name else ""


def check_sibling_extent(children: gpd.GeoDataFrame, report: Report) -> None:
    """Children of one parent code lying wholly outside the extent of their code siblings.

    For a layer whose parents are neither in the file nor in the active generation: the siblings' convex
    hull stands in for the parent (a tiling's member always touches the hull of its siblings).
    """
    tier = int(children.tier.iloc[0]) if len(children) else None
    family = children.parent_code.where(children.parent_code != "", children.code.str[:-3])
    for parent, group in children.groupby(family):
        if len(group) < 3:
            continue
        geoms = np.asarray(group.geometry.values, dtype=object)
        for k in range(len(geoms)):
            others = shapely.convex_hull(shapely.union_all(np.delete(geoms, k)))
            if not shapely.intersects(others, geoms[k]):
                report.add("error", "child_outside_siblings",
                           f"与同属上级 {parent} 的其他 {len(geoms) - 1} 个区划不相接，落在它们的范围以外",
                           feature=str(group.code.iloc[k]), tier=tier, location=where(geoms[k]))


def check_childless(children: gpd.GeoDataFrame, parents: gpd.GeoDataFrame, report: Report) -> None:
    """Parents left with no child: a load of part of a tier replaces the whole tier in the new generation."""
    empty = sorted(set(parents.code) - set(children.parent_code))
    if empty and len(children):
        report.add("warning", "childless_parent", f"{len(empty):,} of {len(parents):,} areas of tier "
                   f"{int(parents.tier.iloc[0])} have no child in this load, so none in the new generation "
                   f"(first: {', '.join(empty[:5])}); load the whole tier to keep them",
                   tier=int(children.tier.iloc[0]))


def infer_parents(children: gpd.GeoDataFrame, parents: gpd.GeoDataFrame, report: Report) -> NDArray[np.object_]:
    """Parent codes by containment: the parent holding >= 99 % of the child's area.

    A parent that covers the child outright settles it; only the rest pay for intersection areas.
    """
    out = children.parent_code.to_numpy(dtype=object).copy()
    todo = np.flatnonzero(out == "")
    cgeoms = np.asarray(children.geometry.values, dtype=object)[todo]
    pgeoms = np.asarray(parents.geometry.values, dtype=object)
    pcodes = parents.code.to_numpy(dtype=object)
    shapely.prepare(pgeoms)
    child, parent = shapely.STRtree(pgeoms).query(cgeoms, predicate="intersects")
    covered = shapely.covers(pgeoms[parent], cgeoms[child])
    share = covered.astype(float)
    partial = ~covered & ~(np.bincount(child[covered], minlength=len(cgeoms)) > 0)[child]
    share[partial] = shapely.area(shapely.intersection(cgeoms[child[partial]], pgeoms[parent[partial]])) / np.maximum(
        shapely.area(cgeoms[child[partial]]), 1e-18)
    best_share = np.zeros(len(cgeoms))
    best_parent = np.full(len(cgeoms), -1)
    for c, p, s in zip(child, parent, share, strict=True):
        if s > best_share[c]:
            best_share[c], best_parent[c] = s, p
    tier = int(children.tier.iloc[0]) if len(children) else None
    for k, row in enumerate(todo):
        if best_share[k] >= 0.99:
            out[row] = pcodes[best_parent[k]]
            continue
        best = pcodes[best_parent[k]] if best_parent[k] >= 0 else None
        report.add("error", "missing_parent", f"no parent holds 99 % of it (best {best_share[k]:.1%} in {best})",
                   feature=str(children.code.iloc[row]), tier=tier, location=where(cgeoms[k]))
    return out


def check_parent_codes(children: gpd.GeoDataFrame, parents: gpd.GeoDataFrame, report: Report) -> None:
    """Parent codes that name no area of the tier above."""
    known = set(parents.code)
    for code, parent_code, geom in zip(children.code, children.parent_code, children.geometry, strict=True):
        if parent_code and parent_code not in known:
            report.add("error", "unknown_parent", f"parent {parent_code} does not exist", feature=code,
                       tier=int(children.tier.iloc[0]), location=where(geom))
