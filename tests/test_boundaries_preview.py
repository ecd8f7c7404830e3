"""Trial item 3: the dry run shows names (first rows per tier with the parent's name) and warns about names
that look mis-decoded, so GIS staff can check a GBK file before committing."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import psycopg
import pytest

from api.cli import main as cli_main
from gis.boundaries.load import LoadOptions, prepare
from gis.boundaries.preview import mojibake
from gis.settings import DatabaseSettings
from tests.conftest import use_database

VILLAGES = ("449901001001", "449901001008")
FIRST_ROWS = [
    {"code": "449901001001001", "name": "石岩社区第1网格", "parent_name": "石岩社区"},
    {"code": "449901001001002", "name": "石岩社区第2网格", "parent_name": "石岩社区"},
    {"code": "449901001001003", "name": "石岩社区第3网格", "parent_name": "石岩社区"},
    {"code": "449901001001004", "name": "石岩社区第4网格", "parent_name": "石岩社区"},
    {"code": "449901001001005", "name": "石岩社区第5网格", "parent_name": "石岩社区"},
]


@pytest.fixture(scope="module")
def gbk_shapefile(sample_gpkg: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Grids of two villages as GIS staff send them: GBK attributes, no .cpg."""
    grids = gpd.read_file(sample_gpkg, layer="grids")
    subset = grids[grids.parent_code.isin(VILLAGES)].sort_values("code")[["code", "name", "parent_code", "geometry"]]
    shp = tmp_path_factory.mktemp("gbk") / "网格.shp"
    subset.rename(columns={"parent_code": "parent"}).to_file(shp, engine="pyogrio", encoding="GB18030")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    return shp


def test_dry_run_shows_the_first_rows_with_parent_names(conn: psycopg.Connection, gbk_shapefile: Path) -> None:
    report = prepare(conn, gbk_shapefile, LoadOptions(tier="grid")).report
    assert report.previews == {4: FIRST_ROWS}
    assert "attribute encoding GB18030 (detected)" in report.notes
    assert not [f for f in report.findings if f.code == "suspect_encoding"]


def test_cli_text_and_json_reports_carry_the_preview(db_settings: DatabaseSettings, gbk_shapefile: Path,
                                                    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    use_database(monkeypatch, db_settings)
    out = tmp_path / "r.json"
    assert cli_main(["boundaries", "load", str(gbk_shapefile), "--tier", "grid", "--report-json", str(out)]) == 0
    text = capsys.readouterr().out.splitlines()
    start = next(k for k, line in enumerate(text) if line.startswith("  网格（前 ") and "代码 / 名称 / 上级" in line)
    assert text[start + 1:start + 3] == ["    449901001001001    石岩社区第1网格         石岩社区",
                                         "    449901001001002    石岩社区第2网格         石岩社区"]
    assert json.loads(out.read_text(encoding="utf-8"))["preview"] == {"4": FIRST_ROWS}


def test_wrong_cpg_is_overruled_and_latin1_names_are_flagged(conn: psycopg.Connection, gbk_shapefile: Path,
                                                            tmp_path: Path) -> None:
    for part in gbk_shapefile.parent.iterdir():
        (tmp_path / part.name).write_bytes(part.read_bytes())
    shp = tmp_path / gbk_shapefile.name
    shp.with_suffix(".cpg").write_text("UTF-8")  # a .cpg that lies: the bytes are GBK
    lied = prepare(conn, shp, LoadOptions(tier="grid")).report
    assert lied.previews[4][0]["name"] == "石岩社区第1网格"
    assert "attribute encoding GB18030 (.cpg says UTF-8 but the bytes are not; detected)" in lied.notes
    shp.with_suffix(".cpg").write_text("ISO-8859-1")  # a .cpg naming Latin-1: the names come out as mojibake
    latin = prepare(conn, shp, LoadOptions(tier="grid")).report
    assert latin.previews[4][0]["name"] == "Ê¯ÑÒÉçÇøµÚ1Íø¸ñ"
    warning = next(f for f in latin.findings if f.code == "suspect_encoding")
    assert (warning.severity, warning.feature, warning.tier) == ("warning", "449901001001001", 4)
    assert warning.message == ("29 of 29 names look mis-decoded, e.g. 'Ê¯ÑÒÉçÇøµÚ1Íø¸ñ' (Latin-1 letters; read as "
                               "GB18030 it says 石岩社区第1网格); check the file's encoding (--encoding GB18030 or "
                               "UTF-8)")


@pytest.mark.parametrize("name, why", [
    ("阳明镇", None), ("阿依·买买提社区", None), ("喆赟村第1网格", None), ("Block A", None),
    ("阳明镇\ufffd", "U+FFFD replacement characters: bytes that did not decode"),
    ("锟斤拷锟斤拷", '"锟斤拷": replacement characters re-encoded as GBK'),
    ("ÑôÃ÷Õò", "Latin-1 letters; read as GB18030 it says 阳明镇"),
    ("é˜³æ˜Žé•‡", "Latin-1 letters; read as UTF-8 it says 阳明镇"),
    ("测试村第3网格".encode().decode("gb18030"), "UTF-8 read as GBK; read as UTF-8 it says 测试村第3网格"),
    ("闃虫槑闀囩綉鏍煎", None),  # ends in half a character: not decodable either way, so not claimed
    ("鍜屽钩鍘�", "U+FFFD replacement characters: bytes that did not decode"),
])
def test_mojibake_kinds(name: str, why: str | None) -> None:
    assert mojibake(name) == why
