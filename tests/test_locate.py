"""Point -> grid chain lookups: known answers, borders, holes, islands, CRS input, bad input."""

from __future__ import annotations

import numpy as np
import psycopg
import pytest
import shapely
from fastapi.testclient import TestClient

from gis.crs import wgs84_to_bd09, wgs84_to_gcj02
from gis.locate import LocateIndex
from gis.storage import areas
from gis.storage.locate import load_index

INSIDE = (114.6471302, 24.0688967)  # well inside 坪湾社区第7网格 (ST_Covers: one grid)
EDGE_VERTEX = (114.6423754, 24.0960739)  # shared by 449901001001001 and 449901001214004
TRIPLE_VERTEX = (114.6425343, 24.0958544)  # shared by ...001001001, ...001001008, ...001214004


@pytest.fixture(scope="module")
def index(db_settings: object) -> LocateIndex:
    from gis.storage.pool import connect

    with connect(db_settings) as c:  # type: ignore[arg-type]
        return load_index(c)


def test_known_point_chain(app_client: TestClient, admin_headers: dict[str, str]) -> None:
    public = app_client.get("/api/v1/locate", params={"lon": INSIDE[0], "lat": INSIDE[1]}).json()
    assert "responsible" not in public  # names of staff only for signed-in users
    body = app_client.get("/api/v1/locate", params={"lon": INSIDE[0], "lat": INSIDE[1]}, headers=admin_headers).json()
    assert body["inside"] is True
    assert [(lvl["code"], lvl["name"], lvl["tier"]) for lvl in body["chain"]] == [
        ("449901", "云溪县", 1),
        ("449901001000", "隆联街道", 2),
        ("449901001008", "坪湾社区", 3),
        ("449901001008007", "坪湾社区第7网格", 4),
    ]
    assert body["generation_name"] == "sample-county"
    assert body["distance_to_boundary_m"] == pytest.approx(135.4, abs=0.5)
    assert body["neighbours"] == []
    assert set(body["responsible"]) == {"grid_workers", "mediators"}


def test_shared_edges_get_one_deterministic_answer(index: LocateIndex, conn: psycopg.Connection) -> None:
    for point, covering in [
        (EDGE_VERTEX, ["449901001001001", "449901001214004"]),
        (TRIPLE_VERTEX, ["449901001001001", "449901001001008", "449901001214004"]),
    ]:
        in_postgis = conn.execute(
            "SELECT array_agg(a.code ORDER BY a.code) FROM areas a"
            " JOIN generations g ON g.id = a.generation_id AND g.is_active WHERE a.tier = 4"
            " AND ST_Covers(a.geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))", point
        ).fetchone()
        assert in_postgis == (covering,)
        # the rule: the lowest code among the grids that cover the point, in bulk and single lookups
        assert index.locate(*point).grid_code == covering[0]
        bulk = index.locate_many(np.array([point[0]] * 3), np.array([point[1]] * 3))
        assert list(index.table.grid_codes[bulk]) == [covering[0]] * 3
        where = index.locate(*point, border_m=50)
        assert where.distance_to_boundary_m == pytest.approx(0.0, abs=1e-6)
        assert set(covering[1:]) <= {n.code for n in where.neighbours}


def test_border_neighbours_within_distance(index: LocateIndex) -> None:
    near = index.locate(EDGE_VERTEX[0] + 0.0001, EDGE_VERTEX[1], border_m=50)
    assert near.inside
    assert 0 < near.distance_to_boundary_m < 15
    assert {n.code for n in near.neighbours} >= {"449901001001001", "449901001214004"} - {near.grid_code}
    assert all(n.distance_m <= 50 for n in near.neighbours)


def test_outside_the_county_is_an_answer(app_client: TestClient) -> None:
    body = app_client.get("/api/v1/locate", params={"lon": 114.0, "lat": 24.0}).json()
    assert body["inside"] is False
    assert body["chain"] == []
    assert body["nearest_grid"]["code"] == "449901108007009"
    assert body["nearest_grid"]["distance_m"] == pytest.approx(24656, rel=0.01)


@pytest.mark.parametrize("crs, convert", [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_shifted_input_lands_in_the_same_grid(app_client: TestClient, crs: str, convert: object) -> None:
    lon, lat = convert(*INSIDE)  # type: ignore[operator]
    body = app_client.get("/api/v1/locate", params={"lon": float(lon), "lat": float(lat), "crs": crs}).json()
    assert body["grid_code"] == "449901001008007"
    assert body["lon"] == pytest.approx(INSIDE[0], abs=1e-8)
    raw = app_client.get("/api/v1/locate", params={"lon": float(lon), "lat": float(lat)}).json()
    assert raw["grid_code"] != "449901001008007"  # unshifted, the same numbers land ~500 m away


@pytest.mark.parametrize(
    "params, reason",
    [
        ({"lon": 24.0688967, "lat": 114.6471302}, "lat_lon_swapped"),
        ({"lon": 2.35, "lat": 48.85}, "outside_china"),
        ({"lon": "nan", "lat": 24.0}, "validation_failed"),
        ({"lon": "Infinity", "lat": 24.0}, "validation_failed"),
        ({"lon": 114.6, "lat": 24.1, "crs": "mars"}, "unknown_crs"),
        ({"lon": 114.6}, "validation_failed"),
    ],
)
def test_bad_input_is_a_clear_422(app_client: TestClient, params: dict[str, object], reason: str) -> None:
    response = app_client.get("/api/v1/locate", params=params)
    assert response.status_code == 422
    assert response.json()["error"]["reason"] == reason


def test_identical_to_postgis_st_covers(index: LocateIndex, conn: psycopg.Connection) -> None:
    rng = np.random.default_rng(42)
    lon = rng.uniform(114.25, 115.0, 3000)
    lat = rng.uniform(23.85, 24.4, 3000)
    ours = index.locate_many(lon, lat)
    rows = conn.execute(
        "SELECT p.i, min(a.code) FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS p(x, y, i)"
        " LEFT JOIN area_pieces s ON s.tier = 4 AND ST_Covers(s.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326))"
        " LEFT JOIN areas a ON a.id = s.area_id GROUP BY p.i ORDER BY p.i",
        (list(lon), list(lat)),
    ).fetchall()
    theirs = [code for _, code in rows]
    mine = [str(index.table.grid_codes[g]) if g >= 0 else None for g in ours]
    assert mine == theirs
    assert 1000 < sum(c is not None for c in mine) < 3000  # both inside and outside points were tested


def _tiny_generation(conn: psycopg.Connection) -> int:
    """A county with an island, and a grid with a hole whose enclave is another grid."""
    main = shapely.box(120.0, 30.0, 120.02, 30.02)
    island = shapely.box(120.03, 30.0, 120.035, 30.005)
    hole = shapely.box(120.005, 30.005, 120.01, 30.01)
    ring_grid = shapely.difference(shapely.box(120.0, 30.0, 120.02, 30.02), hole)
    rows = [
        areas.AreaRow("990001", "岛县", 1, None, shapely.MultiPolygon([main, island])),
        areas.AreaRow("990001001000", "岛镇", 2, "990001", shapely.MultiPolygon([main, island])),
        areas.AreaRow("990001001001", "岛村", 3, "990001001000", shapely.MultiPolygon([main, island])),
        areas.AreaRow("990001001001001", "环网格", 4, "990001001001", ring_grid),
        areas.AreaRow("990001001001002", "飞地网格", 4, "990001001001", hole),
        areas.AreaRow("990001001001003", "海岛网格", 4, "990001001001", island),
    ]
    gen = areas.create_generation(conn, name="tiny-island-test")
    areas.insert_areas(conn, generation_id=gen.id, rows=rows)
    return gen.id


def test_holes_and_islands(conn: psycopg.Connection) -> None:
    gen_id = _tiny_generation(conn)
    tiny = load_index(conn, generation_id=gen_id)
    assert tiny.locate(120.0075, 30.0075).grid_code == "990001001001002"  # inside the hole: the enclave
    assert tiny.locate(120.015, 30.015).grid_code == "990001001001001"  # the ring around it
    assert tiny.locate(120.032, 30.002).grid_code == "990001001001003"  # the island
    sea = tiny.locate(120.025, 30.002)  # the strait between main land and island
    assert not sea.inside
    assert sea.nearest_grid is not None and sea.nearest_grid.code in {"990001001001001", "990001001001003"}
    assert sea.nearest_grid.distance_m == pytest.approx(0.005 * 111_320 * np.cos(np.radians(30.002)), rel=0.01)
    assert tiny.locate(120.005, 30.0075).grid_code == "990001001001001"  # on the hole's rim: lowest code
