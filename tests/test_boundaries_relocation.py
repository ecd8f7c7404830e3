"""Trial item 1: cases logged by grid code follow a boundary update (re-coded, removed, split grids), cases
that cannot be placed are listed, and every relocation is in the case's timeline."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely
from fastapi.testclient import TestClient

from api.cli import main as cli_main
from gis.settings import DatabaseSettings
from gis.storage import areas
from gis.storage.pool import connect
from tests.conftest import make_token, use_database
from tests.fixtures.boundaries.make_fixtures import clean_layers

OVERRIDE = {"override": "true"}  # test generations replace the county: activation needs it

DX = 2.0  # the tiny county moved 2 degrees east, clear of the sample county (other tests' cases stay put)
G = "990101001001"  # village code; grids are G + 001..004


def _east(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.set_geometry(shapely.transform(frame.geometry.values, lambda xy: xy + [DX, 0.0]))


def _box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(x0 + DX, y0, x1 + DX, y1)


def _write(layers: dict[str, gpd.GeoDataFrame], path: Path) -> Path:
    for name, frame in layers.items():
        frame.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
    return path


def _grids(rows: list[tuple[str, shapely.Polygon]]) -> gpd.GeoDataFrame:
    names = {"003": "测试村第3网格", "004": "测试村第4网格"}  # kept grids keep their names
    return gpd.GeoDataFrame({"code": [G + c for c, _ in rows], "name": [names.get(c, f"网格{c}") for c, _ in rows],
                             "parent_code": [G] * len(rows)}, geometry=[g for _, g in rows], crs=4326)


@pytest.fixture
def gis_headers(db_settings: DatabaseSettings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db_settings, 'gis-reloc', 'gis')}"}


@pytest.fixture
def restore_sample(app_client: TestClient, gis_headers: dict[str, str]) -> Iterator[None]:
    yield
    app_client.post("/api/v1/boundaries/generations/sample-county/activate", params=OVERRIDE, headers=gis_headers)


def _load(client: TestClient, headers: dict[str, str], path: Path, name: str) -> None:
    with path.open("rb") as handle:
        answer = client.post("/api/v1/boundaries/uploads", headers=headers,
                             files={"file": (path.name, handle, "application/octet-stream")},
                             data={"standalone": "true", "commit": "true", "generation": name})
    assert answer.status_code == 200 and answer.json()["report"]["ok"], answer.text
    assert client.post(f"/api/v1/boundaries/generations/{name}/activate", params=OVERRIDE,
                       headers=headers).status_code == 200


def _case(client: TestClient, headers: dict[str, str], **where: Any) -> int:
    answer = client.post("/api/v1/cases", headers={**headers, "Idempotency-Key": uuid.uuid4().hex}, json={
        "category": "0201", "source_channel": "walk_in", "description": "边界调整测试", **where})
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def test_grid_code_cases_follow_a_boundary_update(app_client: TestClient, gis_headers: dict[str, str],
                                                  admin_headers: dict[str, str], tmp_path: Path,
                                                  db_settings: DatabaseSettings, restore_sample: None,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    v1 = {name: _east(frame) for name, frame in clean_layers().items()}
    _load(app_client, gis_headers, _write(v1, tmp_path / "v1.gpkg"), "trial-v1")
    ids = {k: _case(app_client, admin_headers, grid_code=G + k) for k in ("001", "002", "003", "004")}
    ids["point"] = _case(app_client, admin_headers, lon=114.615 + DX, lat=24.115)  # in grid 002
    # v2: grid 001 re-coded 009; 002 removed, 70 % of it in a new 010, the rest added to a reshaped 004
    v2 = {**v1, "grids": _grids([
        ("009", v1["grids"].geometry.iloc[0]),  # the very same shape, re-coded: found without an overlay
        ("010", _box(114.61, 24.11, 114.617, 24.12)),
        ("003", v1["grids"].geometry.iloc[2]),
        ("004", shapely.union(_box(114.617, 24.11, 114.62, 24.12), _box(114.61, 24.10, 114.62, 24.11)))])}
    v2_path = _write(v2, tmp_path / "v2.gpkg")
    with v2_path.open("rb") as handle:
        stored = app_client.post("/api/v1/boundaries/uploads", headers=gis_headers,
                                 files={"file": ("v2.gpkg", handle, "application/octet-stream")},
                                 data={"standalone": "true", "commit": "true", "generation": "trial-v2"})
    assert stored.status_code == 200 and stored.json()["report"]["ok"], stored.text
    diff = app_client.get("/api/v1/boundaries/diff", params={"old": "trial-v1", "new": "trial-v2"},
                          headers=gis_headers).json()
    mine = {c["id"]: c for c in diff["cases"] if c["id"] in ids.values()}
    assert {c["id"]: (c["old_grid"], c["new_grid"], c["how"], c["overlap_share"]) for c in mine.values()} == {
        ids["001"]: (G + "001", G + "009", "grid_overlap", 1.0),
        ids["002"]: (G + "002", G + "010", "grid_overlap", 0.7),
        ids["point"]: (G + "002", G + "010", "point", None),
    }
    assert diff["open_cases_moving"] == {"grid": 3, "village": 0, "town": 0}
    assert diff["open_cases_unplaced"] == 0 and diff["unplaced"] == []
    assert diff["grids"] == {"added": 2, "removed": 2, "changed": 1}, diff["details"]  # 004 reshaped

    assert app_client.post("/api/v1/boundaries/generations/trial-v2/activate", params=OVERRIDE,
                           headers=gis_headers).status_code == 200
    moved = app_client.post("/api/v1/boundaries/relocate", headers=gis_headers, params={"to": "trial-v2"}).json()
    got = {c["id"]: (c["new_grid"], c["how"]) for c in moved["cases"] if c["id"] in ids.values()}
    assert got == {ids["001"]: (G + "009", "grid_overlap"), ids["002"]: (G + "010", "grid_overlap"),
                   ids["003"]: (G + "003", "grid_code"), ids["004"]: (G + "004", "grid_code"),
                   ids["point"]: (G + "010", "point")}
    assert not [c for c in moved["unplaced"] if c["id"] in ids.values()]
    case = app_client.get(f"/api/v1/cases/{ids['002']}", headers=admin_headers).json()
    assert case["grid_code"] == G + "010" and case["located_by"] == "grid_code"
    assert (case["locate_evidence"]["relocated_by"], case["locate_evidence"]["previous_grid"],
            case["locate_evidence"]["overlap_share"]) == ("grid_overlap", G + "002", 0.7)
    entry = [t for t in case["timeline"] if t["action"] == "relocate"]
    assert [(t["note"], t["actor_name"], t["from_state"] == t["to_state"]) for t in entry] == [(
        f"boundary update: grid {G}002 -> {G}010 in generation trial-v2 (the new grid covering most of the old "
        "one, 70.0 %)", "gis-reloc", True)]
    assert entry[0]["detail"]["relocated_by"] == "grid_overlap"

    # v3: only the western half is left; cases in the east cannot be placed and are listed, not dropped
    half = _box(114.60, 24.10, 114.61, 24.12)
    v3 = {name: frame.set_geometry([half]) for name, frame in v2.items() if name != "grids"}
    v3["grids"] = _grids([("009", _box(114.60, 24.11, 114.61, 24.12)), ("003", _box(114.60, 24.10, 114.61, 24.11))])
    _load(app_client, gis_headers, _write(v3, tmp_path / "v3.gpkg"), "trial-v3")
    use_database(monkeypatch, db_settings)
    capsys.readouterr()
    assert cli_main(["boundaries", "relocate", "--dry-run"]) == 1  # 1: some cases could not be placed
    lines = capsys.readouterr().out.splitlines()
    with connect(db_settings) as conn:
        v2_id = areas.get_generation(conn, ref="trial-v2").id
    mine = [line for line in lines if any(f"案件 {i}：" in line for i in ids.values())]
    assert mine == [f"  案件 {ids['002']}：版本 {v2_id} 的网格 {G}010（按网格代码定位）",
                    f"  案件 {ids['004']}：版本 {v2_id} 的网格 {G}004（按网格代码定位）",
                    f"  案件 {ids['point']}：版本 {v2_id} 的网格 {G}010（按位置定位）"]
    assert lines[0] == "2 件未办结案件将迁移到启用版本"  # 009 and 003 keep their codes
    for case_id in ids.values():
        app_client.post(f"/api/v1/cases/{case_id}/transitions", headers=admin_headers,
                        json={"action": "return", "note": "测试结束"})


