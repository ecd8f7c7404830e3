"""Hostile uploads: files that are not what their names say, links out of the upload, network paths, crafted KML
descriptions, broken rosters, and town GIS users activating county-wide generations.

Every hostile file is generated here, pointing at a secret file the test writes: the secret must never be read
(no report, no message, no CLI output carries it), and the answer is a 4xx with a reason.
"""

from __future__ import annotations

import io
import json
import threading
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from fastapi.testclient import TestClient

from api.cli import main as cli_main
from gis.boundaries import formats
from gis.boundaries.gdal_guard import ALLOWED_DRIVERS, lock_down
from gis.boundaries.kml import MAX_DESCRIPTION_CHARS, fields_from_descriptions, table_pairs
from gis.settings import DatabaseSettings
from tests.conftest import make_token, use_database
from tests.fixtures.boundaries.make_fixtures import STEP, X0, Y0, clean_layers

OVERRIDE = {"override": "true"}  # test generations replace the county: activation needs it

UPLOADS = "/api/v1/boundaries/uploads"
SQUARE = "POLYGON((114.60 24.10,114.61 24.10,114.61 24.11,114.60 24.11,114.60 24.10))"


@pytest.fixture(scope="module")
def gis(db_settings: DatabaseSettings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db_settings, 'upsec-gis', 'gis')}"}


@pytest.fixture
def secret(tmp_path: Path) -> tuple[Path, str]:
    """A key file outside any upload, as a deployment's var/keys holds (one line, like a JWT key)."""
    value = f"FENGQIAO-SECRET-{uuid.uuid4().hex}"
    path = tmp_path / "var" / "keys" / "jwt.key"
    path.parent.mkdir(parents=True)
    path.write_text(value + "\n", encoding="utf-8")
    return path, value


def _vrt(secret: Path) -> bytes:
    """An OGR VRT that reads the key file as CSV and shows its line as a grid's name."""
    return (f'<OGRVRTDataSource><OGRVRTLayer name="grids"><SrcDataSource>CSV:{secret}</SrcDataSource>'
            '<OpenOptions><OOI key="HEADERS">NO</OOI></OpenOptions>'
            f"<SrcSQL dialect=\"sqlite\">SELECT '{SQUARE}' AS wkt, '990101001001001' AS code, field_1 AS name "
            f'FROM "{secret.stem}"</SrcSQL><GeometryField encoding="WKT" field="wkt"/></OGRVRTLayer>'
            "</OGRVRTDataSource>").encode()


def _gdalg(secret: Path) -> bytes:
    """A GDAL pipeline (GDALG): JSON, so it starts like GeoJSON, and it reads the key file."""
    sql = f"SELECT '{SQUARE}' AS wkt, field_1 AS name FROM {secret.stem}"
    return json.dumps({"type": "gdal_streamed_alg", "command_line": (
        f'gdal vector sql --input {secret} --input-format CSV --oo HEADERS=NO --sql "{sql}" --dialect sqlite '
        "--output-format stream --output streamed")}).encode()


def _gml(secret: Path) -> bytes:
    """GML whose feature pulls its geometry and name through xlinks to other files."""
    return (b'<?xml version="1.0"?><gml:FeatureCollection xmlns:gml="http://www.opengis.net/gml" '
            b'xmlns:xlink="http://www.w3.org/1999/xlink"><gml:featureMember><grid><name xlink:href="file://'
            + str(secret).encode() + b'"/></grid></gml:featureMember></gml:FeatureCollection>')


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def hostile_uploads(secret: Path) -> dict[str, tuple[str, bytes, str]]:
    """case -> (upload name, content, reason expected): every declared format, bare and inside zips/KMZ."""
    vrt = _vrt(secret)
    csv = f"wkt,code,name\n\"{SQUARE}\",990101001001001,x\n".encode()
    return {
        "geojson_vrt": ("grids.geojson", vrt, "content_mismatch"),
        "json_gdalg": ("grids.json", _gdalg(secret), "unreadable_file"),  # JSON, yet no GeoJSON: GDALG is gone
        "kml_gml": ("grids.kml", _gml(secret), "content_mismatch"),
        "kml_vrt": ("grids.kml", b'<?xml version="1.0"?>\n<!-- <kml> -->\n' + vrt, "content_mismatch"),
        "gpkg_vrt": ("grids.gpkg", vrt, "content_mismatch"),
        "dxf_vrt": ("grids.dxf", vrt, "content_mismatch"),
        "shp_vrt": ("grids.zip", _zip({"grids.shp": vrt, "grids.shx": b"\0" * 100, "grids.dbf": b"\x03" + b"\0" * 40,
                                       "grids.vrt": vrt}), "content_mismatch"),
        "zip_geojson_vrt": ("grids.zip", _zip({"layers/grids.geojson": vrt, "readme.vrt": vrt}), "content_mismatch"),
        "kmz_vrt": ("grids.kmz", _zip({"doc.kml": vrt}), "content_mismatch"),
        "geojson_csv": ("grids.geojson", csv, "content_mismatch"),
    }


CASES = list(hostile_uploads(Path("/x/k.key")))


def test_only_the_boundary_drivers_are_left() -> None:
    """OGR VRT, GDALG, GML, CSV, SQLite, WFS, HTTP and friends read other files or URLs: unregistered."""
    left = lock_down()
    assert left == set(pyogrio.list_drivers()) == ALLOWED_DRIVERS
    assert not {"OGR_VRT", "GDALG", "GML", "CSV", "SQLite", "WFS", "OAPIF", "HTTP", "GPSBabel", "ADBC"} & left
    assert pyogrio.get_gdal_config_option("CPL_VSIL_CURL_ALLOWED_FILENAME") == "/nonexistent/fengqiao-no-network"
    assert pyogrio.get_gdal_config_option("PROJ_NETWORK") is False  # pyogrio reads "OFF" as a boolean


@pytest.mark.parametrize("case", CASES)
def test_hostile_uploads_over_http(app_client: TestClient, gis: dict[str, str], secret: tuple[Path, str],
                                   case: str) -> None:
    path, value = secret
    name, content, reason = hostile_uploads(path)[case]
    answer = app_client.post(UPLOADS, headers=gis, data={"tier": "grid", "standalone": "true", "crs": "wgs84"},
                             files={"file": (name, io.BytesIO(content), "application/octet-stream")})
    assert value not in answer.text  # a dry run's preview once showed the key file's line as a grid's name
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["reason"] == reason
    if reason == "content_mismatch":
        assert "文件内容不是" in error["message"] and "未读取" in error["message"]


@pytest.mark.parametrize("case", ["geojson_vrt", "json_gdalg", "kml_gml", "shp_vrt", "kmz_vrt"])
def test_hostile_files_on_the_command_line(db_settings: DatabaseSettings, tmp_path: Path, secret: tuple[Path, str],
                                           monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                           case: str) -> None:
    use_database(monkeypatch, db_settings)
    path, value = secret
    name, content, reason = hostile_uploads(path)[case]
    upload = tmp_path / "inbox" / name
    upload.parent.mkdir()
    upload.write_bytes(content)
    report = tmp_path / "report.json"
    code = cli_main(["boundaries", "load", str(upload), "--tier", "grid", "--standalone", "--crs", "wgs84",
                     "--report-json", str(report)])
    out, err = capsys.readouterr()
    assert code == 2
    assert value not in out + err
    assert f"[{reason}]" in err
    assert not report.exists()


def _real_grids(path: Path, name: str) -> Path:
    frame = gpd.GeoDataFrame({"code": ["990101001001001"], "name": [name]},
                             geometry=[shapely.from_wkt(SQUARE)], crs=4326)
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def test_links_out_of_the_upload_are_refused(db_settings: DatabaseSettings, tmp_path: Path,
                                            secret: tuple[Path, str], monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A folder whose files link elsewhere (a real GeoJSON beside the keys): nothing outside is read."""
    use_database(monkeypatch, db_settings)
    path, value = secret
    outside = _real_grids(path.parent / "grids.geojson", value)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "grids.geojson").symlink_to(outside)
    assert cli_main(["boundaries", "load", str(inbox), "--tier", "grid", "--standalone"]) == 2
    out, err = capsys.readouterr()
    assert value not in out + err
    assert "[path_outside_upload]" in err and "上传文件所在文件夹之外" in err


def test_gdal_virtual_paths_are_refused(db_settings: DatabaseSettings, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    use_database(monkeypatch, db_settings)
    for path in ("/vsicurl/http://127.0.0.1:9/grids.geojson", "/vsizip//etc/grids.zip/grids.geojson"):
        assert cli_main(["boundaries", "load", path, "--tier", "grid"]) == 2
        assert "[bad_path]" in capsys.readouterr().err


def test_honest_files_still_load(app_client: TestClient, gis: dict[str, str], tmp_path: Path) -> None:
    """The checks refuse by content, not by habit: real GeoJSON (with a BOM), KML and a zipped Shapefile pass."""
    geojson = _real_grids(tmp_path / "grids.geojson", "测试网格")
    shp = tmp_path / "shp" / "grids.shp"
    shp.parent.mkdir()
    gpd.read_file(geojson).to_file(shp, engine="pyogrio", encoding="UTF-8")
    kml = tmp_path / "grids.kml"
    gpd.read_file(geojson).rename(columns={"code": "Name", "name": "Description"}).to_file(
        kml, driver="KML", engine="pyogrio")
    uploads = {"grids.geojson": (b"\xef\xbb\xbf" + geojson.read_bytes(), {}),
               "grids.kml": (kml.read_bytes(), {"code_field": "Name", "name_field": "Description"}),
               "grids.zip": (_zip({p.name: p.read_bytes() for p in shp.parent.iterdir()}), {})}
    for name, (content, fields) in uploads.items():
        answer = app_client.post(UPLOADS, headers=gis, data={"tier": "grid", "standalone": "true", **fields},
                                 files={"file": (name, io.BytesIO(content), "application/octet-stream")})
        assert answer.status_code == 200, (name, answer.text)
        assert answer.json()["report"]["counts"] == {"4": 1}, name


# --- KML descriptions -------------------------------------------------------------------------------------------

def _crafted_description(rows: dict[str, str], size: int) -> str:
    """A real attribute table followed by thousands of unclosed rows and cells (the old patterns' worst case)."""
    table = "<table>" + "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows.items()) + "</table>"
    junk = "<tr a='<td>" * ((size - len(table)) // len("<tr a='<td>"))
    return table + junk


def test_a_crafted_description_parses_with_its_fields() -> None:
    text = _crafted_description({"编码": "990101001001001", "名称": "测试村第1网格"}, 100_000)
    assert len(text) > 95_000 and text.count("<td") > 9_000
    assert table_pairs(text) == {"编码": "990101001001001", "名称": "测试村第1网格"}


def test_descriptions_are_read_up_to_the_bound() -> None:
    long = _crafted_description({"编码": "990101001001002", "名称": "第2网格"}, 2 * MAX_DESCRIPTION_CHARS)
    frame = gpd.GeoDataFrame({"Name": ["a", "b"], "description": [
        "<table><tr><td>编码</td><td>990101001001001</td></tr><tr><td>名称</td><td>第1网格</td></tr></table>", long]},
        geometry=[shapely.from_wkt(SQUARE)] * 2, crs=4326)
    found = fields_from_descriptions(frame)
    assert found.cut == 1 and found.added == ["编码", "名称"]
    assert list(found.frame["编码"]) == ["990101001001001", "990101001001002"]
    assert list(found.frame["名称"]) == ["第1网格", "第2网格"]


def _kml_with_descriptions(size: int) -> bytes:
    grids = clean_layers()["grids"]
    marks = []
    for row in grids.itertuples():
        ring = " ".join(f"{x},{y}" for x, y in shapely.get_coordinates(row.geometry.exterior))
        table = _crafted_description({"编码": row.code, "名称": row.name}, size)
        marks.append(f"<Placemark><name>{row.code[-3:]}</name><description><![CDATA[{table}]]></description>"
                     f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{ring}</coordinates></LinearRing>"
                     "</outerBoundaryIs></Polygon></Placemark>")
    return ('<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
            + "".join(marks) + "</Document></kml>").encode()


def test_big_descriptions_are_parsed_off_the_event_loop(app_client: TestClient, gis: dict[str, str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """/healthz answers while an upload's descriptions are being parsed (checked by the order of events)."""
    events: list[str] = []
    parsing, release = threading.Event(), threading.Event()
    real = formats.fields_from_descriptions

    def parse(frame: gpd.GeoDataFrame):  # type: ignore[no-untyped-def]
        events.append("parse started")
        parsing.set()
        release.wait(timeout=120)  # bounded so a parse on the event loop fails the test instead of hanging it
        events.append("parse finished")
        return real(frame)

    monkeypatch.setattr(formats, "fields_from_descriptions", parse)
    answers: list[object] = []
    upload = threading.Thread(target=lambda: answers.append(app_client.post(
        UPLOADS, headers=gis, data={"tier": "grid", "standalone": "true", "code_field": "编码", "name_field": "名称"},
        files={"file": ("网格.kml", io.BytesIO(_kml_with_descriptions(100_000)), "application/octet-stream")})))
    upload.start()
    try:
        assert parsing.wait(timeout=120)
        health = app_client.get("/healthz")
        events.append("healthz answered")
    finally:
        release.set()
        upload.join()
    assert health.status_code == 200
    assert events == ["parse started", "healthz answered", "parse finished"]
    answer = answers[0]
    assert answer.status_code == 200, answer.text  # type: ignore[attr-defined]
    report = answer.json()["report"]  # type: ignore[attr-defined]
    assert [row["code"] for row in report["preview"]["4"]] == [f"990101001001{k:03d}" for k in range(1, 5)]
    assert "网格.kml [网格]：4 个地标的描述超过 64 KB，只读取了前面部分" in report["notes"]


# --- rosters ----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def county_operator(db_settings: DatabaseSettings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db_settings, 'upsec-op', 'operator')}"}


def _roster_xlsx() -> bytes:
    buffer = io.BytesIO()
    pd.DataFrame({"staff_code": ["UPSEC-1"], "name": ["测试员"], "role": ["mediator"]}).to_excel(buffer, index=False)
    return buffer.getvalue()


ROSTERS = {
    "not_a_zip": ("roster.xlsx", b"staff_code,name,role\nA,b,mediator\n", "bad_roster"),
    "zip_without_workbook": ("roster.xlsx", _zip({"hello.txt": b"hello"}), "bad_roster"),
    "bomb": ("roster.xlsx", _zip({"xl/worksheets/sheet1.xml": b" " * (20 * 2**20)}), "zip_bomb"),
    "old_excel": ("roster.xls", b"\xd0\xcf\x11\xe0 an OLE2 file", "unknown_format"),
}


@pytest.mark.parametrize("case", list(ROSTERS))
def test_broken_rosters_are_a_clear_422(app_client: TestClient, county_operator: dict[str, str], case: str) -> None:
    name, content, reason = ROSTERS[case]
    answer = app_client.post("/api/v1/staff/import", headers=county_operator,
                             files={"file": (name, io.BytesIO(content), "application/octet-stream")})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["reason"] == reason
    error = answer.json()["error"]
    assert error.get("detail", error["message"]).startswith("the roster")  # not the server's temporary path
    assert "/tmp" not in answer.text


def test_broken_roster_on_the_command_line(db_settings: DatabaseSettings, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    use_database(monkeypatch, db_settings)
    bad = tmp_path / "roster.xlsx"
    bad.write_bytes(ROSTERS["zip_without_workbook"][1])
    assert cli_main(["staff", "import", str(bad)]) == 2
    assert "roster.xlsx：不是有效的 XLSX 文件" in capsys.readouterr().err
    good = tmp_path / "good.xlsx"
    good.write_bytes(_roster_xlsx())
    assert cli_main(["staff", "import", str(good)]) == 0
    assert "1 staff imported" in capsys.readouterr().out


# --- activation by town GIS users -------------------------------------------------------------------------------

TOWN_1, TOWN_2 = "990201001000", "990201002000"


def two_towns(renamed: dict[str, str] | None = None) -> dict[str, gpd.GeoDataFrame]:
    """A county of two towns, one village each, two grids per village (codes -> names overridable)."""
    x0 = X0 + 5.0  # clear of the sample county and the other tests' tiny counties
    renamed = renamed or {}

    def box(i: int, j: int, w: int = 1) -> shapely.Polygon:
        return shapely.box(x0 + i * STEP, Y0 + j * STEP, x0 + (i + w) * STEP, Y0 + (j + 1) * STEP)

    def frame(rows: list[tuple[str, str, str, shapely.Polygon]]) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame({"code": [r[0] for r in rows], "name": [renamed.get(r[0], r[1]) for r in rows],
                                 "parent_code": [r[2] for r in rows]}, geometry=[r[3] for r in rows], crs=4326)

    return {
        "county": frame([("990201", "双镇县", "", box(0, 0, 4))]),
        "towns": frame([(TOWN_1, "东镇", "990201", box(0, 0, 2)), (TOWN_2, "西镇", "990201", box(2, 0, 2))]),
        "villages": frame([("990201001001", "东村", TOWN_1, box(0, 0, 2)),
                           ("990201002001", "西村", TOWN_2, box(2, 0, 2))]),
        "grids": frame([(f"{v}{k:03d}", f"{name}{k}格", v, box(i + k - 1, 0)) for v, name, i in
                        (("990201001001", "东村", 0), ("990201002001", "西村", 2)) for k in (1, 2)]),
    }


@pytest.fixture
def county_gis(db_settings: DatabaseSettings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db_settings, 'upsec-county-gis', 'gis')}"}


@pytest.fixture
def back_to_sample(app_client: TestClient, county_gis: dict[str, str]) -> Iterator[None]:
    yield
    answer = app_client.post("/api/v1/boundaries/generations/sample-county/activate", params=OVERRIDE,
                             headers=county_gis)
    assert answer.status_code == 200, answer.text


def _commit(client: TestClient, headers: dict[str, str], layers: dict[str, gpd.GeoDataFrame], path: Path,
            name: str) -> None:
    for layer, frame in layers.items():
        frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    answer = client.post(UPLOADS, headers=headers,
                         files={"file": (path.name, path.read_bytes(), "application/geopackage+sqlite3")},
                         data={"standalone": "true", "commit": "true", "generation": name})
    assert answer.status_code == 200 and answer.json()["report"]["ok"], answer.text


def test_town_gis_users_activate_only_changes_inside_their_town(
        app_client: TestClient, db_settings: DatabaseSettings, county_gis: dict[str, str], tmp_path: Path,
        back_to_sample: None) -> None:
    tag = uuid.uuid4().hex[:6]
    versions = {"base": {}, "east": {"990201001001001": "东村一号格"}, "west": {"990201002001001": "西村一号格"},
                "town": {TOWN_1: "东镇街道"}}
    for version, renamed in versions.items():
        _commit(app_client, county_gis, two_towns(renamed), tmp_path / f"{version}.gpkg", f"towns-{version}-{tag}")

    def activate(headers: dict[str, str], version: str) -> tuple[int, str | None]:
        ref = "sample-county" if version == "sample" else f"towns-{version}-{tag}"
        answer = app_client.post(f"/api/v1/boundaries/generations/{ref}/activate", params=OVERRIDE, headers=headers)
        return answer.status_code, answer.json().get("error", {}).get("reason")

    town_gis = {"Authorization": f"Bearer {make_token(db_settings, 'upsec-town-gis', 'gis', town_code=TOWN_1)}"}
    assert activate(town_gis, "base") == (403, "outside_town")  # from the sample county: every area changes
    assert activate(county_gis, "base") == (200, None)
    assert activate(town_gis, "east") == (200, None)  # one grid of the user's own town renamed
    assert activate(town_gis, "west") == (403, "outside_town")  # the other town's grid
    assert activate(town_gis, "town") == (403, "outside_town")  # the town itself is the county's to change
    assert activate(town_gis, "sample") == (403, "outside_town")
    assert activate(county_gis, "west") == (200, None)
