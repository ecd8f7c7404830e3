"""Loading boundaries: read, convert, validate (a dry run by default), then commit as a new inactive generation."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.boundaries import coverage, hierarchy, preview, sanity
from gis.boundaries import validate as qa
from gis.boundaries.coords import to_wgs84_frame
from gis.boundaries.formats import read_layers
from gis.boundaries.normalize import ensure_finite, layer_tier, normalize
from gis.boundaries.report import Report
from gis.crs import parse_crs
from gis.errors import InvalidInput, NotFound, TooLarge
from gis.models import Generation
from gis.progress import Progress, silent
from gis.storage import areas as area_store
from gis.storage import boundaries as store
from gis.storage.pool import Conn


@dataclass(frozen=True)
class LoadOptions:
    """What GIS staff tell the loader about a file."""

    tier: str | None = None
    layer: str | None = None  # one layer of a GeoPackage (or one file of a folder or zip, by name)
    crs: str | None = None
    encoding: str | None = None
    code_field: str | None = None
    name_field: str | None = None
    parent_field: str | None = None
    generation: str | None = None
    repair: bool = False
    standalone: bool = False  # True: the file is the whole generation (no tiers kept from the active one)
    max_bytes: int = 500 * 2**20
    max_vertices: int = 1_000_000


@dataclass
class Prepared:
    """The validated areas of a load (every tier of the new generation) and the report."""

    areas: gpd.GeoDataFrame
    report: Report
    loaded_tiers: set[int]


def prepare(conn: Conn, path: Path, options: LoadOptions, *, progress: Progress = silent) -> Prepared:
    """Read and validate a file against the active generation; nothing is written.

    ``progress`` hears ``(stage, done, total)`` as layers are read, geometries checked and tiers compared.
    """
    _check_size(path, options.max_bytes)
    progress("reading", 0, 1)
    report = Report(source=path.name)
    home = _active_outline(conn)
    with tempfile.TemporaryDirectory(prefix="fengqiao-load-") as workdir:
        layers = read_layers(path, workdir=Path(workdir), encoding=options.encoding, layer=options.layer)
        if options.layer:
            found = [layer for layer in layers if layer.name == options.layer]
            if not found:
                raise InvalidInput(f"{path.name}: no layer {options.layer!r} (layers: "
                                   f"{sorted({layer.name for layer in layers}) or 'none'})", reason="unknown_layer")
            layers = found
        frames = []
        progress("reading", 0, len(layers))
        for number, layer in enumerate(layers, start=1):
            tier = layer_tier(layer, options.tier, len(layers))
            if not len(layer.frame):
                raise InvalidInput(f"{layer.source}: layer {layer.name!r} has no features", reason="empty_layer")
            ensure_finite(layer)
            raw = layer.frame
            sanity.check_declared_gcj02(raw, report, crs=options.crs, source=layer.source, layer=layer.name)
            wgs, how = to_wgs84_frame(layer.frame, crs=options.crs, source=layer.source)
            layer.frame = wgs
            report.notes += [f"{layer.source} [{layer.name}] -> tier {tier}: {how}", *layer.notes]
            frames.append(normalize(layer, tier=tier, report=report, code_field=options.code_field,
                                    name_field=options.name_field, parent_field=options.parent_field,
                                    max_vertices=options.max_vertices))
            sanity.check_province(frames[-1], report, raw=raw, crs_epsg=_epsg(options.crs, raw), home=home)
            progress("reading", number, len(layers))
    loaded = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")
    preview.check_names(loaded, report)
    qa.check_extent(loaded, report, path.name)
    if report.ok:
        _check_against_active(conn, loaded, report, crs_given=options.crs is not None)
    if not report.ok:  # swapped or far-away coordinates: topology checks would only add noise
        report.counts = {int(t): int(n) for t, n in loaded.groupby("tier").size().items()}
        preview.add_previews(loaded, {int(t) for t in loaded.tier}, report)
        return Prepared(loaded, report, {int(t) for t in loaded.tier})
    loaded = qa.check_geometries(loaded, report, repair=options.repair, progress=progress)
    qa.check_codes(loaded, report)
    tiers = {int(t) for t in loaded.tier}
    combined = loaded if options.standalone else _with_context(conn, loaded, tiers, report)
    qa.check_codes_across_tiers(combined, report)
    reference = _reference_tiers(conn, combined, tiers)
    _check_hierarchy(combined, tiers, report, crs_given=options.crs is not None, reference=reference,
                     progress=progress)
    report.counts = {int(t): int(n) for t, n in combined.groupby("tier").size().items()}
    preview.add_previews(combined, tiers, report)
    return Prepared(combined, report, tiers)


def _epsg(crs: str | None, raw: gpd.GeoDataFrame) -> int | None:
    """The EPSG code the raw coordinates were read in (given, or the file's own), None for GCJ-02 and the like."""
    if crs:
        kind = parse_crs(crs)
        return int(kind[5:]) if kind.startswith("EPSG:") else None
    return raw.crs.to_epsg() if raw.crs is not None else None


def _active_outline(conn: Conn) -> shapely.Geometry | None:
    try:
        active = area_store.get_generation(conn)
    except NotFound:
        return None
    county = store.tier_frame(conn, generation_id=active.id, tier=1)
    return shapely.union_all(np.asarray(county.geometry.values, dtype=object)) if len(county) else None


def _check_against_active(conn: Conn, loaded: gpd.GeoDataFrame, report: Report, *, crs_given: bool) -> None:
    """The same codes in the active generation, shifted alike (GCJ-02), or the county outline only after a shift."""
    try:
        active = area_store.get_generation(conn)
    except NotFound:
        return
    for tier in sorted({int(t) for t in loaded.tier}):
        same = store.tier_frame(conn, generation_id=active.id, tier=tier)
        if sanity.check_matched_shift(loaded[loaded.tier == tier], same, report, crs_given=crs_given):
            return
    county = store.tier_frame(conn, generation_id=active.id, tier=1)
    sanity.check_active_county_shift(loaded, county, report, crs_given=crs_given)


def _check_size(path: Path, max_bytes: int) -> None:
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else (
        path.stat().st_size if path.exists() else 0)
    if size > max_bytes:
        raise TooLarge(f"{path.name}: {size / 2**20:.0f} MB is over the {max_bytes / 2**20:.0f} MB limit",
                       reason="too_large")


def _with_context(conn: Conn, loaded: gpd.GeoDataFrame, tiers: set[int], report: Report) -> gpd.GeoDataFrame:
    """Tiers the file does not hold come from the active generation, as mapit copies unchanged areas.

    A partial tier (one town's grids) carries the rest of the county forward: areas of the active generation
    under parents the file does not touch stay as they are.
    """
    try:
        active = area_store.get_generation(conn)
    except NotFound:
        return loaded
    old = {t: store.tier_frame(conn, generation_id=active.id, tier=t) for t in (1, 2, 3, 4)}
    context = [old[t] for t in (1, 2, 3, 4) if t not in tiers and len(old[t])]
    if coverage.outside_generation(loaded, context, report, generation=active.name):
        return loaded
    if context:
        kept = "、".join(f"第 {int(c.tier.iloc[0])} 级" for c in context)
        report.notes.append(f"文件中没有的{kept}区划沿用启用版本 {active.name!r}")
    carried = _carried_forward(loaded, old, context, tiers, report, generation=active.name)
    return gpd.GeoDataFrame(pd.concat([loaded, *context, *carried], ignore_index=True), crs="EPSG:4326")


def _carried_forward(loaded: gpd.GeoDataFrame, old: dict[int, gpd.GeoDataFrame], context: list[gpd.GeoDataFrame],
                     tiers: set[int], report: Report, *, generation: str) -> list[gpd.GeoDataFrame]:
    """Areas of each loaded tier under parents the file does not touch (their parents kept in the new generation)."""
    present = set(loaded.code).union(*(set(c.code) for c in context))
    carried = []
    for tier in sorted(t for t in tiers if t > 1 and len(old[t])):
        mine = loaded[loaded.tier == tier]
        touched = set(mine.parent_code) - {""}
        unknown = mine[mine.parent_code == ""]
        if len(unknown):  # parents by where the areas lie
            parents = loaded[loaded.tier == tier - 1] if tier - 1 in tiers else old[tier - 1]
            if len(parents):
                points = shapely.point_on_surface(np.asarray(unknown.geometry.values, dtype=object))
                _, hit = shapely.STRtree(np.asarray(parents.geometry.values, dtype=object)).query(
                    points, predicate="within")
                touched |= set(parents.code.iloc[np.unique(hit)])
        if not touched & set(old[tier - 1].code):  # not a part of the active county: nothing to carry forward
            continue
        previous = old[tier]
        keep = previous[~previous.parent_code.isin(touched) & ~previous.code.isin(set(mine.code))
                        & previous.parent_code.isin(present)]
        if len(keep):
            carried.append(keep)
            present |= set(keep.code)
            report.notes.append(f"沿用启用版本 {generation!r} 中本文件未涉及的 {len(keep):,} 个第 {tier} 级区划"
                                f"（本文件只更新了 {len(touched):,} 个上级区划之下的区划）")
    return carried


def _check_hierarchy(areas: gpd.GeoDataFrame, loaded: set[int], report: Report, *, crs_given: bool,
                     reference: dict[int, gpd.GeoDataFrame], progress: Progress = silent) -> None:
    all_tiers = sorted({int(t) for t in areas.tier})
    for step, tier in enumerate(all_tiers):
        progress("checking tiers", step, len(all_tiers))
        children = areas[areas.tier == tier]
        suspects = qa.coverage_suspects(children) if tier in loaded or tier - 1 in loaded else None
        if tier in loaded:
            qa.check_siblings(children, report, suspects=suspects)
            coverage.check_far_features(children, report)
        if tier == 1:
            continue
        parents = areas[areas.tier == tier - 1]
        if not len(parents):
            report.add("error", "missing_parent_tier", f"tier {tier} needs tier {tier - 1} (in the file or the "
                       "active generation)", tier=tier)
            if tier in loaded:  # no parent to measure gaps against: look for holes in the layer's own coverage
                coverage.check_own_gaps(children, report, suspects=suspects)
                _check_against_reference(children, reference.get(tier - 1), report)
            continue
        if tier not in loaded and tier - 1 not in loaded:
            continue
        if tier in loaded and (children.parent_code == "").any():
            areas.loc[children.index, "parent_code"] = hierarchy.infer_parents(children, parents, report)
            children = areas[areas.tier == tier]
        if tier in loaded:
            qa.check_gcj02_shift(children, parents, report, crs_given=crs_given)
        hierarchy.check_parent_codes(children, parents, report)
        hierarchy.check_nesting(children, parents, report, suspects=suspects)
        if tier in loaded:
            hierarchy.check_childless(children, parents, report)
    progress("checking tiers", len(all_tiers), len(all_tiers))


def _reference_tiers(conn: Conn, combined: gpd.GeoDataFrame, tiers: set[int]) -> dict[int, gpd.GeoDataFrame]:
    """Parent tiers the load lacks, read from the active generation to check children against (not kept)."""
    present = {int(t) for t in combined.tier}
    wanted = {t - 1 for t in tiers if t > 1 and t - 1 not in present}
    if not wanted:
        return {}
    try:
        active = area_store.get_generation(conn)
    except NotFound:
        return {}
    return {t: store.tier_frame(conn, generation_id=active.id, tier=t) for t in sorted(wanted)}


def _check_against_reference(children: gpd.GeoDataFrame, parents: gpd.GeoDataFrame | None, report: Report) -> None:
    """A layer without its parent tier: each child against its parent in the active generation.

    Children whose parent the active generation lacks are checked against their code siblings' extent.
    """
    known = children.parent_code.isin(set(parents.code)) if parents is not None and len(parents) else None
    if known is not None and known.any():
        hierarchy.check_outside(children[known], parents, report, where_parent="（启用版本）")
        children = children[~known]
    if len(children):
        hierarchy.check_sibling_extent(children, report)


def commit(conn: Conn, prepared: Prepared, *, name: str | None = None, source: str = "",
           progress: Progress = silent) -> Generation:
    """Store a clean load as a new, inactive generation, all or nothing."""
    if not prepared.report.ok:
        raise InvalidInput(f"{len(prepared.report.errors)} error(s) in the validation report; nothing committed",
                           reason="validation_failed", summary=prepared.report.summary())
    name = name or f"load-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    rows = (area_store.AreaRow(code=r.code, name=r.name, tier=int(r.tier), parent_code=r.parent_code or None,
                               geometry=r.geometry, population=_population(r), attrs=r.attrs or {})
            for r in prepared.areas.sort_values("tier").itertuples(index=False))
    with conn.transaction():
        generation = area_store.create_generation(conn, name=name, source=source,
                                                  description=f"tiers {sorted(prepared.loaded_tiers)} from {source}")
        total = len(prepared.areas) + 1  # the last step: parents, pieces and indexes in SQL
        area_store.insert_areas(conn, generation_id=generation.id, rows=_counted(rows, total, progress))
        store.save_report(conn, generation_id=generation.id, report=prepared.report.as_dict())
        progress("storing", total, total)
    return generation


def _counted(rows: Iterator[area_store.AreaRow], total: int, progress: Progress) -> Iterator[area_store.AreaRow]:
    for number, row in enumerate(rows):
        if number % 2000 == 0:
            progress("storing", number, total)
        yield row


def _population(row: object) -> int | None:
    value = getattr(row, "population", None)
    if value is None or (isinstance(value, float) and value != value):
        attrs = getattr(row, "attrs", None) or {}
        value = attrs.get("population") if isinstance(attrs, dict) else None
    try:
        return int(value) if value is not None and value == value else None
    except (TypeError, ValueError):
        return None
