"""Boundary loading: formats, encodings, CRS, the validation report, generations, diff, relocation, export."""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import psycopg
import pytest
import shapely
from fastapi.testclient import TestClient
from pyproj import Geod

from gis.boundaries.load import LoadOptions, commit, prepare
from gis.errors import InvalidInput, TooLarge
from gis.settings import DatabaseSettings
from tests.conftest import make_token, settle, use_database
from tests.fixtures.boundaries.make_fixtures import CORPUS, VARIANTS, write_corpus

OVERRIDE = {"override": "true"}  # test generations replace the county: activation needs it

VILLAGES = ("449901001008", "449901001001")
RARE = ["喆", "赟", "𬌗"]


@pytest.fixture(scope="module")
def corpus() -> dict[str, Path]:
    """The committed corpus: one folder of GeoJSON layers per variant."""
    return {name: CORPUS / name for name in VARIANTS}


def test_committed_corpus_is_what_the_script_writes(tmp_path: Path) -> None:
    for name, folder in write_corpus(tmp_path).items():
        for path in sorted(folder.iterdir()):
            assert path.read_bytes() == (CORPUS / name / path.name).read_bytes(), f"{name}/{path.name}"


@pytest.fixture(scope="module")
def some_grids(sample_gpkg: Path) -> gpd.GeoDataFrame:
    grids = gpd.read_file(sample_gpkg, layer="grids")
    subset = grids[grids.parent_code.isin(VILLAGES)].sort_values("code").reset_index(drop=True)
    subset["name"] = [f"{n}{RARE[i % 3]}" for i, n in enumerate(subset.name)]  # rare characters survive?
    return subset[["code", "name", "parent_code", "geometry"]]


EXPECTED_FINDINGS = {
    "clean": {},
    "bowtie": {"gap": 1, "invalid_geometry": 1},
    "overlap": {"sibling_overlap": 1},
    "gap": {"gap": 1},
    "outside": {"child_outside_parent": 1},
    "inside": {"sibling_overlap": 1},
    "duplicate": {"duplicate_code": 1},
    "swapped": {"lat_lon_swapped": 1},
    "gcj02": {"child_outside_parent": 3, "gap": 1, "suspected_gcj02": 1},
    "bd09": {"child_outside_parent": 4, "gap": 1, "suspected_bd09": 1},
}


@pytest.mark.parametrize("variant", list(EXPECTED_FINDINGS))
def test_broken_corpus_gives_exactly_the_expected_findings(conn: psycopg.Connection, corpus: dict[str, Path],
                                                           variant: str) -> None:
    report = prepare(conn, corpus[variant], LoadOptions(standalone=True)).report
    assert report.summary() == EXPECTED_FINDINGS[variant]
    assert report.ok == (variant == "clean")


def test_finding_details(conn: psycopg.Connection, corpus: dict[str, Path]) -> None:
    overlap = prepare(conn, corpus["overlap"], LoadOptions(standalone=True)).report.findings[0]
    assert (overlap.feature, overlap.message) == ("990101001001001", "overlaps 990101001001002")
    assert overlap.area_m2 == pytest.approx(112_349, rel=0.01)  # 100 m x 1,110 m
    inside = prepare(conn, corpus["inside"], LoadOptions(standalone=True)).report.findings[0]
    assert (inside.feature, inside.message) == ("990101001001001", "overlaps 990101001001005")
    assert inside.area_m2 == pytest.approx(101_340, rel=0.01)  # 300 m x 330 m, geodesic area by pyproj.Geod
    bowtie = prepare(conn, corpus["bowtie"], LoadOptions(standalone=True)).report.findings
    invalid = next(f for f in bowtie if f.code == "invalid_geometry")
    assert invalid.message.startswith("Self-intersection") and "make_valid(method='structure')" in invalid.repair
    repaired = prepare(conn, corpus["bowtie"], LoadOptions(standalone=True, repair=True)).report
    assert repaired.summary() == {"gap": 2, "invalid_geometry": 1}  # the repaired bowtie: two triangles
    assert [f.severity for f in repaired.findings if f.code == "invalid_geometry"] == ["warning"]
    declared = prepare(conn, corpus["gcj02"], LoadOptions(standalone=True, crs="wgs84")).report
    # staff who insist the file is WGS84 get the suspicion as a warning, not a block
    assert [f.severity for f in declared.findings if f.code == "suspected_gcj02"] == ["warning"]


@pytest.mark.parametrize("county, code, name, area_m2", [
    ("heping", "441624", "和平县", 2_290_846_616), ("haifeng", "441521", "海丰县", 1_799_717_797),
])  # areas: pyproj.Geod(ellps="WGS84") over the WGS84 twin files
def test_gcj02_fixture_round_trips_within_a_metre(conn: psycopg.Connection, counties: Path, county: str, code: str,
                                                  name: str, area_m2: int) -> None:
    folder = counties
    prepared = prepare(conn, folder / f"{county}_county_gcj02_raw.geojson",
                       LoadOptions(tier="county", crs="gcj02", code_field="adcode", standalone=True))
    assert prepared.report.findings == [] and "gcj02 converted to WGS84 (iterative inverse)" in prepared.report.notes[0]
    truth = shapely.union_all(gpd.read_file(folder / f"{county}_county.geojson").geometry.values)
    got = prepared.areas.geometry.iloc[0]
    assert (prepared.areas.code.iloc[0], prepared.areas.name.iloc[0]) == (code, name)
    assert shapely.hausdorff_distance(got, truth) < 1e-5  # under a metre
    assert abs(Geod(ellps="WGS84").geometry_area_perimeter(got)[0]) == pytest.approx(area_m2, rel=1e-6)


def test_missing_crs_says_what_the_coordinates_look_like(conn: psycopg.Connection, some_grids: gpd.GeoDataFrame,
                                                         tmp_path: Path) -> None:
    shp = tmp_path / "gk.shp"
    some_grids.to_crs("EPSG:4526").to_file(shp, engine="pyogrio")
    shp.with_suffix(".prj").unlink()
    with pytest.raises(InvalidInput) as err:
        prepare(conn, shp, LoadOptions(tier="grid"))
    assert err.value.reason == "missing_crs"
    assert "Gauss-Kruger metres with the zone prefix 38" in err.value.message and "EPSG:4526" in err.value.message
    ok = prepare(conn, shp, LoadOptions(tier="grid", crs="EPSG:4526"))
    assert ok.report.ok


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize("case, reason", [
    ("corrupt_zip", "corrupt_zip"), ("empty_zip", "empty_zip"), ("escaping_zip", "zip_path"),
    ("zip_bomb", "zip_bomb"), ("shp_without_dbf", "shapefile_incomplete"), ("unknown", "unknown_format"),
    ("nan", "non_finite_coordinates"), ("huge_polygon", "too_many_vertices"), ("too_large", "too_large"),
    ("xlsx_bomb", "zip_bomb"), ("damaged_zip", "corrupt_zip"), ("old_excel", "unknown_format"),
    ("unknown_encoding", "unreadable_file"),
])
def test_bad_files_are_refused_clearly(conn: psycopg.Connection, corpus: dict[str, Path], tmp_path: Path,
                                       case: str, reason: str) -> None:
    options = LoadOptions(tier="grid")
    if case == "corrupt_zip":
        path = tmp_path / "bad.zip"
        path.write_bytes(b"PK\x03\x04 this is not really a zip")
    elif case == "empty_zip":
        path = _zip(tmp_path / "empty.zip", {})
    elif case == "escaping_zip":
        path = _zip(tmp_path / "evil.zip", {"/".join(["..", "..", "etc", "grids.geojson"]): b"{}"})
    elif case == "zip_bomb":
        path = _zip(tmp_path / "bomb.zip", {"grids.geojson": b"\0" * (20 * 2**20)})
    elif case == "shp_without_dbf":
        gpd.read_file(corpus["clean"] / "grids.geojson").to_file(tmp_path / "g.shp", engine="pyogrio")
        (tmp_path / "g.dbf").unlink()
        path = tmp_path / "g.shp"
    elif case == "unknown":
        path = tmp_path / "grids.abc"
        path.write_text("hello")
    elif case == "nan":
        path = tmp_path / "nan.csv"
        path.write_text("code,name,wkt\n1,a,\"POLYGON((114 24, nan 24, 114.1 24.1, 114 24))\"\n")
    elif case == "xlsx_bomb":
        path = _zip(tmp_path / "grids.xlsx", {"xl/worksheets/sheet1.xml": b" " * (20 * 2**20)})
    elif case == "damaged_zip":
        path = _zip(tmp_path / "damaged.zip", {"grids.geojson": b'{"type": "FeatureCollection", "features": []}'})
        data = bytearray(path.read_bytes())
        data[30 + len("grids.geojson") + 2] ^= 0xFF  # a byte of the deflated data: fails on extraction
        path.write_bytes(bytes(data))
    elif case == "old_excel":
        path = tmp_path / "grids.xls"
        path.write_bytes(b"\xd0\xcf\x11\xe0 an OLE2 file")
    elif case == "unknown_encoding":
        path, options = tmp_path / "grids.csv", LoadOptions(tier="grid", encoding="klingon")
        path.write_text("code,name,wkt\n1,a,\"POLYGON((114 24, 114.1 24, 114.1 24.1, 114 24))\"\n")
    elif case == "huge_polygon":
        path, options = corpus["clean"], LoadOptions(standalone=True, max_vertices=4)
    else:
        path, options = corpus["clean"], LoadOptions(standalone=True, max_bytes=1000)
    with pytest.raises((InvalidInput, TooLarge)) as err:
        prepare(conn, path, options)
    assert err.value.reason == reason
    assert path.name in err.value.message or case in ("huge_polygon", "nan")


def test_blocked_commit_writes_nothing(conn: psycopg.Connection, corpus: dict[str, Path]) -> None:
    before = conn.execute("SELECT count(*) FROM generations").fetchone()
    prepared = prepare(conn, corpus["overlap"], LoadOptions(standalone=True))
    with pytest.raises(InvalidInput) as err:
        commit(conn, prepared, name="should-not-exist")
    assert err.value.reason == "validation_failed"
    assert conn.execute("SELECT count(*) FROM generations").fetchone() == before


@pytest.fixture
def gis_headers(db_settings: DatabaseSettings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db_settings, 'gis-staff', 'gis')}"}


@pytest.fixture
def restore_sample(app_client: TestClient, gis_headers: dict[str, str]) -> Iterator[None]:
    yield
    app_client.post("/api/v1/boundaries/generations/sample-county/activate", params=OVERRIDE, headers=gis_headers)
    settle(app_client)


def upload(client: TestClient, headers: dict[str, str], path: Path, **form: Any) -> Any:
    if path.is_dir():  # a folder travels as a zip, as GIS staff send one
        path = Path(shutil.make_archive(str(Path(tempfile.mkdtemp()) / path.name), "zip", root_dir=path))
    with path.open("rb") as handle:
        return client.post("/api/v1/boundaries/uploads", headers=headers,
                           files={"file": (path.name, handle, "application/octet-stream")},
                           data={k: str(v).lower() if isinstance(v, bool) else v for k, v in form.items()})


def test_generations_activation_diff_and_relocation(app_client: TestClient, gis_headers: dict[str, str],
                                                    corpus: dict[str, Path], tmp_path: Path,
                                                    conn: psycopg.Connection, restore_sample: None,
                                                    admin_headers: dict[str, str]) -> None:
    dry = upload(app_client, gis_headers, corpus["clean"], standalone=True)
    assert dry.status_code == 200 and dry.json()["generation"] is None and dry.json()["report"]["ok"] is True
    stored = upload(app_client, gis_headers, corpus["clean"], standalone=True, commit=True, generation="tiny-v1")
    assert stored.json()["generation"]["name"] == "tiny-v1" and stored.json()["generation"]["is_active"] is False
    again = upload(app_client, gis_headers, corpus["clean"], standalone=True, commit=True, generation="tiny-v1")
    assert again.status_code == 409, again.text  # names are unique; nothing half-written
    anonymous = app_client.get("/api/v1/boundaries/generations/tiny-v1/report")
    assert anonymous.status_code == 401  # reports and exports need a signed-in role
    kept = app_client.get("/api/v1/boundaries/generations/tiny-v1/report", headers=gis_headers).json()
    assert kept["ok"] is True and kept["counts"] == {"1": 1, "2": 1, "3": 1, "4": 4}
    sample = app_client.get("/api/v1/boundaries/generations/sample-county/report", headers=gis_headers)
    assert sample.status_code == 404 and sample.json()["error"]["reason"] == "no_report"
    blocked = upload(app_client, gis_headers, corpus["gap"], standalone=True, commit=True)
    assert blocked.status_code == 422 and blocked.json()["error"]["reason"] == "validation_failed"
    operator = {"Authorization": f"Bearer {make_token(conn_settings(conn), 'op-bnd', 'operator')}"}
    assert app_client.post("/api/v1/boundaries/generations/tiny-v1/activate",
                           params=OVERRIDE, headers=operator).status_code == 403
    assert app_client.post("/api/v1/boundaries/generations/tiny-v1/activate", params=OVERRIDE,
                           headers=gis_headers).status_code == 200
    settle(app_client)  # every process rebuilds its index in the background
    where = app_client.get("/api/v1/locate", params={"lon": 114.605, "lat": 24.115}).json()
    assert where["grid_code"] == "990101001001001" and where["generation_name"] == "tiny-v1"
    keyed = {**admin_headers, "Idempotency-Key": "boundaries-relocate-1"}
    case = app_client.post("/api/v1/cases", headers=keyed, json={
        "category": "0201", "source_channel": "walk_in", "description": "边界调整测试", "lon": 114.605, "lat": 24.115})
    assert case.status_code == 201, case.text
    # v2: grids 1 and 2 swap codes (a renumbering)
    layers = {name: gpd.read_file(corpus["clean"] / f"{name}.geojson") for name in ("county", "towns", "villages",
                                                                                     "grids")}
    grids = layers["grids"]
    grids.loc[[0, 1], "code"] = [grids.code[1], grids.code[0]]
    v2 = tmp_path / "v2.gpkg"
    for name, frame in layers.items():
        frame.to_file(v2, layer=name, driver="GPKG", engine="pyogrio")
    assert upload(app_client, gis_headers, v2, standalone=True, commit=True, generation="tiny-v2").status_code == 200
    assert app_client.get("/api/v1/boundaries/diff", params={"old": "tiny-v1", "new": "tiny-v2"}).status_code == 401
    diff = app_client.get("/api/v1/boundaries/diff", params={"old": "tiny-v1", "new": "tiny-v2"},
                          headers=gis_headers).json()
    assert diff["grids"] == {"added": 0, "removed": 0, "changed": 2}
    assert diff["open_cases_moving"] == {"grid": 1, "village": 0, "town": 0}
    assert app_client.post("/api/v1/boundaries/generations/tiny-v2/activate", params=OVERRIDE,
                           headers=gis_headers).status_code == 200
    settle(app_client)
    kept = app_client.get(f"/api/v1/cases/{case.json()['id']}", headers=admin_headers).json()
    assert kept["grid_code"] == "990101001001001"  # cases keep the generation they were located in
    stale = app_client.post("/api/v1/boundaries/relocate", headers=gis_headers, params={"to": "tiny-v1"})
    assert stale.status_code == 422 and stale.json()["error"]["reason"] == "generation_not_active"
    moved = app_client.post("/api/v1/boundaries/relocate", headers=gis_headers, params={"to": "tiny-v2"}).json()
    assert case.json()["id"] in [c["id"] for c in moved["cases"]]
    after = app_client.get(f"/api/v1/cases/{case.json()['id']}", headers=admin_headers).json()
    assert after["grid_code"] == "990101001001002" and after["locate_evidence"]["previous_grid"] == "990101001001001"
    conn.rollback()
    audit = conn.execute("SELECT detail->>'new_grid' FROM audit_log WHERE action = 'case.relocate'"
                         " AND object_id = %s", (str(case.json()["id"]),)).fetchall()
    assert audit == [("990101001001002",)]
    app_client.post(f"/api/v1/cases/{case.json()['id']}/transitions", headers=admin_headers,
                    json={"action": "return", "note": "测试结束"})


def conn_settings(conn: psycopg.Connection) -> DatabaseSettings:
    return DatabaseSettings(database_url=conn.info.dsn)


def test_exports(app_client: TestClient, tmp_path: Path, gis_headers: dict[str, str]) -> None:
    geojson = app_client.get("/api/v1/boundaries/generations/sample-county/export",
                             params={"tier": "town", "format": "geojson"}, headers=gis_headers)
    assert geojson.status_code == 200 and geojson.headers["content-type"] == "application/geo+json"
    doc = json.loads(geojson.content)
    assert len(doc["features"]) == 17 and "crs" not in doc  # RFC 7946: WGS84, no crs member
    shp = app_client.get("/api/v1/boundaries/generations/sample-county/export",
                         params={"tier": "town", "format": "shp"}, headers=gis_headers)
    archive = zipfile.ZipFile(io.BytesIO(shp.content))
    assert archive.read("sample-county-town.cpg") == b"GB18030"
    archive.extractall(tmp_path)
    towns = gpd.read_file(tmp_path / "sample-county-town.shp", encoding="GB18030")
    assert sorted(towns.name)[:2] == sorted(doc_feature["properties"]["name"] for doc_feature in doc["features"])[:2]
    gpkg = app_client.get("/api/v1/boundaries/generations/sample-county/export", params={"tier": "grid",
                                                                                          "format": "gpkg"},
                          headers=gis_headers)
    (tmp_path / "g.gpkg").write_bytes(gpkg.content)
    assert len(gpd.read_file(tmp_path / "g.gpkg")) == 8535


def test_upload_limits_over_http(db_settings: DatabaseSettings, gis_headers: dict[str, str]) -> None:
    from api.main import create_app
    from gis.settings import AppSettings

    with TestClient(create_app(AppSettings(max_upload_mb=1), db_settings)) as small:
        big = small.post("/api/v1/boundaries/uploads", headers=gis_headers,
                         files={"file": ("big.geojson", b"x" * (2 * 2**20), "application/geo+json")})
        assert big.status_code == 413 and big.json()["error"]["reason"] == "too_large"
        boundary = "fengqiao-test-boundary"

        def chunked() -> Iterator[bytes]:  # no Content-Length: the limit must be counted while streaming
            yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.geojson\"\r\n"
                   "Content-Type: application/geo+json\r\n\r\n").encode()
            for _ in range(3 * 16):
                yield b"x" * 2**16
            yield f"\r\n--{boundary}--\r\n".encode()

        streamed = small.post("/api/v1/boundaries/uploads", headers={
            **gis_headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}, content=chunked())
        assert streamed.status_code == 413 and streamed.json()["error"]["reason"] == "too_large"
        nameless = small.post("/api/v1/boundaries/uploads", headers=gis_headers,
                              files={"file": ("grids.abc", b"hello", "text/plain")})
        assert nameless.status_code == 422 and nameless.json()["error"]["reason"] == "unknown_format"


def test_report_map_is_offline_and_marks_problems(conn: psycopg.Connection, corpus: dict[str, Path],
                                                  tmp_path: Path) -> None:
    from maps.report_map import report_map

    prepared = prepare(conn, corpus["overlap"], LoadOptions(standalone=True))
    out = tmp_path / "problems.html"
    report_map(prepared).save(str(out))
    html = out.read_text(encoding="utf-8")
    import re

    assert not re.findall(r'<(?:script|link)[^>]+(?:src|href)="https?://', html)  # no CDN: intranets have none
    assert "L.map(" in html and "overlaps 990101001001002" in html
    assert "circleMarker" in html.replace("circle_marker", "circleMarker")


def test_cli_load_dry_run_and_commit(db_settings: DatabaseSettings, corpus: dict[str, Path], tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from api.cli import main as cli_main

    use_database(monkeypatch, db_settings)
    report = tmp_path / "report.json"
    assert cli_main(["boundaries", "load", str(corpus["gap"]), "--standalone", "--report-json", str(report)]) == 1
    assert json.loads(report.read_text(encoding="utf-8"))["summary"] == {"gap": 1}
    out = capsys.readouterr().out
    assert "不通过，不能提交（错误 1 项，提醒 0 项）" in out and "缝隙：有范围不属于任何下级区划" in out
    assert "（测试村）" in out  # names beside codes
    assert cli_main(["boundaries", "load", str(tmp_path / "nothing.geojson")]) == 2
    assert "nothing.geojson: no such file" in capsys.readouterr().err


def test_parents_inferred_by_containment(conn: psycopg.Connection, corpus: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "no_parents.gpkg"
    for layer in ("county", "towns", "villages", "grids"):
        frame = gpd.read_file(corpus["outside"] / f"{layer}.geojson")
        frame.drop(columns="parent_code").to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    prepared = prepare(conn, path, LoadOptions(standalone=True))
    assert prepared.report.summary() == {"gap": 1, "missing_parent": 1}
    missing = next(f for f in prepared.report.findings if f.code == "missing_parent")
    assert (missing.feature, missing.message) == (
        "990101001001004", "no parent holds 99 % of it (best 66.7% in 990101001001)")
    inferred = prepared.areas.set_index("code").parent_code
    assert inferred["990101001001001"] == "990101001001" and inferred["990101001000"] == "990101"


def test_cli_list_export_and_relocate_guard(db_settings: DatabaseSettings, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
                                            ) -> None:
    from api.cli import main as cli_main

    use_database(monkeypatch, db_settings)
    assert cli_main(["boundaries", "list"]) == 0
    assert "* sample-county" in capsys.readouterr().out
    out = tmp_path / "towns.shp"
    assert cli_main(["boundaries", "export", "sample-county", "--tier", "town", "--format", "shp",
                     "--out", str(out)]) == 0
    assert out.with_suffix(".cpg").read_text() == "GB18030"
    towns = gpd.read_file(out, encoding="GB18030").sort_values("code")
    assert len(towns) == 17
    assert [(towns.code.iloc[k], towns.name.iloc[k]) for k in (0, -1)] == [
        ("449901001000", "隆联街道"), ("449901115000", "沙星镇")]
    assert cli_main(["boundaries", "relocate", "--to", "no-such-generation", "--dry-run"]) == 2
    assert "no-such-generation" in capsys.readouterr().err


def test_numeric_codes_null_names_and_codes_shared_across_tiers(conn: psycopg.Connection,
                                                                 some_grids: gpd.GeoDataFrame, tmp_path: Path) -> None:
    frame = some_grids.copy()
    frame["code"] = frame.code.astype(float)  # what a dBase N(15,0) field or a spreadsheet gives
    frame["parent_code"] = frame.parent_code.astype(float)
    frame.loc[0, "name"] = None
    path = tmp_path / "numeric.geojson"
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    prepared = prepare(conn, path, LoadOptions(tier="grid"))
    got = prepared.areas[prepared.areas.tier == 4].sort_values("code")
    assert list(got.code[:2]) == ["449901001001001", "449901001001002"]
    assert list(got.name[:2]) == ["449901001001001", some_grids.name[1]]  # no name: the code stands in
    assert got.parent_code.iloc[0] == "449901001001"
    # 29 grids of 2 villages: a partial update; the other villages keep their grids from the active generation
    assert prepared.report.summary() == {}
    assert (prepared.areas.tier == 4).sum() == 8535
    clash = some_grids.copy()
    clash.loc[0, "code"] = "449901001008"  # a village's code, kept from the active generation
    clash.to_file(tmp_path / "clash.geojson", driver="GeoJSON", engine="pyogrio")
    report = prepare(conn, tmp_path / "clash.geojson", LoadOptions(tier="grid")).report
    assert [(f.code, f.feature, f.message) for f in report.errors] == [
        ("duplicate_code", "449901001008", "code used in tiers [3, 4]")]


def test_degrees_declared_but_metres_given(conn: psycopg.Connection, some_grids: gpd.GeoDataFrame,
                                           tmp_path: Path) -> None:
    path = tmp_path / "metres.geojson"  # GeoJSON is WGS84 by definition; these are GK zone-38 metres
    some_grids.to_crs("EPSG:4526").set_crs("EPSG:4326", allow_override=True).to_file(path, engine="pyogrio")
    with pytest.raises(InvalidInput) as err:
        prepare(conn, path, LoadOptions(tier="grid"))
    assert err.value.reason == "crs_mismatch"
    assert "metres.geojson" in err.value.message and "zone prefix 38" in err.value.message
    assert "(or gk38)" in err.value.message
    report = prepare(conn, path, LoadOptions(tier="grid", crs="gk38")).report
    assert report.ok  # the rest of the county carried forward; edges met through GK metres may differ by a hair
    assert set(report.summary()) <= {"sibling_overlap"} and all(f.severity == "warning" for f in report.findings)


class _GbkName(zipfile.ZipInfo):
    """A member name stored as GBK bytes without the UTF-8 flag, as Chinese Windows zips them."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:  # noqa: N802 (zipfile's name)
        return self.filename.encode("gb18030"), self.flag_bits


def test_zip_with_gbk_member_names(conn: psycopg.Connection, corpus: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "grids.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(_GbkName("云溪县网格.geojson"), (corpus["clean"] / "grids.geojson").read_bytes())
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() != ["云溪县网格.geojson"]  # what a plain reader sees: cp437 mojibake
    report = prepare(conn, path, LoadOptions(tier="grid", standalone=True)).report
    assert report.notes[0] == "grids.zip:云溪县网格.geojson [云溪县网格] -> tier 4: EPSG:4326 from the file"


def test_chinese_layer_names_give_the_tiers(conn: psycopg.Connection, corpus: dict[str, Path], tmp_path: Path) -> None:
    names = {"county": "测试县", "towns": "测试县乡镇街道", "villages": "测试县村居", "grids": "测试县网格"}
    for layer, chinese in names.items():
        shutil.copy(corpus["clean"] / f"{layer}.geojson", tmp_path / f"{chinese}.geojson")
    prepared = prepare(conn, tmp_path, LoadOptions(standalone=True))
    assert prepared.report.findings == [] and prepared.report.counts == {1: 1, 2: 1, 3: 1, 4: 4}
