"""Regressions from the first field trial, small ones (items 6 and 7): no schema, findings that name the
feature, a BOM on CSV files written for people, roster problems listed without temporary paths."""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import psycopg
import pytest
import shapely
from fastapi.testclient import TestClient

from api.cli import main as cli_main
from gis.boundaries.load import LoadOptions, prepare
from gis.errors import Unavailable
from gis.settings import DatabaseSettings
from gis.storage.database import drop_database, ensure_database
from gis.storage.pool import connect
from gis.storage.schema import require_schema
from tests.conftest import make_token, use_database
from tests.fixtures.boundaries.make_fixtures import CORPUS

CLEAN = CORPUS / "clean"
BAD_ROSTER = ("staff_code,name,role\nA1,张三,grid_worker\nA2,,mediator\nA3,王五,astronaut\n")


@pytest.fixture
def empty_database(db_settings: DatabaseSettings) -> Iterator[DatabaseSettings]:
    """A fresh database on the same server with no schema at all."""
    settings = db_settings.for_database(f"fengqiao_empty_{os.getpid()}")
    ensure_database(settings)
    yield settings
    drop_database(settings)


def test_every_schema_command_says_run_setup_on_an_empty_database(empty_database: DatabaseSettings, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    use_database(monkeypatch, empty_database)
    with connect(DatabaseSettings()) as conn, pytest.raises(Unavailable) as err:
        require_schema(conn)
    assert err.value.reason == "schema_missing" and "run `fengqiao setup`" in err.value.message
    points = tmp_path / "p.csv"
    points.write_text("lon,lat\n114.6,24.1\n", encoding="utf-8")
    commands = [["boundaries", "load", str(CLEAN), "--standalone"], ["boundaries", "list"],
                ["boundaries", "relocate", "--dry-run"], ["boundaries", "diff", "a", "b"],
                ["boundaries", "export", "x", "--out", str(tmp_path / "x.geojson")], ["locate", str(points)],
                ["staff", "purge-positions"], ["cases", "sweep"], ["user", "someone", "--role", "gis"]]
    for argv in commands:
        assert cli_main(argv) == 2, argv
        err_text = capsys.readouterr().err
        assert "has no Fengqiao schema (no boundary tables): run `fengqiao setup` to create it" in err_text, argv
        assert "Traceback" not in err_text and "relation" not in err_text


def test_schema_check_passes_on_a_set_up_database(conn: psycopg.Connection) -> None:
    require_schema(conn)  # raises if anything is missing
    assert conn.execute("SELECT count(*) > 0 FROM schema_migrations").fetchone() == (True,)


def test_missing_code_finding_has_a_location(conn: psycopg.Connection, tmp_path: Path) -> None:
    grids = gpd.read_file(CLEAN / "grids.geojson")
    grids.loc[2, "code"] = None
    path = tmp_path / "grids.geojson"
    grids.to_file(path, engine="pyogrio")
    report = prepare(conn, path, LoadOptions(tier="grid", standalone=True)).report
    missing = [f for f in report.findings if f.code == "missing_code"]
    assert [(f.feature, f.message) for f in missing] == [
        ("测试村第3网格", "a feature has no code (name '测试村第3网格')")]
    assert missing[0].location == (114.605, 24.105)


def test_one_swapped_feature_is_a_finding_of_that_feature(conn: psycopg.Connection, tmp_path: Path) -> None:
    layers = {n: gpd.read_file(CLEAN / f"{n}.geojson") for n in ("county", "towns", "villages", "grids")}
    grids = layers["grids"]
    grids.loc[3, "geometry"] = shapely.transform(grids.geometry[3], lambda xy: xy[:, ::-1])
    for name, frame in layers.items():
        frame.to_file(tmp_path / f"{name}.geojson", engine="pyogrio")
    report = prepare(conn, tmp_path, LoadOptions(standalone=True)).report
    assert report.summary() == {"lat_lon_swapped": 1}
    finding = report.findings[0]
    assert finding.feature == "990101001001004" and finding.location == (114.615, 24.105)
    assert finding.message.startswith("this feature's latitude and longitude look swapped (x runs 24.100..24.110")


def test_cli_locate_csv_has_a_bom_unless_told_not(tmp_path: Path, db_settings: DatabaseSettings,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    use_database(monkeypatch, db_settings)
    source = tmp_path / "points.csv"
    source.write_bytes("经度,纬度,名称\n114.6471302,24.0688967,甲\n".encode("gb18030"))
    expected = "经度,纬度,名称,grid_code,village_code,town_code,inside,error\n" \
               "114.6471302,24.0688967,甲,449901001008007,449901001008,449901001000,True,\n"
    assert cli_main(["locate", str(source), "--out", str(tmp_path / "a.csv")]) == 0
    assert (tmp_path / "a.csv").read_bytes() == codecs.BOM_UTF8 + expected.encode("utf-8")
    assert cli_main(["locate", str(source), "--out", str(tmp_path / "b.csv"), "--no-bom"]) == 0
    assert (tmp_path / "b.csv").read_bytes() == expected.encode("utf-8")


def test_http_batch_is_plain_unless_a_bom_is_asked_for(app_client: TestClient,
                                                       admin_headers: dict[str, str]) -> None:
    body = b"lon,lat\n114.6471302,24.0688967\n"
    plain = app_client.post("/api/v1/locate/batch", content=body, headers={**admin_headers, "Content-Type": "text/csv"})
    assert plain.content.startswith(b"lon,lat,grid_code")
    marked = app_client.post("/api/v1/locate/batch", params={"bom": "true"}, content=body,
                             headers={**admin_headers, "Content-Type": "text/csv"})
    assert marked.content.startswith(codecs.BOM_UTF8 + b"lon,lat,grid_code")


def test_cli_roster_import_lists_bad_rows(tmp_path: Path, db_settings: DatabaseSettings,
                                         monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    use_database(monkeypatch, db_settings)
    roster = tmp_path / "花名册.csv"
    roster.write_text(BAD_ROSTER, encoding="utf-8")
    assert cli_main(["staff", "import", str(roster)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "fengqiao staff: 花名册.csv: 2 bad row(s), nothing imported",
        "  row 3: missing name",
        "  row 4: unknown role 'astronaut'",
    ]


def test_api_roster_import_names_no_temporary_file(app_client: TestClient, db_settings: DatabaseSettings) -> None:
    operator = {"Authorization": f"Bearer {make_token(db_settings, 'roster-op', 'operator')}"}
    answer = app_client.post("/api/v1/staff/import", headers=operator,
                             files={"file": ("花名册.csv", BAD_ROSTER.encode(), "text/csv")})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["message"] == "人员名册有错误，未导入任何内容"
    assert error["detail"] == "the roster: 2 bad row(s), nothing imported"
    assert error["problems"] == [{"row": 3, "problem": "missing name"},
                                 {"row": 4, "problem": "unknown role 'astronaut'"}]
