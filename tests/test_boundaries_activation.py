"""Activation: a one-town update carries the county forward; the preview says what changes; the override guard;
who may activate (gis.policy.may_activate); the command line asks and speaks Chinese."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from fastapi.testclient import TestClient

from gis.models import User
from gis.policy import may_activate
from gis.settings import DatabaseSettings
from tests.conftest import make_token, use_database
from tests.fixtures.boundaries.make_fixtures import CORPUS

TOWN = "449901100000"  # 隆塘镇
UPLOADS = "/api/v1/boundaries/uploads"


def merged_town_grids(sample_gpkg: Path) -> tuple[gpd.GeoDataFrame, str, str]:
    """One town's grids with two neighbours of one village merged: the first keeps its code, the second goes."""
    villages = gpd.read_file(sample_gpkg, layer="villages")
    grids = gpd.read_file(sample_gpkg, layer="grids")
    mine = grids[grids.parent_code.isin(set(villages.code[villages.parent_code == TOWN]))].reset_index(drop=True)
    first = mine.iloc[0]
    second = next(r for r in mine.itertuples() if r.parent_code == first.parent_code and r.code != first.code
                  and shapely.intersection(r.geometry, first.geometry).length > 0)
    mine.loc[0, "geometry"] = shapely.union(first.geometry, second.geometry)
    mine = mine[mine.code != second.code]
    return mine[["code", "name", "parent_code", "geometry"]], str(first.code), str(second.code)


def upload(client: TestClient, headers: dict[str, str], path: Path, **form: str) -> dict:  # type: ignore[type-arg]
    answer = client.post(UPLOADS, headers=headers, files={"file": (path.name, path.read_bytes(), "application/json")},
                         data=form)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


@pytest.fixture
def gis_headers(db_settings: DatabaseSettings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db_settings, 'gis-activation', 'gis')}"}


def test_one_town_update_carries_the_county_forward_and_the_preview_says_what_changes(
        app_client: TestClient, gis_headers: dict[str, str], sample_gpkg: Path, tmp_path: Path) -> None:
    grids, kept, gone = merged_town_grids(sample_gpkg)
    path = tmp_path / "隆塘镇网格.geojson"
    grids.to_file(path, engine="pyogrio")
    body = upload(app_client, gis_headers, path, tier="grid", commit="true", generation="one-town-merge")
    report = body["report"]
    assert report["ok"] is True, report["findings"]
    assert report["counts"]["4"] == 8534  # 8,535 less the merged one: the other 16 towns' grids carried forward
    assert "childless_parent" not in report["summary"]
    preview = app_client.get("/api/v1/boundaries/generations/one-town-merge/activation", headers=gis_headers).json()
    assert preview["tiers"]["4"] == {"added": 0, "removed": 1, "changed": 1}
    assert preview["tiers"]["3"] == {"added": 0, "removed": 0, "changed": 0}
    assert {(c["code"], c["change"]) for c in preview["changes"]} == {(kept, "changed"), (gone, "removed")}
    assert preview["grids_active"] == 8535 and preview["grids_removed"] == 1
    assert preview["needs_override"] is False and preview["may_activate"] is True
    assert preview["changed_towns"] == [TOWN] and preview["county_wide"] is False


def test_a_generation_removing_most_grids_needs_an_override(
        app_client: TestClient, gis_headers: dict[str, str], db_settings: DatabaseSettings,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from api.cli import main as cli_main

    folder = CORPUS / "clean"
    files = {"file": ("clean.zip", _zip(folder), "application/zip")}
    answer = app_client.post(UPLOADS, headers=gis_headers, files=files,
                             data={"standalone": "true", "commit": "true", "generation": "tiny-guard"})
    assert answer.status_code == 200, answer.text
    preview = app_client.get("/api/v1/boundaries/generations/tiny-guard/activation", headers=gis_headers).json()
    assert preview["needs_override"] is True and preview["override_reasons"] == ["removes_grids"]
    assert preview["grids_removed"] == 8535 and preview["tiers"]["4"]["added"] == 4
    refused = app_client.post("/api/v1/boundaries/generations/tiny-guard/activate", headers=gis_headers)
    assert refused.status_code == 409 and refused.json()["error"]["reason"] == "activation_needs_override"
    assert "8,535" in refused.json()["error"]["message"]
    use_database(monkeypatch, db_settings)
    assert cli_main(["boundaries", "activate", "tiny-guard", "--yes"]) == 2
    captured = capsys.readouterr()
    assert "网格：新增 4，删除 8,535，变更 0" in captured.out and "需要明确确认" in captured.out
    assert "请加 --override" in captured.err
    assert cli_main(["boundaries", "activate", "tiny-guard", "--override"]) == 1  # no terminal to ask: refused
    assert "请加 --yes" in capsys.readouterr().err
    active = [g["name"] for g in app_client.get("/api/v1/generations").json() if g["is_active"]]
    assert active == ["sample-county"]


def _zip(folder: Path) -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, path.name)
    return out.getvalue()


def test_activation_rights_are_the_policys() -> None:
    town = User(id=1, username="t", role="gis", town_code=TOWN)
    county = User(id=2, username="c", role="gis", town_code=None)
    operator = User(id=3, username="o", role="operator", town_code=None)
    admin = User(id=4, username="a", role="admin", town_code=None)
    assert may_activate(town, changed_towns={TOWN}) is True
    assert may_activate(town, changed_towns={TOWN, "449901101000"}) is False
    assert may_activate(town, changed_towns={None}) is False  # the county or a town outline itself
    assert may_activate(county, changed_towns={None, TOWN}) is True
    assert may_activate(admin, changed_towns={None}) is True
    assert may_activate(operator, changed_towns=set()) is False
    assert may_activate(None, changed_towns={None}) is True  # the command line on the server
