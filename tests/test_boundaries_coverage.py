"""Trial items 4 and 5: gaps and far-away areas found in a layer without its parent tier, and a layer of
another county reported once (not as thousands of missing parents)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import psycopg
import pytest
import shapely

from gis.boundaries.load import LoadOptions, prepare
from gis.sample.county import CountySpec, build_county
from gis.sample.tiling import TilingCounts

X0, Y0, STEP = 116.60, 24.10, 0.01  # clear of the sample county


def _grids(cells: dict[str, shapely.Geometry]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"code": [f"990201001001{k}" for k in cells], "name": [f"第{k}网格" for k in cells]},
                            geometry=list(cells.values()), crs=4326)


def _ring_of_eight() -> dict[str, shapely.Geometry]:
    """A 3 x 3 km block of 1 km grids with the middle one missing: a hole enclosed by eight siblings."""
    cells = {}
    for j in range(3):
        for i in range(3):
            if (i, j) != (1, 1):
                cells[f"{len(cells) + 1:03d}"] = shapely.box(X0 + i * STEP, Y0 + j * STEP, X0 + (i + 1) * STEP,
                                                             Y0 + (j + 1) * STEP)
    return cells


def test_hole_in_a_standalone_layer_is_a_gap(conn: psycopg.Connection, tmp_path: Path) -> None:
    path = tmp_path / "grids.geojson"
    _grids(_ring_of_eight()).to_file(path, engine="pyogrio")
    report = prepare(conn, path, LoadOptions(tier="grid", standalone=True)).report
    assert report.summary() == {"gap": 1, "missing_parent_tier": 1}
    gap = next(f for f in report.findings if f.code == "gap")
    assert gap.message == "an area enclosed by 990201001001001, 990201001001002, 990201001001003, " \
                          "990201001001004 ... is in no tier 4 area"
    assert (gap.feature, gap.tier, gap.location) == ("990201001001001", 4, (116.615, 24.115))
    assert gap.area_m2 == pytest.approx(1_123_000, rel=0.01)  # 1,016 m x 1,106 m at 24.1N


def test_a_grid_thirty_km_away_is_flagged(conn: psycopg.Connection, tmp_path: Path) -> None:
    cells = _ring_of_eight()
    cells["009"] = shapely.box(X0 + 1 * STEP, Y0 + 1 * STEP, X0 + 2 * STEP, Y0 + 2 * STEP)  # the hole filled
    cells["010"] = shapely.box(X0 + 0.33, Y0, X0 + 0.34, Y0 + STEP)  # about 30 km east: a typo in 116.9
    path = tmp_path / "grids.geojson"
    _grids(cells).to_file(path, engine="pyogrio")
    report = prepare(conn, path, LoadOptions(tier="grid", standalone=True)).report
    assert report.summary() == {"child_outside_siblings": 1, "far_from_siblings": 1, "missing_parent_tier": 1}
    outside = next(f for f in report.findings if f.code == "child_outside_siblings")
    assert (outside.severity, outside.feature) == ("error", "990201001001010")
    far = next(f for f in report.findings if f.code == "far_from_siblings")
    assert (far.severity, far.feature) == ("warning", "990201001001010")
    assert far.message == ("30.5 km from the nearest other tier 4 area (990201001001003): a typo in its "
                           "coordinates, or an area of another county?")


@pytest.fixture(scope="module")
def haifeng_villages(tmp_path_factory: pytest.TempPathFactory, counties: Path) -> Path:
    """Villages tiled inside the real 海丰县 outline, about 70 km south-east of the active sample county."""
    layers = build_county(CountySpec(code="441521", name="海丰县", counts=TilingCounts(3, 30, 60), seed=7,
                                     outline_path=counties / "haifeng_county.geojson"))
    path = tmp_path_factory.mktemp("haifeng") / "海丰县村居.gpkg"
    layers["villages"].drop(columns=["parent_code"]).to_file(path, layer="海丰县村居", engine="pyogrio")
    return path


def test_layer_of_another_county_is_said_once(conn: psycopg.Connection, haifeng_villages: Path) -> None:
    report = prepare(conn, haifeng_villages, LoadOptions()).report
    assert report.summary() == {"missing_parent_tier": 1, "outside_active_generation": 1}
    finding = next(f for f in report.findings if f.code == "outside_active_generation")
    # 96.1 km between the two county outlines by pyproj.Geod; the tiled villages stop a little short of 海丰's
    assert finding.message == (
        "100% of the loaded areas lie outside the active generation 'sample-county'; the layer lies 96.0 km from "
        "its extent. A new or another county: load it with --standalone. Meant to be here: check its coordinate "
        "system (--crs)")
    alone = prepare(conn, haifeng_villages, LoadOptions(standalone=True)).report
    assert alone.summary() == {"missing_parent_tier": 1}
    assert alone.previews[3][0]["name"] == "泉平社区"


def test_standalone_grids_are_checked_against_their_villages_in_the_active_generation(
        conn: psycopg.Connection, sample_gpkg: Path, tmp_path: Path) -> None:
    grids = gpd.read_file(sample_gpkg, layer="grids")
    village = grids[grids.parent_code == "449901100001"].sort_values("code").reset_index(drop=True)
    elsewhere = grids[grids.parent_code == "449901101001"].geometry.iloc[0]  # a grid of 坪头镇
    village.loc[0, "geometry"] = elsewhere  # keeps its code and its parent 下湖社区
    path = tmp_path / "grids.geojson"
    village[["code", "name", "parent_code", "geometry"]].to_file(path, engine="pyogrio")
    report = prepare(conn, path, LoadOptions(tier="grid", standalone=True)).report
    outside = [f for f in report.findings if f.code == "child_outside_parent"]
    assert [(f.severity, f.feature) for f in outside] == [("error", village.code[0])]
    assert outside[0].message == "100.0% 的面积落在上级区划 449901100001（下湖社区）（启用版本）以外"
