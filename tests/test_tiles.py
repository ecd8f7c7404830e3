"""Vector tiles: gzip, ETag/304, per-layer minzoom, label layers, TileJSON 3.0 and the scoped cases layer."""

from __future__ import annotations

import gzip
import math
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from gis.settings import AppSettings, DatabaseSettings
from tests.conftest import make_token

NO_GZIP = {"Accept-Encoding": "identity"}


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


@pytest.fixture(scope="module")
def public_client(db_settings: DatabaseSettings) -> Iterator[TestClient]:
    app = create_app(AppSettings(public_url="https://grid.example.gov.cn/fq/"), db_settings)
    with TestClient(app) as client:
        yield client


def test_tiles_are_gzipped_with_an_etag_and_answer_304(app_client: TestClient) -> None:
    raw = app_client.get("/tiles/towns/10/838/441.pbf", headers=NO_GZIP)
    assert raw.status_code == 200 and "content-encoding" not in raw.headers
    zipped = app_client.get("/tiles/towns/10/838/441.pbf", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["vary"] == "Accept-Encoding"
    assert zipped.content == raw.content  # httpx decodes; the wire size is smaller
    assert int(zipped.headers["content-length"]) < len(raw.content) * 0.8
    assert len(gzip.compress(raw.content)) < len(raw.content)
    tag = zipped.headers["etag"]
    assert tag.startswith('"g') and tag.endswith('-gz"') and tag != raw.headers["etag"]
    again = app_client.get("/tiles/towns/10/838/441.pbf", headers={"Accept-Encoding": "gzip", "If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    stale = app_client.get("/tiles/towns/10/838/441.pbf", headers={"If-None-Match": '"g999-old"', **NO_GZIP})
    assert stale.status_code == 200 and stale.content == raw.content


def test_layers_have_a_minzoom_and_names_from_a_label_layer(app_client: TestClient) -> None:
    # Grids below z12 would be megabytes per tile: they answer 204 without touching the database.
    assert app_client.get("/tiles/grids/10/838/441.pbf").status_code == 204
    x, y = tile_of(114.6276, 24.1327, 14)
    grids = app_client.get(f"/tiles/grids/14/{x}/{y}.pbf", headers=NO_GZIP)
    assert grids.status_code == 200 and b"areas" in grids.content and b"labels" in grids.content
    towns = app_client.get("/tiles/towns/10/838/441.pbf", headers=NO_GZIP).content
    assert b"labels" in towns  # town names from z9
    villages = app_client.get("/tiles/villages/10/838/441.pbf", headers=NO_GZIP).content
    assert b"areas" in villages and b"labels" not in villages  # village names only from z12
    assert app_client.get("/tiles/towns/33/0/0.pbf").status_code == 422


def test_tilejson_has_bounds_center_minzoom_and_public_urls(public_client: TestClient) -> None:
    doc = public_client.get("/tiles/grids.json", headers={"Host": "attacker.example"}).json()
    assert doc["tilejson"] == "3.0.0"
    assert doc["tiles"] == ["https://grid.example.gov.cn/fq/tiles/grids/{z}/{x}/{y}.pbf"]
    assert doc["minzoom"] == 12 and doc["maxzoom"] == 18
    minx, miny, maxx, maxy = doc["bounds"]
    assert 114 < minx < maxx < 115.5 and 23.5 < miny < maxy < 24.7
    assert minx < doc["center"][0] < maxx and miny < doc["center"][1] < maxy and doc["center"][2] == 12
    layers = {layer["id"]: layer for layer in doc["vector_layers"]}
    assert layers["areas"]["minzoom"] == 12 and layers["labels"]["minzoom"] == 14
    assert doc["attribution"]
    towns = public_client.get("/tiles/towns.json").json()
    assert towns["minzoom"] == 6
    assert {v["id"]: v["minzoom"] for v in towns["vector_layers"]} == {"areas": 6, "labels": 9}
    cases = public_client.get("/tiles/cases.json").json()
    assert cases["tiles"] == ["https://grid.example.gov.cn/fq/tiles/cases/{z}/{x}/{y}.pbf"]
    assert public_client.get("/tiles/rivers.json").json()["error"]["reason"] == "unknown_layer"


def test_cases_layer_needs_sign_in_and_follows_the_region(app_client: TestClient, db_settings: DatabaseSettings
                                                          ) -> None:
    operator = {"Authorization": f"Bearer {make_token(db_settings, 'tiles-op', 'operator')}"}
    lon, lat = 114.2916, 24.1628  # in town 449901100000
    made = app_client.post("/api/v1/cases", headers={**operator, "Idempotency-Key": uuid.uuid4().hex}, json={
        "category": "0201", "source_channel": "walk_in", "description": "瓦片测试", "lon": lon, "lat": lat})
    assert made.status_code == 201 and made.json()["town_code"] == "449901100000"
    x, y = tile_of(lon, lat, 15)
    path = f"/tiles/cases/15/{x}/{y}.pbf"
    assert app_client.get(path).status_code == 401
    seen = app_client.get(path, headers={**operator, **NO_GZIP})
    assert seen.status_code == 200 and b"cases" in seen.content and made.json()["case_no"].encode() in seen.content
    assert seen.headers["cache-control"] == "private, no-cache"
    again = app_client.get(path, headers={**operator, **NO_GZIP, "If-None-Match": seen.headers["etag"]})
    assert again.status_code == 304
    other_town = {"Authorization": f"Bearer {make_token(db_settings, 'tiles-town', 'operator', '449901001000')}"}
    assert app_client.get(path, headers=other_town).status_code == 204
    # Below z12 cases are counted clusters (no case numbers).
    cx, cy = tile_of(lon, lat, 9)
    cluster = app_client.get(f"/tiles/cases/9/{cx}/{cy}.pbf", headers={**operator, **NO_GZIP})
    assert cluster.status_code == 200 and made.json()["case_no"].encode() not in cluster.content



def test_label_points_stay_within_the_tiles_buffer(app_client: TestClient, tmp_path: Path) -> None:
    """Every point of the ``labels`` layer lies inside the tile or its 64-unit buffer (of 4096), like the areas."""
    z, size, buffer = 14, 2 * math.pi * 6378137 / 2**14, 64 / 4096
    x0, y0 = tile_of(114.6471302, 24.0688967, z)
    seen = 0
    for x, y in [(x0 + dx, y0 + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]:
        tile = app_client.get(f"/tiles/grids/{z}/{x}/{y}.pbf", headers={"Accept-Encoding": "identity"})
        if tile.status_code == 204:
            continue
        path = tmp_path / f"{x}-{y}.pbf"
        path.write_bytes(tile.content)
        out = subprocess.run(["ogrinfo", "-ro", "-al", "-oo", "CLIP=NO", "-oo", f"X={x}", "-oo", f"Y={y}", "-oo",
                              f"Z={z}", str(path), "labels"], capture_output=True, text=True, timeout=60,
                             check=True).stdout
        minx, maxy = -math.pi * 6378137 + x * size, math.pi * 6378137 - y * size
        for lon, lat in re.findall(r"POINT \(([-\d.]+) ([-\d.]+)\)", out):
            seen += 1
            assert minx - buffer * size <= float(lon) <= minx + (1 + buffer) * size
            assert maxy - (1 + buffer) * size <= float(lat) <= maxy + buffer * size
    assert seen > 0
