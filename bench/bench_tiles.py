"""Vector tiles against the same area served as GeoJSON (OGC API items with the tile's bbox), same run.

For every tile over the county at z10 and z12 (z14: a sample) it times the whole HTTP request in process
(route, PostGIS, gzip) and records the gzipped size; the peer is the GeoJSON of the same tier and area.
Targets: grids z12 p50 <= 15 ms, z10 max <= 150 ms, p95 gzipped tile at z12-z14 <= 100 KiB.

Run: .venv/bin/python bench/bench_tiles.py   (needs the local PostGIS with the sample county)
"""

from __future__ import annotations

import gzip
import math
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient  # noqa: E402

from api.main import create_app  # noqa: E402
from gis.settings import AppSettings, DatabaseSettings  # noqa: E402

GZ = {"Accept-Encoding": "gzip"}
RAW = {"Accept-Encoding": "identity"}


def tiles_over(bbox: list[float], z: int) -> list[tuple[int, int]]:
    def xy(lon: float, lat: float) -> tuple[int, int]:
        n = 2**z
        return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)

    (x0, y1), (x1, y0) = xy(bbox[0], bbox[1]), xy(bbox[2], bbox[3])
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def tile_bbox(z: int, x: int, y: int) -> str:
    n = 2**z

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return f"{x / n * 360 - 180},{lat(y + 1)},{(x + 1) / n * 360 - 180},{lat(y)}"


def timed(client: TestClient, url: str, headers: dict[str, str]) -> tuple[float, int, int]:
    t0 = time.perf_counter()
    r = client.get(url, headers=headers)
    ms = (time.perf_counter() - t0) * 1000
    wire = int(r.headers.get("content-length", len(r.content))) if r.status_code == 200 else 0
    return ms, wire, r.status_code


def main() -> None:
    rng = random.Random(1)
    with TestClient(create_app(AppSettings(), DatabaseSettings())) as client:
        bbox = client.get("/api/v1/areas/extent").json()["bbox"]
        print(f"{'layer':8} {'z':>3} {'tiles':>5} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'p95 KiB gz':>10} "
              f"{'raw max KiB':>11} | GeoJSON peer: {'p50 ms':>7} {'p95 KiB gz':>10}  ratio p50")
        results = {}
        for layer, tier_items, zooms in (("grids", "grids", (12, 13, 14)), ("villages", "villages", (10, 12)),
                                         ("towns", "towns", (10,))):
            for z in zooms:
                tiles = tiles_over(bbox, z)
                if len(tiles) > 120:
                    tiles = rng.sample(tiles, 120)
                times, sizes, raw_max = [], [], 0
                peer_t, peer_sizes = [], []
                for x, y in tiles:
                    ms, wire, status = timed(client, f"/tiles/{layer}/{z}/{x}/{y}.pbf?b={rng.random()}", GZ)
                    if status != 200:
                        continue
                    times.append(ms)
                    sizes.append(wire)
                    if z <= 10:
                        raw_max = max(raw_max, len(client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf", headers=RAW).content))
                    if len(peer_t) < 40:  # the peer is slow: 40 tiles are enough for its median
                        t0 = time.perf_counter()
                        body = client.get(f"/ogc/collections/{tier_items}/items?limit=10000&bbox={tile_bbox(z, x, y)}",
                                          headers=RAW).content
                        peer_t.append((time.perf_counter() - t0) * 1000 + 0.0)
                        t1 = time.perf_counter()
                        peer_sizes.append(len(gzip.compress(body, 5)))
                        peer_t[-1] += (time.perf_counter() - t1) * 1000
                a, s = np.array(times), np.array(sizes) / 1024
                results[(layer, z)] = (np.percentile(a, 50), a.max(), np.percentile(s, 95))
                raw_kib = raw_max / 1024 if raw_max else float("nan")
                print(f"{layer:8} {z:>3} {len(a):>5} {np.percentile(a, 50):7.1f} {np.percentile(a, 95):7.1f} "
                      f"{a.max():7.1f} {np.percentile(s, 95):10.1f} {raw_kib:11.1f} "
                      f"| {np.percentile(peer_t, 50):21.1f} {np.percentile(np.array(peer_sizes) / 1024, 95):10.1f}"
                      f"  {np.percentile(peer_t, 50) / np.percentile(a, 50):6.1f}x")
        z12 = results[("grids", 12)][0]
        z10 = max(results[("villages", 10)][1], results[("towns", 10)][1])
        big = max(results[("grids", z)][2] for z in (12, 13, 14))
        print(f"targets: grids z12 p50 {z12:.1f} ms (<= 15) {'ok' if z12 <= 15 else 'MISSED'}; "
              f"z10 max {z10:.1f} ms (<= 150) {'ok' if z10 <= 150 else 'MISSED'}; "
              f"p95 gz tile z12-14 {big:.1f} KiB (<= 100) {'ok' if big <= 100 else 'MISSED'}")


if __name__ == "__main__":
    main()
