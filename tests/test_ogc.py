"""OGC API - Features: the documents, paging, bbox, scoping of cases, and real clients (GDAL OAPIF, owslib)."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from owslib.ogcapi.features import Features

from gis.settings import DatabaseSettings
from tests.browser_support import live_server
from tests.conftest import make_token

GEOJSON = "application/geo+json"


@pytest.fixture(scope="module")
def base_url(db_settings: DatabaseSettings) -> Iterator[str]:
    with live_server(db_settings) as url:
        yield url


def test_landing_conformance_and_collections(app_client: TestClient) -> None:
    landing = app_client.get("/ogc").json()
    rels = {link["rel"]: link["href"] for link in landing["links"]}
    assert rels["conformance"].endswith("/ogc/conformance") and rels["data"].endswith("/ogc/collections")
    assert rels["service-desc"].endswith("/openapi.json")
    conforms = app_client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conforms
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conforms
    assert not any(c.endswith("/conf/oas30") for c in conforms)  # the definition is OpenAPI 3.1
    desc = next(link for link in landing["links"] if link["rel"] == "service-desc")
    assert desc["type"].endswith("version=3.1") and app_client.get("/openapi.json").json()["openapi"][:3] == "3.1"
    ids = [c["id"] for c in app_client.get("/ogc/collections").json()["collections"]]
    assert ids[:3] == ["towns", "villages", "grids"]
    assert {"towns@sample-county", "villages@sample-county", "grids@sample-county"} <= set(ids)
    assert "cases" not in ids  # anonymous: only what an anonymous caller may read is listed


def test_cases_are_listed_with_an_extent_to_those_who_may_read_them(app_client: TestClient,
                                                                    db_settings: DatabaseSettings) -> None:
    operator = {"Authorization": f"Bearer {make_token(db_settings, 'ogc-lister', 'operator')}"}
    listed = {c["id"]: c for c in app_client.get("/ogc/collections", headers=operator).json()["collections"]}
    minx, miny, maxx, maxy = listed["cases"]["extent"]["spatial"]["bbox"][0]
    assert 114 < minx < maxx < 115.5 and 23.5 < miny < maxy < 24.7
    assert app_client.get("/ogc/collections", headers={"Authorization": "Bearer wrong"}).status_code == 401
    grids = app_client.get("/ogc/collections/grids").json()
    assert grids["title"] == "网格（sample-county），现行版本"
    minx, miny, maxx, maxy = grids["extent"]["spatial"]["bbox"][0]
    assert 114 < minx < maxx < 115.5 and 23.5 < miny < maxy < 24.7
    missing = app_client.get("/ogc/collections/rivers")
    assert missing.status_code == 404 and missing.json()["error"]["reason"] == "collection_not_found"
    assert app_client.get("/ogc?f=html").json()["error"]["reason"] == "unsupported_format"


def test_items_page_by_keyset_with_counts_and_links(app_client: TestClient) -> None:
    page = app_client.get("/ogc/collections/grids/items?limit=10")
    assert page.status_code == 200 and page.headers["content-type"] == GEOJSON
    body = page.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == 8535 and body["numberReturned"] == 10
    codes = [f["id"] for f in body["features"]]
    assert codes == sorted(codes)
    rels = {link["rel"]: link["href"] for link in body["links"]}
    assert rels["next"].endswith(f"/ogc/collections/grids/items?limit=10&after={codes[-1]}")
    second = app_client.get("/ogc" + rels["next"].split("/ogc", 1)[1]).json()
    assert second["numberReturned"] == 10 and second["features"][0]["id"] > codes[-1]
    clamped = app_client.get("/ogc/collections/towns/items?limit=50000")  # above the maximum: clamped, not refused
    assert clamped.status_code == 200 and clamped.json()["numberReturned"] == 17
    first = body["features"][0]
    assert first["geometry"]["type"] == "MultiPolygon" and first["id"] == first["properties"]["code"]
    assert len(first["properties"]["code"]) == 15 and first["properties"]["tier"] == 4
    boxed = app_client.get("/ogc/collections/villages/items?bbox=114.64,24.06,114.65,24.07&limit=1000").json()
    assert 0 < boxed["numberMatched"] == boxed["numberReturned"] < 20
    assert "next" not in {link["rel"] for link in boxed["links"]}
    one = app_client.get("/ogc/collections/towns/items/449901001000").json()
    assert one["properties"]["name"] == "隆联街道" and one["properties"]["parent_code"] == "449901"
    assert app_client.get("/ogc/collections/towns/items/nope").status_code == 404
    bad = app_client.get("/ogc/collections/grids/items?bbox=1,2,3")
    assert bad.status_code == 422 and bad.json()["error"]["reason"] == "invalid_bbox"
    assert app_client.get("/ogc/collections/grids/items?limit=0").status_code == 422


def test_cases_need_sign_in_and_stay_in_region(app_client: TestClient, db_settings: DatabaseSettings) -> None:
    operator = {"Authorization": f"Bearer {make_token(db_settings, 'ogc-op', 'operator')}"}
    made = app_client.post("/api/v1/cases", headers={**operator, "Idempotency-Key": uuid.uuid4().hex}, json={
        "category": "0201", "source_channel": "walk_in", "description": "OGC 测试 张三 13800000000",
        "lon": 114.6471302, "lat": 24.0688967}).json()
    assert app_client.get("/ogc/collections/cases/items").status_code == 401
    mine = app_client.get("/ogc/collections/cases/items?limit=500", headers=operator).json()
    found = [f for f in mine["features"] if f["id"] == made["id"]]
    assert len(found) == 1 and found[0]["properties"]["case_no"] == made["case_no"]
    assert "description" not in found[0]["properties"]  # no personal data in the GIS feed
    elsewhere = {"Authorization": f"Bearer {make_token(db_settings, 'ogc-town', 'operator', '449901100000')}"}
    theirs = app_client.get("/ogc/collections/cases/items?limit=500", headers=elsewhere).json()
    assert made["id"] not in {f["id"] for f in theirs["features"]}
    assert app_client.get(f"/ogc/collections/cases/items/{made['id']}", headers=elsewhere).status_code == 404
    assert app_client.get(f"/ogc/collections/cases/items/{made['id']}", headers=operator).json()["id"] == made["id"]


def test_gdal_reads_the_grids(base_url: str) -> None:
    out = subprocess.run(["ogrinfo", "-ro", "-so", "-al", f"OAPIF:{base_url}/ogc", "grids"], capture_output=True,
                         text=True, timeout=120, check=True).stdout
    assert "Layer name: grids" in out and "Feature Count: 8535" in out
    assert "code: String" in out and "name: String" in out
    got = subprocess.run(["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", f"OAPIF:{base_url}/ogc", "towns"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    towns = json.loads(got)["features"]
    assert len(towns) == 17 and "隆联街道" in {t["properties"]["name"] for t in towns}


def test_owslib_reads_the_grids(base_url: str) -> None:
    api = Features(f"{base_url}/ogc")
    assert "grids" in {c["id"] for c in api.collections()["collections"]}
    page = api.collection_items("grids", limit=5, bbox=[114.64, 24.06, 114.65, 24.07])
    assert page["numberReturned"] == 5 and page["numberMatched"] > 5
    assert all(f["properties"]["tier"] == 4 for f in page["features"])


def test_gdal_lists_every_collection_anonymously(base_url: str) -> None:
    done = subprocess.run(["ogrinfo", "-ro", "-so", f"OAPIF:{base_url}/ogc", "-oo", "PAGE_SIZE=1000"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "401" not in done.stdout + done.stderr
    assert "grids (Multi Polygon)" in done.stdout or ": grids" in done.stdout
    assert "cases" not in done.stdout
