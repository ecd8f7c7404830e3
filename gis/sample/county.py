"""Build the sample county: an exactly nested hierarchy with names and nesting codes.

Codes follow the statistical division code style: a 6-digit county code, 12-digit town
codes (county + 3-digit town, subdistricts 001-099, towns 100-199, + 000), 12-digit village
codes (town + 3-digit village, communities 001-199, villages 200-399) and 15-digit grid codes
(village + 3-digit grid, numbered west->east within rows running north->south).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.models import TIER_LAYERS as MODEL_TIER_LAYERS
from gis.sample.names import unique_place_names
from gis.sample.outline import read_outline_m, synthetic_outline_m
from gis.sample.tiling import Tiling, TilingCounts, build_tiling, local_transformers

TIER_LAYERS = {int(t): name for t, name in MODEL_TIER_LAYERS.items()}


@dataclass(frozen=True)
class CountySpec:
    """What to generate: the county's identity, unit counts and the random seed."""

    code: str = "449901"
    name: str = "云溪县"
    counts: TilingCounts = TilingCounts()
    seed: int = 20261122
    centre: tuple[float, float] = (114.62, 24.12)
    outline_path: Path | None = None
    area_km2: float = 2600.0  # synthetic outline only (a province-sized test area: ~72,000)


def build_county(spec: CountySpec) -> dict[str, gpd.GeoDataFrame]:
    """Generate the county; returns one GeoDataFrame (EPSG:4326) per tier, keyed like TIER_LAYERS."""
    if len(spec.code) != 6 or not spec.code.isdigit():
        raise ValueError(f"county code must be 6 digits, got {spec.code!r}")
    if spec.outline_path is not None:
        outline, lon0, lat0 = read_outline_m(spec.outline_path)
    else:
        outline = synthetic_outline_m(spec.seed, area_km2=spec.area_km2)
        lon0, lat0 = spec.centre
    _, to_deg = local_transformers(lon0, lat0)
    tiling = build_tiling(outline, spec.counts, to_deg=to_deg, seed=spec.seed)
    return _label(tiling, spec)


def _label(tiling: Tiling, spec: CountySpec) -> dict[str, gpd.GeoDataFrame]:
    rng = np.random.default_rng(spec.seed + 1)
    town_codes, town_names = _town_labels(rng, tiling, spec)
    village_codes, village_names = _village_labels(rng, tiling, town_codes)
    grid_codes, grid_names = _grid_labels(tiling, village_codes, village_names)
    grid_pop = _grid_population(rng, tiling)
    village_pop = np.bincount(tiling.grid_village, grid_pop, len(tiling.villages)).astype(int)
    town_pop = np.bincount(tiling.village_town, village_pop, len(tiling.towns)).astype(int)

    def frame(
        codes: list[str],
        names: list[str],
        tier: int,
        parents: list[str] | None,
        geoms: object,
        pop: object,
        **extra: object,
    ) -> gpd.GeoDataFrame:
        data = {
            "code": codes,
            "name": names,
            "tier": tier,
            "parent_code": parents if parents is not None else [None] * len(codes),
            "population": pop,
            **extra,
        }
        return gpd.GeoDataFrame(data, geometry=list(geoms), crs="EPSG:4326")  # type: ignore[call-overload]

    return {
        "county": frame([spec.code], [spec.name], 1, None, [tiling.county], [int(town_pop.sum())]),
        "towns": frame(town_codes, town_names, 2, [spec.code] * len(town_codes), tiling.towns, town_pop),
        "villages": frame(
            village_codes,
            village_names,
            3,
            [town_codes[t] for t in tiling.village_town],
            tiling.villages,
            village_pop,
            kind=["社区" if n.endswith("社区") else "村" for n in village_names],
        ),
        "grids": frame(
            grid_codes, grid_names, 4, [village_codes[v] for v in tiling.grid_village], tiling.grids, grid_pop
        ),
    }


def _town_labels(rng: np.random.Generator, tiling: Tiling, spec: CountySpec) -> tuple[list[str], list[str]]:
    centre = tiling.county.centroid
    seat_of_county = int(np.argmin(shapely.distance(tiling.town_seats, centre)))
    stems = unique_place_names(rng, len(tiling.towns))
    codes, names = [], []
    next_street, next_town = 1, 100
    for t, stem in enumerate(stems):
        if t == seat_of_county:
            codes.append(f"{spec.code}{next_street:03d}000")
            names.append(f"{stem}街道")
            next_street += 1
        else:
            codes.append(f"{spec.code}{next_town:03d}000")
            names.append(f"{stem}镇")
            next_town += 1
    return codes, names


def _village_labels(rng: np.random.Generator, tiling: Tiling, town_codes: list[str]) -> tuple[list[str], list[str]]:
    stems = unique_place_names(rng, len(tiling.villages))
    codes = [""] * len(tiling.villages)
    names = [""] * len(tiling.villages)
    for t, town_code in enumerate(town_codes):
        members = np.flatnonzero(tiling.village_town == t)
        members = members[_reading_order(tiling.villages[members])]
        community, village = 1, 200
        for v in members:
            if tiling.village_urban[v]:
                codes[v], names[v] = f"{town_code[:9]}{community:03d}", f"{stems[v]}社区"
                community += 1
            else:
                codes[v], names[v] = f"{town_code[:9]}{village:03d}", f"{stems[v]}村"
                village += 1
    return codes, names


def _grid_labels(tiling: Tiling, village_codes: list[str], village_names: list[str]) -> tuple[list[str], list[str]]:
    codes = [""] * len(tiling.grids)
    names = [""] * len(tiling.grids)
    for v, village_code in enumerate(village_codes):
        members = np.flatnonzero(tiling.grid_village == v)
        for number, g in enumerate(members[_reading_order(tiling.grids[members])], start=1):
            codes[g] = f"{village_code}{number:03d}"
            names[g] = f"{village_names[v]}第{number}网格"
    return codes, names


def _reading_order(geoms: np.ndarray) -> np.ndarray:
    """Order polygons west->east within rows, rows north->south (how grids are numbered)."""
    xy = shapely.get_coordinates(shapely.point_on_surface(geoms))
    row_height = max(float(np.ptp(xy[:, 1])) / max(np.sqrt(len(xy)), 1.0), 1e-9)
    rows = np.floor((xy[:, 1].max() - xy[:, 1]) / row_height)
    return np.lexsort((xy[:, 0], rows))


def _grid_population(rng: np.random.Generator, tiling: Tiling) -> np.ndarray:
    """Rural grids hold 40-150 households, urban ones 150-350 (about 2.9 people each)."""
    urban = tiling.village_urban[tiling.grid_village]
    households = np.where(urban, rng.integers(150, 350, len(urban)), rng.integers(40, 150, len(urban)))
    return np.round(households * 2.9).astype(int)


def write_county(layers: dict[str, gpd.GeoDataFrame], path: Path) -> None:
    """Write all tiers as layers of one GeoPackage (replacing the file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.gpkg")
    tmp.unlink(missing_ok=True)
    for layer, frame in layers.items():
        frame.to_file(tmp, layer=layer, driver="GPKG", engine="pyogrio")
    tmp.replace(path)


def all_tiers(layers: dict[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """One frame with every tier, parents before children."""
    return gpd.GeoDataFrame(
        pd.concat([layers[name] for name in TIER_LAYERS.values()], ignore_index=True), crs="EPSG:4326"
    )
