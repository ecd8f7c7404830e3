"""k nearest staff: in-process block grid (projected metres) against PostGIS <-> KNN, same run.

Run: .venv/bin/python bench/bench_knn.py   (needs the local PostGIS; uses a temporary table)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gis.settings import DatabaseSettings  # noqa: E402
from gis.staff.spatial import Metric, StaffPoints  # noqa: E402
from gis.storage.pool import connect  # noqa: E402

N_STAFF, N_QUERIES, K = 10_000, 10_000, 5


def main() -> None:
    rng = np.random.default_rng(4)
    lon, lat = rng.uniform(114.25, 115.0, N_STAFF), rng.uniform(23.85, 24.4, N_STAFF)
    qlon, qlat = rng.uniform(114.3, 114.95, N_QUERIES), rng.uniform(23.9, 24.35, N_QUERIES)
    t = time.perf_counter()
    rows = [(i, "mediator", x, y) for i, (x, y) in enumerate(zip(lon, lat, strict=True))]
    points = StaffPoints.build(Metric(4547), rows)
    build_ms = (time.perf_counter() - t) * 1000
    ours = np.empty(N_QUERIES)
    answers = []
    for i in range(N_QUERIES):
        t0 = time.perf_counter_ns()
        answers.append([s for s, _ in points.nearest("mediator", qlon[i], qlat[i], K)])
        ours[i] = time.perf_counter_ns() - t0
    with connect(DatabaseSettings()) as conn:
        conn.execute("CREATE TEMP TABLE bench_staff (id int, geom geometry(Point, 4547))")
        conn.execute("INSERT INTO bench_staff SELECT i - 1, ST_Transform(ST_SetSRID(ST_MakePoint(x, y), 4326), 4547)"
                     " FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS u(x, y, i)", (list(lon), list(lat)))
        conn.execute("CREATE INDEX ON bench_staff USING gist (geom)")
        conn.execute("ANALYZE bench_staff")
        theirs = np.empty(N_QUERIES)
        same = 0
        for i in range(N_QUERIES):
            t0 = time.perf_counter_ns()
            rows = conn.execute(
                "SELECT id FROM bench_staff ORDER BY geom <-> ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326),"
                " 4547) LIMIT %s", (qlon[i], qlat[i], K)).fetchall()
            theirs[i] = time.perf_counter_ns() - t0
            same += [r[0] for r in rows] == answers[i]
    print(f"{N_STAFF:,} staff, {N_QUERIES:,} single queries, k={K}; tree built in {build_ms:.1f} ms")
    print(f"  PostGIS <-> KNN on EPSG:4547 via psycopg (peer): p50 {np.percentile(theirs, 50) / 1e3:.0f} us, "
          f"p99 {np.percentile(theirs, 99) / 1e3:.0f} us")
    print("  StaffPoints.nearest (3x3-block grid, cKDTree fallback; metres): "
          f"p50 {np.percentile(ours, 50) / 1e3:.1f} us, p99 {np.percentile(ours, 99) / 1e3:.1f} us "
          "(target p99 <= 100 us)")
    print(f"  ratio at p99: {np.percentile(theirs, 99) / np.percentile(ours, 99):.0f}x; identical 5-sets in order: "
          f"{same}/{N_QUERIES}")


if __name__ == "__main__":
    main()
