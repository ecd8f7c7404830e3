"""Every supported format carries the whole sample county's grids through intact: codes, names, parents, shapes.

The 8,535 grids (names with rare characters added: 喆, 赟, 𬌗) are written to each format, loaded, and
compared with the source and with literals computed once from the GeoPackage by an independent method
(pyproj.Geod geodesic areas).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import ezdxf
import geopandas as gpd
import numpy as np
import psycopg
import pytest
import shapely
from pyproj import Geod

from gis.boundaries.load import LoadOptions, Prepared, prepare
from gis.errors import InvalidInput

RARE = ["喆", "赟", "𬌗"]
GRIDS = 8535
TOTAL_AREA_M2 = 2_599_994_952  # sum of pyproj.Geod(ellps="WGS84") areas over the sample's grids layer
FIRST = ("449901001001001", "石岩社区第1网格喆", "449901001001", 200_917.5)  # code, name, parent, m2
LAST = ("449901115232003", "马光村第3网格𬌗")
GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def grids(sample_gpkg: Path) -> gpd.GeoDataFrame:
    frame = gpd.read_file(sample_gpkg, layer="grids").sort_values("code").reset_index(drop=True)
    frame["name"] = [f"{n}{RARE[i % 3]}" for i, n in enumerate(frame.name)]
    return frame[["code", "name", "parent_code", "geometry"]]


def write_formats(grids: gpd.GeoDataFrame, folder: Path) -> dict[str, tuple[Path, dict[str, Any]]]:
    """The grids in every format GIS staff bring, as they usually come (e.g. GBK Shapefile, no .cpg)."""
    out: dict[str, tuple[Path, dict[str, Any]]] = {}
    grids.to_file(folder / "grids.geojson", driver="GeoJSON", engine="pyogrio")
    out["geojson"] = (folder / "grids.geojson", {})
    grids.to_file(folder / "grids.gpkg", layer="grids", driver="GPKG", engine="pyogrio")
    out["gpkg"] = (folder / "grids.gpkg", {})
    shp = folder / "gbk" / "grids.shp"
    shp.parent.mkdir()
    grids.rename(columns={"parent_code": "parent"}).to_file(shp, driver="ESRI Shapefile", engine="pyogrio",
                                                            encoding="GB18030")
    shp.with_suffix(".cpg").unlink(missing_ok=True)  # the usual case: GBK attributes and no .cpg
    out["shapefile_gbk_no_cpg"] = (shp, {})
    with zipfile.ZipFile(folder / "grids_shp.zip", "w") as archive:
        for part in shp.parent.iterdir():
            archive.write(part, f"网格/{part.name}")
    out["zip"] = (folder / "grids_shp.zip", {})
    kml = grids.rename(columns={"code": "Name", "name": "Description"})
    kml.to_file(folder / "grids.kml", driver="KML", engine="pyogrio")
    out["kml"] = (folder / "grids.kml", {"code_field": "Name", "name_field": "Description"})
    with zipfile.ZipFile(folder / "grids.kmz", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(folder / "grids.kml", "doc.kml")
    out["kmz"] = (folder / "grids.kmz", {"code_field": "Name", "name_field": "Description"})
    table = grids.drop(columns="geometry").assign(wkt=shapely.to_wkt(grids.geometry.values, rounding_precision=9))
    table.to_csv(folder / "grids.csv", index=False, encoding="gb18030")
    out["csv_wkt_gb18030"] = (folder / "grids.csv", {"crs": "wgs84"})  # tables carry no CRS
    table.to_excel(folder / "grids.xlsx", index=False)
    out["xlsx_wkt"] = (folder / "grids.xlsx", {"crs": "wgs84"})
    doc = ezdxf.new()
    space = doc.modelspace()
    for code, name, geom in zip(grids.code, grids.name, grids.geometry, strict=True):
        space.add_lwpolyline(list(geom.geoms[0].exterior.coords)[:-1], close=True)
        inside = shapely.point_on_surface(geom)
        space.add_text(code, dxfattribs={"insert": (inside.x, inside.y)})
        space.add_text(name, dxfattribs={"insert": (inside.x, inside.y)})
    doc.saveas(folder / "grids.dxf")
    out["dxf"] = (folder / "grids.dxf", {"crs": "wgs84"})  # CAD has no CRS and no parent field
    return out


@pytest.fixture(scope="module")
def files(grids: gpd.GeoDataFrame, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, Any]]]:
    return write_formats(grids, tmp_path_factory.mktemp("formats"))


FORMATS = ["geojson", "gpkg", "shapefile_gbk_no_cpg", "zip", "kml", "kmz", "csv_wkt_gb18030", "xlsx_wkt", "dxf"]


@pytest.fixture(scope="module")
def prepared_by_format() -> dict[str, Prepared]:
    """Each format's dry run, kept for the tests that ask more of the same run (a whole county takes seconds)."""
    return {}


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_gives_the_same_grids(conn: psycopg.Connection, grids: gpd.GeoDataFrame,
                                           files: dict[str, tuple[Path, dict[str, Any]]], fmt: str,
                                           prepared_by_format: dict[str, Prepared]) -> None:
    path, extra = files[fmt]
    prepared = prepared_by_format[fmt] = prepare(conn, path, LoadOptions(tier="grid", **extra))
    assert prepared.report.ok and prepared.report.findings == [], prepared.report.as_table()
    got = prepared.areas[prepared.areas.tier == 4].sort_values("code").reset_index(drop=True)
    assert len(got) == GRIDS
    assert (got.code.iloc[0], got.name.iloc[0], got.parent_code.iloc[0]) == FIRST[:3]  # DXF: parent by containment
    assert (got.code.iloc[-1], got.name.iloc[-1]) == LAST
    assert abs(GEOD.geometry_area_perimeter(got.geometry.iloc[0])[0]) == pytest.approx(FIRST[3], abs=0.5)
    total = sum(abs(GEOD.geometry_area_perimeter(g)[0]) for g in got.geometry.iloc[::97])
    assert total == pytest.approx(sum(abs(GEOD.geometry_area_perimeter(g)[0]) for g in grids.geometry.iloc[::97]),
                                  rel=1e-9)
    assert list(got.code) == list(grids.code) and list(got.name) == list(grids.name)
    assert list(got.parent_code) == list(grids.parent_code)
    same = shapely.equals_exact(shapely.normalize(np.asarray(got.geometry.values, dtype=object)),
                                shapely.normalize(np.asarray(grids.geometry.values, dtype=object)), tolerance=1e-7)
    assert same.all()


def test_source_literals(grids: gpd.GeoDataFrame) -> None:
    total = sum(abs(GEOD.geometry_area_perimeter(g)[0]) for g in grids.geometry)
    assert total == pytest.approx(TOTAL_AREA_M2, abs=1)


def test_gbk_detected_without_cpg(conn: psycopg.Connection, files: dict[str, tuple[Path, dict[str, Any]]],
                                  prepared_by_format: dict[str, Prepared]) -> None:
    path, _ = files["shapefile_gbk_no_cpg"]
    prepared = prepared_by_format.get("shapefile_gbk_no_cpg") or prepare(conn, path, LoadOptions(tier="grid"))
    assert "attribute encoding GB18030 (detected)" in prepared.report.notes
    given = prepare(conn, path, LoadOptions(tier="grid", encoding="GB18030"))
    assert "attribute encoding GB18030 (given)" in given.report.notes


def test_whole_county_and_one_layer(conn: psycopg.Connection, sample_gpkg: Path) -> None:
    whole = prepare(conn, sample_gpkg, LoadOptions(standalone=True))
    assert whole.report.findings == [] and whole.report.counts == {1: 1, 2: 17, 3: 1026, 4: 8535}
    towns = prepare(conn, sample_gpkg, LoadOptions(layer="towns"))
    assert towns.loaded_tiers == {2} and towns.report.findings == []
    assert towns.report.counts == {1: 1, 2: 17, 3: 1026, 4: 8535}  # the other tiers from the active generation
    with pytest.raises(InvalidInput) as err:
        prepare(conn, sample_gpkg, LoadOptions(layer="streets"))
    assert err.value.reason == "unknown_layer" and "'towns'" in err.value.message
