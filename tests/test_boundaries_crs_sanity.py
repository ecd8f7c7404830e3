"""CRS sanity: codes against province extents, a wrong Gauss-Kruger zone, GCJ-02 said or only fitting after a shift.

The trap files are made here from the sample county (placed near 114.6E, 24.1N in Guangdong, codes 4499...) and
from small synthetic counties placed in several provinces.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import psycopg
import pytest
import shapely

from gis.boundaries.load import LoadOptions, prepare
from gis.boundaries.sanity import extent_of, province_at
from gis.crs import wgs84_to_gcj02
from gis.models import Generation

TOWN = "449901100000"  # 隆塘镇


@pytest.fixture(scope="module")
def villages(sample_gpkg: Path) -> gpd.GeoDataFrame:
    frame = gpd.read_file(sample_gpkg, layer="villages")
    return frame[frame.parent_code == TOWN][["code", "name", "parent_code", "geometry"]].reset_index(drop=True)


def to_gcj02(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    moved = shapely.transform(frame.geometry.values, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    return frame.set_geometry(list(moved), crs="EPSG:4326")


def findings(report: object) -> dict[str, str]:
    return {f.code: f.severity for f in report.findings}  # type: ignore[attr-defined]


def test_province_table_knows_the_sample_range_and_the_provinces() -> None:
    assert extent_of("449901100000").name == "云溪县示例代码（广东省）"
    assert extent_of("450101").name == "广西壮族自治区"
    assert extent_of("330102").name == "浙江省"
    assert province_at(114.62, 24.12).name == "广东省"
    assert province_at(116.4, 39.9).name == "北京市"


def test_gcj02_shifted_copy_is_flagged_with_the_fix(conn: psycopg.Connection, villages: gpd.GeoDataFrame,
                                                    active_generation: Generation, tmp_path: Path) -> None:
    path = tmp_path / "villages.geojson"
    to_gcj02(villages).to_file(path, engine="pyogrio")
    report = prepare(conn, path, LoadOptions(tier="village")).report
    shift = next(f for f in report.findings if f.code == "suspected_gcj02")
    assert shift.severity == "error" and "--crs gcj02" in shift.message and shift.repair == "--crs gcj02"
    assert not report.ok
    fixed = prepare(conn, path, LoadOptions(tier="village", crs="gcj02")).report
    assert "suspected_gcj02" not in findings(fixed)


def test_whole_county_in_gcj02_is_flagged_against_the_active_county(
        conn: psycopg.Connection, sample_gpkg: Path, active_generation: Generation, tmp_path: Path) -> None:
    path = tmp_path / "county.geojson"
    to_gcj02(gpd.read_file(sample_gpkg, layer="county")).to_file(path, engine="pyogrio")
    report = prepare(conn, path, LoadOptions(tier="county", standalone=True)).report
    assert findings(report).get("suspected_gcj02") == "error"


def test_properties_that_say_gcj02(conn: psycopg.Connection, villages: gpd.GeoDataFrame,
                                   active_generation: Generation, tmp_path: Path) -> None:
    path = tmp_path / "said.geojson"
    said = villages.copy()
    said["坐标系"] = "GCJ-02（高德）"
    said.to_file(path, engine="pyogrio")
    report = prepare(conn, path, LoadOptions(tier="village")).report
    declared = next(f for f in report.findings if f.code == "declared_gcj02")
    assert declared.severity == "error" and "'坐标系'" in declared.message and "--crs gcj02" in declared.message
    assert "declared_gcj02" not in findings(prepare(conn, path, LoadOptions(tier="village", crs="gcj02")).report)


def test_gauss_kruger_central_meridian_off_by_one_zone(conn: psycopg.Connection, villages: gpd.GeoDataFrame,
                                                       active_generation: Generation, tmp_path: Path) -> None:
    path = tmp_path / "gk.shp"
    villages.to_crs("EPSG:4547").to_file(path, engine="pyogrio")  # CM 114E
    path.with_suffix(".prj").unlink()
    report = prepare(conn, path, LoadOptions(tier="village", crs="gk-cm117e")).report  # 3 degrees east
    wrong = next(f for f in report.findings if f.code == "gauss_kruger_wrong_zone")
    assert wrong.severity == "error" and "EPSG:4547" in wrong.message and "--crs gk-cm114e" in wrong.message
    assert "中央经线 117°E" in wrong.message and wrong.repair == "--crs gk-cm114e"
    right = prepare(conn, path, LoadOptions(tier="village", crs="gk-cm114e")).report
    assert "gauss_kruger_wrong_zone" not in findings(right)


def test_gauss_kruger_zone_prefix_given_the_wrong_zone(conn: psycopg.Connection, villages: gpd.GeoDataFrame,
                                                       active_generation: Generation, tmp_path: Path) -> None:
    path = tmp_path / "gk38.shp"
    villages.to_crs("EPSG:4526").to_file(path, engine="pyogrio")  # zone 38, eastings 38xxxxxx
    path.with_suffix(".prj").unlink()
    report = prepare(conn, path, LoadOptions(tier="village", crs="gk39")).report
    wrong = next(f for f in report.findings if f.code == "gauss_kruger_wrong_zone")
    assert "第 38 带" in wrong.message and "--crs gk38" in wrong.message


def test_codes_of_another_province(conn: psycopg.Connection, villages: gpd.GeoDataFrame,
                                   active_generation: Generation, tmp_path: Path) -> None:
    path = tmp_path / "guangxi.geojson"
    other = villages.copy()
    other["code"] = "450101" + other.code.str[6:]
    other["parent_code"] = "450101" + other.parent_code.str[6:]
    other.to_file(path, engine="pyogrio")
    report = prepare(conn, path, LoadOptions(tier="village", standalone=True)).report
    mismatch = next(f for f in report.findings if f.code == "code_province_mismatch")
    assert mismatch.severity == "error" and "广西壮族自治区" in mismatch.message and "广东省" in mismatch.message


# Small synthetic counties: a 3 x 3 block of 1 km grids, one village, one town, one county, in several provinces.
# Each lies within 3 degrees of its province's east edge, so a zone one step east leaves the province's extent.
PLACES = {"11": (116.40, 40.20), "14": (112.50, 37.90), "33": (120.15, 30.25), "61": (108.90, 34.30)}


def synthetic_county(prefix: str, lon: float, lat: float) -> dict[str, gpd.GeoDataFrame]:
    step_x, step_y = 0.01 / np.cos(np.radians(lat)), 0.009
    cells = [shapely.box(lon + i * step_x, lat + j * step_y, lon + (i + 1) * step_x, lat + (j + 1) * step_y)
             for j in range(3) for i in range(3)]
    outline = shapely.box(lon, lat, lon + 3 * step_x, lat + 3 * step_y)
    county, town, village = f"{prefix}0101", f"{prefix}0101001000", f"{prefix}0101001001"
    return {
        "county": gpd.GeoDataFrame({"code": [county], "name": ["合成县"], "parent_code": [""]}, geometry=[outline],
                                   crs="EPSG:4326"),
        "towns": gpd.GeoDataFrame({"code": [town], "name": ["合成镇"], "parent_code": [county]}, geometry=[outline],
                                  crs="EPSG:4326"),
        "villages": gpd.GeoDataFrame({"code": [village], "name": ["合成村"], "parent_code": [town]},
                                     geometry=[outline], crs="EPSG:4326"),
        "grids": gpd.GeoDataFrame({"code": [f"{village}{k:03}" for k in range(1, 10)],
                                   "name": [f"合成村第{k}网格" for k in range(1, 10)], "parent_code": [village] * 9},
                                  geometry=cells, crs="EPSG:4326"),
    }


def write(layers: dict[str, gpd.GeoDataFrame], folder: Path) -> Path:
    folder.mkdir()
    for name, frame in layers.items():
        frame.to_file(folder / f"{name}.geojson", engine="pyogrio")
    return folder


@pytest.mark.parametrize("prefix", list(PLACES))
def test_synthetic_counties_in_several_provinces(conn: psycopg.Connection, prefix: str, tmp_path: Path) -> None:
    lon, lat = PLACES[prefix]
    layers = synthetic_county(prefix, lon, lat)
    assert prepare(conn, write(layers, tmp_path / "clean"), LoadOptions(standalone=True)).report.ok

    said = dict(layers, grids=layers["grids"].assign(crs_note="gcj02"))
    assert findings(prepare(conn, write(said, tmp_path / "said"), LoadOptions(standalone=True)).report)[
        "declared_gcj02"] == "error"

    shifted = dict(layers, grids=to_gcj02(layers["grids"]))
    assert findings(prepare(conn, write(shifted, tmp_path / "gcj"), LoadOptions(standalone=True)).report)[
        "suspected_gcj02"] == "error"

    other = "44" if prefix != "44" else "45"
    renamed = {name: frame.assign(code=other + frame.code.str[2:],
                                  parent_code=frame.parent_code.map(lambda c: other + c[2:] if c else c))
               for name, frame in layers.items()}
    report = prepare(conn, write(renamed, tmp_path / "renamed"), LoadOptions(standalone=True)).report
    assert findings(report)["code_province_mismatch"] == "error"

    central = int(round(lon / 3) * 3)
    epsg = 4534 + (central - 75) // 3
    gk = tmp_path / "gk"
    gk.mkdir()
    for name, frame in layers.items():
        frame.to_crs(f"EPSG:{epsg}").to_file(gk / f"{name}.shp", engine="pyogrio")
        (gk / f"{name}.prj").unlink()
    report = prepare(conn, gk, LoadOptions(standalone=True, crs=f"gk-cm{central + 3}e")).report
    wrong = next(f for f in report.findings if f.code in ("gauss_kruger_wrong_zone", "code_province_mismatch"))
    assert wrong.code == "gauss_kruger_wrong_zone" and f"--crs gk-cm{central}e" in wrong.message
