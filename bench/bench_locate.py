"""Point -> grid lookups: the in-process index against geopandas.sjoin and PostGIS, same run.

Run: .venv/bin/python bench/bench_locate.py [--points 1000000] [--province]
Prints throughput ratios against geopandas.sjoin (peer), checks answers against PostGIS ST_Covers,
single-lookup latency in process and over HTTP (a real uvicorn on loopback), and index memory.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import httpx
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gis.locate import GridTable, LocateIndex  # noqa: E402
from gis.settings import DatabaseSettings  # noqa: E402
from gis.storage.locate import load_grid_table  # noqa: E402
from gis.storage.pool import connect  # noqa: E402


def random_points_in(outline: shapely.Geometry, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = outline.bounds
    shapely.prepare(outline)
    xs, ys = [], []
    while sum(len(x) for x in xs) < n:
        x, y = rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)
        keep = shapely.contains_xy(outline, x, y)
        xs.append(x[keep])
        ys.append(y[keep])
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def best_of(fn, repeat: int = 3) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def bulk(table: GridTable, label: str, n: int, target: float) -> LocateIndex:
    t = time.perf_counter()
    index = LocateIndex.build(table)
    build_s = time.perf_counter() - t
    outline = shapely.coverage_union_all(table.grid_geoms)
    x, y = random_points_in(outline, n, seed=7)
    grids = gpd.GeoDataFrame({"code": table.grid_codes}, geometry=table.grid_geoms, crs=4326)

    def sjoin() -> np.ndarray:
        pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=4326)
        joined = gpd.sjoin(pts, grids, predicate="within", how="left")
        joined = joined[~joined.index.duplicated()]
        return joined["index_right"].fillna(-1).to_numpy(dtype=np.int64)

    ours_s, ours = best_of(lambda: index.locate_many(x, y))
    peer_s, peer = best_of(sjoin, repeat=2)
    same = np.array_equal(ours, peer)  # type: ignore[arg-type]
    print(f"[{label}] {len(table.grid_codes):,} grids, {n:,} points inside the outline; index built in {build_s:.1f} s")
    print(f"  geopandas.sjoin (peer): {peer_s:.3f} s ({n / peer_s / 1e6:.2f} M/s)")
    print(f"  LocateIndex.locate_many: {ours_s:.3f} s ({n / ours_s / 1e6:.2f} M/s)")
    print(f"  ratio vs sjoin: {peer_s / ours_s:.1f}x (target >= {target:.0f}x); identical answers: {same}")
    print(f"  index memory: {index.memory_bytes() / 2**20:.0f} MiB (raster {index.raster.nbytes / 2**20:.0f} MiB, "
          f"pixel {index.raster.pixel:.5f} deg, undecided {np.mean(index.raster.labels == -1):.1%})")
    return index


def postgis_parity(index: LocateIndex, conn: object, n: int = 100_000) -> None:
    outline = shapely.coverage_union_all(index.table.grid_geoms)
    x, y = random_points_in(outline, n, seed=11)
    ours = index.locate_many(x, y)
    t = time.perf_counter()
    rows = conn.execute(  # type: ignore[attr-defined]
        "SELECT p.i, min(a.code) FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS p(x, y, i)"
        " LEFT JOIN area_pieces s ON s.tier = 4 AND s.generation_id = %s"
        "  AND ST_Covers(s.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326))"
        " LEFT JOIN areas a ON a.id = s.area_id GROUP BY p.i ORDER BY p.i",
        (list(x), list(y), index.generation_id),
    ).fetchall()
    pg_s = time.perf_counter() - t
    t = time.perf_counter()
    index.locate_many(x, y)
    ours_s = time.perf_counter() - t
    mismatches = sum(1 for (_, code), g in zip(rows, ours, strict=True)
                     if code != (str(index.table.grid_codes[g]) if g >= 0 else None))
    print(f"  PostGIS ST_Covers over subdivided pieces (peer): {n:,} points in {pg_s:.2f} s; ours {ours_s:.3f} s "
          f"({pg_s / ours_s:.0f}x); mismatches: {mismatches}")


def single(index: LocateIndex, n: int = 20_000) -> None:
    outline = shapely.coverage_union_all(index.table.grid_geoms)
    x, y = random_points_in(outline, n, seed=5)
    for name, fn in (("grid chain (grid_at + chain)", lambda a, b: index.chain(index.grid_at(a, b))),
                     ("full answer (locate: chain, edge distance, neighbours)", index.locate)):
        times = np.empty(n)
        for i in range(n):
            t = time.perf_counter_ns()
            fn(x[i], y[i])
            times[i] = time.perf_counter_ns() - t
        print(f"  single {name}: p50 {np.percentile(times, 50) / 1e3:.0f} us, "
              f"p99 {np.percentile(times, 99) / 1e3:.0f} us (target p99 <= 100 us)")


def postgis_single(conn: object, index: LocateIndex, n: int = 2000) -> None:
    outline = shapely.coverage_union_all(index.table.grid_geoms)
    x, y = random_points_in(outline, n, seed=6)
    times = np.empty(n)
    for i in range(n):
        t = time.perf_counter_ns()
        conn.execute(  # type: ignore[attr-defined]
            "SELECT a.code FROM area_pieces s JOIN areas a ON a.id = s.area_id WHERE s.tier = 4"
            " AND s.generation_id = %s AND ST_Covers(s.geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))"
            " ORDER BY a.code LIMIT 1", (index.generation_id, x[i], y[i])).fetchall()
        times[i] = time.perf_counter_ns() - t
    print(f"  single lookup in PostGIS via psycopg (peer): p50 {np.percentile(times, 50) / 1e3:.0f} us, "
          f"p99 {np.percentile(times, 99) / 1e3:.0f} us")


def http(index: LocateIndex, n: int = 3000) -> None:
    port = 18765
    env = dict(os.environ, FENGQIAO_PORT=str(port), FENGQIAO_DEMO="1")
    server = subprocess.Popen([str(ROOT / ".venv/bin/fengqiao"), "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=5) as client:
            for _ in range(300):
                try:
                    if client.get("/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            outline = shapely.coverage_union_all(index.table.grid_geoms)
            x, y = random_points_in(outline, n, seed=9)
            times = np.empty(n)
            for i in range(n):
                t = time.perf_counter_ns()
                response = client.get("/api/v1/locate", params={"lon": x[i], "lat": y[i]})
                times[i] = time.perf_counter_ns() - t
                assert response.status_code == 200
        print(f"  HTTP GET /api/v1/locate on loopback (keep-alive): p50 {np.percentile(times, 50) / 1e6:.2f} ms, "
              f"p99 {np.percentile(times, 99) / 1e6:.2f} ms (target p99 <= 5 ms)")
    finally:
        server.terminate()
        server.wait(10)


def province_table() -> GridTable:
    from gis.sample.county import CountySpec, build_county, write_county
    from gis.sample.tiling import TilingCounts

    cache = ROOT / "var" / "bench" / "province.gpkg"  # shared with bench_boundaries.py
    t = time.perf_counter()
    if cache.exists():
        layers = {name: gpd.read_file(cache, layer=name) for name in ("towns", "villages", "grids")}
    else:
        layers = build_county(CountySpec(code="449902", name="省级测试", seed=3, area_km2=72_000,
                                         centre=(113.5, 24.0), counts=TilingCounts(408, 24624, 204840)))
        write_county(layers, cache)
    print(f"[province] ready in {time.perf_counter() - t:.0f} s")
    grids = layers["grids"].sort_values("code").reset_index(drop=True)
    villages, towns = layers["villages"], layers["towns"]
    vpos = {c: i for i, c in enumerate(villages.code)}
    tpos = {c: i for i, c in enumerate(towns.code)}
    return GridTable(
        generation_id=0, generation_name="province", grid_codes=grids.code.to_numpy(str),
        grid_names=grids.name.to_numpy(str), grid_geoms=grids.geometry.values.to_numpy() if hasattr(
            grids.geometry.values, "to_numpy") else np.asarray(grids.geometry.values),
        grid_village=np.array([vpos[c] for c in grids.parent_code]),
        village_codes=villages.code.to_numpy(str), village_names=villages.name.to_numpy(str),
        village_town=np.array([tpos[c] for c in villages.parent_code]),
        town_codes=towns.code.to_numpy(str), town_names=towns.name.to_numpy(str),
        town_county=np.zeros(len(towns), dtype=np.int64), county_codes=np.array(["449902"]),
        county_names=np.array(["省级测试"]),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--province", action="store_true", help="also the ~200,000-grid province (slow)")
    parser.add_argument("--no-http", action="store_true")
    args = parser.parse_args()
    with connect(DatabaseSettings()) as conn:
        table = load_grid_table(conn)
        index = bulk(table, "county", args.points, target=8)
        postgis_parity(index, conn)
        single(index)
        postgis_single(conn, index)
    if not args.no_http:
        http(index)
    if args.province:
        bulk(province_table(), "province", args.points, target=4)


if __name__ == "__main__":
    main()
