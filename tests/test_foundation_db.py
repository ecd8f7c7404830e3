"""Schema, migrations and the sample county in PostGIS; health and readiness."""

from __future__ import annotations

import psycopg
from fastapi.testclient import TestClient

from api.main import create_app
from gis.settings import AppSettings, DatabaseSettings
from gis.storage import areas
from gis.storage.migrate import apply_migrations


def test_sample_county_in_postgis(conn: psycopg.Connection) -> None:
    gen = areas.get_generation(conn)
    assert gen.name == "sample-county" and gen.is_active
    assert areas.tier_counts(conn, generation_id=gen.id) == {1: 1, 2: 17, 3: 1026, 4: 8535}
    orphans = conn.execute(
        "SELECT count(*) FROM areas c JOIN areas p ON p.id = c.parent_id WHERE p.tier <> c.tier - 1"
    ).fetchone()
    assert orphans == (0,)
    # stored 3857 copy and areas agree with the 4326 geometry
    row = conn.execute(
        "SELECT sum(area_m2) / 1e6, bool_and(ST_SRID(geom_3857) = 3857), bool_and(ST_IsValid(geom))"
        " FROM areas WHERE generation_id = %s AND tier = 4",
        (gen.id,),
    ).fetchone()
    assert row is not None and 2500 < row[0] < 2700 and row[1] is True and row[2] is True


def test_subdivided_pieces_answer_point_queries(conn: psycopg.Connection) -> None:
    gen = areas.get_generation(conn)
    code = conn.execute(
        "SELECT a.code FROM area_pieces p JOIN areas a ON a.id = p.area_id, "
        " (SELECT ST_PointOnSurface(geom) AS pt FROM areas WHERE code = '449901100001001' AND generation_id = %s) q"
        " WHERE p.tier = 4 AND p.generation_id = %s AND ST_Covers(p.geom, q.pt)",
        (gen.id, gen.id),
    ).fetchall()
    assert code == [("449901100001001",)]


def test_migrations_are_idempotent(conn: psycopg.Connection) -> None:
    assert apply_migrations(conn) == []
    assert areas.tier_counts(conn, generation_id=areas.get_generation(conn).id)[4] == 8535


def test_health_and_ready(app_client: TestClient) -> None:
    assert app_client.get("/healthz").json() == {"status": "ok"}
    ready = app_client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["generation"] == "sample-county"
    assert ready.json()["checks"]["row_security"] == "enforced"  # the server's role is bound by the policies


def test_ready_fails_fast_when_database_is_down() -> None:
    down = DatabaseSettings(database_url="postgresql://postgres@127.0.0.1:9/none")
    # start-up gives up waiting for the (unreachable) services at once instead of after 30 s
    with TestClient(create_app(AppSettings(startup_wait_s=0.5), down)) as client:
        response = client.get("/readyz")
        assert client.get("/healthz").status_code == 200
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["database"] == "unavailable"


def test_vector_tiles(app_client: TestClient) -> None:
    extent = app_client.get("/api/v1/areas/extent").json()
    assert extent["generation"] == "sample-county"
    minx, miny, maxx, maxy = extent["bbox"]
    assert 114 < minx < maxx < 115.5 and 23.5 < miny < maxy < 24.7
    # z10 tile over the county centre
    import math

    lon, lat = (minx + maxx) / 2, (miny + maxy) / 2
    z = 10
    x = int((lon + 180) / 360 * 2**z)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z)
    tile = app_client.get(f"/tiles/towns/{z}/{x}/{y}.pbf")
    assert tile.status_code == 200
    assert tile.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert len(tile.content) > 100
    assert app_client.get("/tiles/towns/10/0/0.pbf").status_code == 204
    bad = app_client.get("/tiles/rivers/10/0/0.pbf")
    assert bad.status_code == 422 and bad.json()["error"]["reason"] == "unknown_layer"


def test_area_lookup_and_unknown_code(app_client: TestClient) -> None:
    body = app_client.get("/api/v1/areas/449901").json()
    assert body["tier"] == 1 and len(body["children"]) == 17
    missing = app_client.get("/api/v1/areas/000000")
    assert missing.status_code == 404 and missing.json()["error"]["reason"] == "area_not_found"
