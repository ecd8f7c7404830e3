"""Trial item 2: a KML with one folder per tier (a whole hierarchy exported at once) loads every folder."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import psycopg
import pytest
import shapely

from gis.boundaries.load import LoadOptions, prepare
from gis.boundaries.normalize import tier_name_of
from gis.errors import InvalidInput
from tests.fixtures.boundaries.make_fixtures import clean_layers

ORDER = ("county", "towns", "villages", "grids")


def _placemark(row: object) -> str:
    geom = row.geometry  # type: ignore[attr-defined]
    ring = " ".join(f"{x},{y},0" for x, y in shapely.get_coordinates(geom.exterior))
    data = "".join(f'<Data name="{k}"><value>{getattr(row, k)}</value></Data>' for k in ("code", "parent_code"))
    return (f"<Placemark><name>{row.name}</name><ExtendedData>{data}</ExtendedData>"  # type: ignore[attr-defined]
            f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{ring}</coordinates></LinearRing>"
            "</outerBoundaryIs></Polygon></Placemark>")


def write_kml(path: Path, folders: dict[str, gpd.GeoDataFrame], *, nested: bool = False,
              document: str = "all", extra: str = "") -> Path:
    """One folder per tier, flat or nested (县 > 乡镇 > 村, as 奥维 and Google Earth export), as UTF-8 KML."""
    parts = [(name, "".join(_placemark(r) for r in frame.itertuples())) for name, frame in folders.items()]
    if nested:
        body = "".join(f"<Folder><name>{n}</name>{p}" for n, p in parts[:-1]) + "</Folder>" * (len(parts) - 1)
        body = body.replace("</Folder>", f"<Folder><name>{parts[-1][0]}</name>{parts[-1][1]}</Folder></Folder>", 1)
    else:
        body = "".join(f"<Folder><name>{n}</name>{p}</Folder>" for n, p in parts)
    path.write_text('<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
                    f"<Document><name>{document}</name>{body}{extra}</Document></kml>", encoding="utf-8")
    return path


def test_every_folder_is_a_layer(conn: psycopg.Connection, tmp_path: Path) -> None:
    layers = clean_layers()
    path = write_kml(tmp_path / "all.kml", {name: layers[name] for name in ORDER})
    prepared = prepare(conn, path, LoadOptions(standalone=True))
    assert prepared.report.findings == [] and prepared.report.counts == {1: 1, 2: 1, 3: 1, 4: 4}
    assert [n.split(" -> ")[0] for n in prepared.report.notes if "->" in n] == [
        "all.kml [county]", "all.kml [towns]", "all.kml [villages]", "all.kml [grids]"]
    assert sorted(prepared.areas.name) == ["测试县", "测试村", "测试村第1网格", "测试村第2网格", "测试村第3网格",
                                           "测试村第4网格", "测试镇"]
    grids = prepare(conn, path, LoadOptions(layer="grids", standalone=True))
    assert grids.loaded_tiers == {4} and grids.report.counts == {4: 4}
    with pytest.raises(InvalidInput) as err:
        prepare(conn, path, LoadOptions(layer="streets"))
    assert err.value.reason == "unknown_layer" and "'grids'" in err.value.message


def test_nested_chinese_folders_and_a_folder_of_labels(conn: psycopg.Connection, tmp_path: Path) -> None:
    layers = clean_layers()
    chinese = {"测试县": layers["county"], "乡镇街道界": layers["towns"], "村居": layers["villages"],
               "网格": layers["grids"]}
    labels = ("<Folder><name>标注</name><Placemark><name>村委会</name><Point><coordinates>114.605,24.105,0"
              "</coordinates></Point></Placemark></Folder>")
    path = write_kml(tmp_path / "测试县.kml", chinese, nested=True, document="测试县", extra=labels)
    prepared = prepare(conn, path, LoadOptions(standalone=True))
    assert prepared.report.findings == [] and prepared.report.counts == {1: 1, 2: 1, 3: 1, 4: 4}
    assert "测试县.kml: folder(s) without areas skipped: 标注" in prepared.report.notes
    village_grids = prepare(conn, path, LoadOptions(layer="网格", standalone=True))
    assert village_grids.loaded_tiers == {4}


@pytest.mark.parametrize("name, expected", [
    ("村居 (#2)", "村居"), ("01_网格", "网格"), ("乡镇界", "乡镇"), ("towns_boundary", "towns"), ("网格边界", "网格"),
    ("测试县", "测试县"), ("界", "界"),
])
def test_tier_words_are_found_inside_decorated_layer_names(name: str, expected: str) -> None:
    assert tier_name_of(name) == expected


def test_gbk_kml_and_geojson_are_read_as_gb18030(conn: psycopg.Connection, tmp_path: Path) -> None:
    layers = clean_layers()
    utf8 = write_kml(tmp_path / "utf8.kml", {name: layers[name] for name in ORDER})
    declared = tmp_path / "gbk.kml"  # 奥维 and older tools write GB2312 and say so; GDAL's parser refuses it
    declared.write_bytes(utf8.read_text(encoding="utf-8").replace('encoding="UTF-8"', 'encoding="GB2312"')
                         .encode("gbk"))
    prepared = prepare(conn, declared, LoadOptions(standalone=True))
    assert prepared.report.findings == [] and "测试村第4网格" in set(prepared.areas.name)
    assert "gbk.kml: text encoding GB18030 (declared), read as UTF-8" in prepared.report.notes
    geojson = tmp_path / "grids.geojson"
    layers["grids"].to_file(tmp_path / "u.geojson", engine="pyogrio")
    geojson.write_bytes((tmp_path / "u.geojson").read_text(encoding="utf-8").encode("gbk"))
    grids = prepare(conn, geojson, LoadOptions(tier="grid", standalone=True))
    assert sorted(grids.areas.name) == ["测试村第1网格", "测试村第2网格", "测试村第3网格", "测试村第4网格"]
    assert "grids.geojson: text encoding GB18030 (detected), read as UTF-8" in grids.report.notes


def test_attributes_in_description_tables(conn: psycopg.Connection, tmp_path: Path) -> None:
    """ArcGIS 'Layer to KML' puts every field in an HTML table in the description, not in ExtendedData."""
    grids = clean_layers()["grids"]
    marks = []
    for row in grids.itertuples():
        ring = " ".join(f"{x},{y}" for x, y in shapely.get_coordinates(row.geometry.exterior))
        table = (f"<table><tr><th colspan='2'>网格</th></tr><tr><td>编码</td><td>{row.code}</td></tr>"
                 f"<tr><td>名称</td><td>{row.name}</td></tr><tr><td>上级编码</td><td>{row.parent_code}</td></tr>"
                 "</table>")
        marks.append(f"<Placemark><name>{row.code[-3:]}</name><description><![CDATA[{table}]]></description>"
                     f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{ring}</coordinates></LinearRing>"
                     "</outerBoundaryIs></Polygon></Placemark>")
    path = tmp_path / "网格.kml"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
                    + "".join(marks) + "</Document></kml>", encoding="utf-8")
    prepared = prepare(conn, path, LoadOptions(tier="grid", name_field="名称"))
    got = prepared.areas[prepared.areas.tier == 4].sort_values("code")
    assert list(got.code) == [f"990101001001{k:03d}" for k in range(1, 5)]
    assert list(got.name) == [f"测试村第{k}网格" for k in range(1, 5)]
    assert "网格.kml [网格]: fields read from the description tables: 编码, 名称, 上级编码" in prepared.report.notes


def test_survey_field_names_and_a_cut_parent_field(conn: psycopg.Connection, tmp_path: Path) -> None:
    """三调-style XZQDM/XZQMC fields in a GBK Shapefile without .cpg, and dBase's 10-character 'parent_cod'."""
    grids = clean_layers()["grids"].rename(columns={"code": "XZQDM", "name": "XZQMC"})
    shp = tmp_path / "grids.shp"
    grids.to_file(shp, engine="pyogrio", encoding="GB18030")  # parent_code is written as parent_cod
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    prepared = prepare(conn, shp, LoadOptions(tier="grid", standalone=True))
    assert prepared.report.previews[4][0] == {"code": "990101001001001", "name": "测试村第1网格", "parent_name": ""}
    assert list(prepared.areas.parent_code) == ["990101001001"] * 4


@pytest.mark.parametrize("layer, expected", [("grids", 4), ("villages", 3), ("towns", 2), ("county", 1)])
def test_tier_guessed_from_names_when_the_layer_name_says_nothing(conn: psycopg.Connection, tmp_path: Path,
                                                                  layer: str, expected: int) -> None:
    path = tmp_path / "export.geojson"  # what a tool calls a layer: nothing about its tier
    clean_layers()[layer].to_file(path, engine="pyogrio")
    prepared = prepare(conn, path, LoadOptions(standalone=True))
    assert prepared.loaded_tiers == {expected}
    ending = {4: "网格", 3: "村", 2: "镇", 1: "县"}[expected]
    assert (f"export.geojson [export]: tier {expected} guessed from the names (…{ending}); pass --tier (or name the "
            "layer county/towns/villages/grids) to be sure") in prepared.report.notes


def test_tier_guessed_from_codes_and_refused_when_unclear(tmp_path: Path) -> None:
    import pandas as pd

    from gis.boundaries.normalize import guess_tier

    assert guess_tier(pd.DataFrame({"code": ["441624100000", "441624101000"], "name": ["甲", "乙"]})) == (
        2, "the codes' length")
    assert guess_tier(pd.DataFrame({"code": ["441624100001", "441624100002"]})) == (3, "the codes' length")
    assert guess_tier(pd.DataFrame({"code": ["A1", "B2"], "name": ["甲", "乙"]})) is None
