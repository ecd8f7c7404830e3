"""The sample county: counts, exact tiling and nesting at every tier, codes that nest."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gis.sample.county import CountySpec, build_county
from gis.sample.tiling import TilingCounts


@pytest.fixture(scope="module")
def layers(sample_gpkg: Path) -> dict[str, gpd.GeoDataFrame]:
    return {name: gpd.read_file(sample_gpkg, layer=name) for name in ("county", "towns", "villages", "grids")}


def test_counts(layers: dict[str, gpd.GeoDataFrame]) -> None:
    assert [len(layers[n]) for n in ("county", "towns", "villages", "grids")] == [1, 17, 1026, 8535]
    assert layers["county"].code[0] == "449901"
    assert layers["county"].name[0] == "云溪县"


def assert_exact_partition(children: gpd.GeoDataFrame, parents: gpd.GeoDataFrame) -> None:
    """Children tile each parent exactly: valid coverage, and per parent the union is the parent."""
    assert shapely.is_valid(children.geometry.values).all()
    assert shapely.coverage_is_valid(children.geometry.values)
    by_parent = children.groupby("parent_code")
    assert set(by_parent.groups) == set(parents.code)
    for parent in parents.itertuples():
        members = children.geometry.values[by_parent.indices[parent.code]]
        union = shapely.coverage_union_all(members)
        assert shapely.symmetric_difference(union, parent.geometry).area < 1e-12, parent.code


def test_exact_tiling_and_nesting(layers: dict[str, gpd.GeoDataFrame]) -> None:
    assert_exact_partition(layers["towns"], layers["county"])
    assert_exact_partition(layers["villages"], layers["towns"])
    assert_exact_partition(layers["grids"], layers["villages"])


def test_codes_nest(layers: dict[str, gpd.GeoDataFrame]) -> None:
    towns, villages, grids = layers["towns"], layers["villages"], layers["grids"]
    assert towns.code.str.fullmatch(r"449901\d{3}000").all()
    assert villages.code.str.fullmatch(r"\d{12}").all()
    assert grids.code.str.fullmatch(r"\d{15}").all()
    assert (villages.code.str[:9] == villages.parent_code.str[:9]).all()
    assert (grids.code.str[:12] == grids.parent_code).all()
    assert grids.code.is_unique and villages.code.is_unique


def test_irregular_edges_and_urban_grids(layers: dict[str, gpd.GeoDataFrame]) -> None:
    vertices = shapely.get_num_coordinates(layers["grids"].geometry.values)
    assert np.percentile(vertices, 5) >= 20
    assert np.percentile(vertices, 95) >= 100
    area = layers["grids"].to_crs(4547).area
    urban = layers["grids"].parent_code.isin(layers["villages"].code[layers["villages"].kind == "社区"])
    assert area[urban].median() < 0.7 * area[~urban].median()
    assert layers["grids"].name.str.contains("网格").all()
    assert layers["villages"].name.str.endswith(("村", "社区")).all()


def test_generator_accepts_a_real_outline(counties: Path) -> None:
    outline_path = counties / "heping_county.geojson"
    spec = CountySpec(
        code="441624", name="和平县", counts=TilingCounts(4, 30, 240), seed=5, outline_path=outline_path
    )
    out = build_county(spec)
    assert [len(out[n]) for n in ("county", "towns", "villages", "grids")] == [1, 4, 30, 240]
    assert_exact_partition(out["grids"], out["villages"])
    assert_exact_partition(out["villages"], out["towns"])
    real = shapely.union_all(gpd.read_file(outline_path).geometry.values)
    county = out["county"].geometry.values[0]
    assert shapely.hausdorff_distance(real, county) < 1e-5  # about 1 m: the border does not move


def test_generator_is_deterministic() -> None:
    spec = CountySpec(counts=TilingCounts(2, 6, 40), seed=11)
    a, b = build_county(spec), build_county(spec)
    assert list(a["grids"].code) == list(b["grids"].code)
    assert all(shapely.equals_exact(a["grids"].geometry.values, b["grids"].geometry.values, 0))


def test_place_names_stay_distinct_at_province_scale() -> None:
    from gis.sample.names import unique_place_names

    names = unique_place_names(np.random.default_rng(3), 25_000)
    assert len(set(names)) == 25_000
    assert {len(n) for n in names} == {2, 3}  # two characters while they last, then three
