"""Per-grid counts of 1M cases from stored grid ids against a PostGIS spatial join, and Gi* timings.

Run: .venv/bin/python bench/bench_hotspots.py [--cases 1000000]
Section 2 of the supervisors' issue: per-grid counts of 1M cases in <= 50 ms from the grid ids stored
on each case, against a PostGIS spatial join + GROUP BY over the same cases (same run, answers checked
identical). Section 3: Queen weights, Gi* (analytic and 999 permutations), weekly emerging hotspots and
the warm grid-tier answer over the loaded sample history.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from esda.getisord import G_Local  # noqa: E402

from gis.hotspots.analysis import hotspot_table  # noqa: E402
from gis.hotspots.emerging import emerging_hotspots  # noqa: E402
from gis.hotspots.filters import CaseFilter  # noqa: E402
from gis.hotspots.gistar import gi_star, gi_star_z  # noqa: E402
from gis.hotspots.levels import load_level_rules  # noqa: E402
from gis.hotspots.service import load_units, weights_now  # noqa: E402
from gis.hotspots.weights import queen_weights  # noqa: E402
from gis.models import Tier  # noqa: E402
from gis.sample.cases import interior_points  # noqa: E402
from gis.settings import DatabaseSettings  # noqa: E402
from gis.storage import areas  # noqa: E402
from gis.storage.pool import connect  # noqa: E402


def best(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    args = parser.parse_args()
    with connect(DatabaseSettings()) as conn:
        generation = areas.get_generation(conn)
        units = load_units(conn, generation.id)
        grids = units.of(Tier.GRID)
        rng = np.random.default_rng(5)
        weights = grids.population / grids.population.sum()
        grid_of = rng.choice(len(grids), size=args.cases, p=weights)
        points = interior_points(grids.geometry, 8, rng)[grid_of, rng.integers(0, 8, args.cases)]
        codes = grids.codes[grid_of]
        print(f"{args.cases:,} cases over {len(grids):,} grids (generation {generation.name})")
        conn.execute("CREATE TEMP TABLE bench_cases (grid_code text, lon float8, lat float8)")
        buffer = io.StringIO()
        for code, (lon, lat) in zip(codes.tolist(), points.tolist(), strict=True):
            buffer.write(f"{code}\t{lon:.7f}\t{lat:.7f}\n")
        with conn.cursor() as cur, cur.copy("COPY bench_cases FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        conn.execute("ALTER TABLE bench_cases ADD COLUMN geom geometry(Point, 4326)")
        conn.execute("UPDATE bench_cases SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326)")
        conn.execute("CREATE INDEX ON bench_cases (grid_code)")
        conn.execute("ANALYZE bench_cases")

        # Section 2: per-grid counts.
        stored = grids.positions(sorted(set(codes.tolist())))  # warm the code index
        index = np.searchsorted(np.sort(grids.codes), codes).astype(np.int32)  # the stored grid id column
        order = np.argsort(grids.codes)
        grid_ids = order[index].astype(np.int32)
        t_bincount = best(lambda: np.bincount(grid_ids, minlength=len(grids)), 20)
        ours = np.bincount(grid_ids, minlength=len(grids))
        group_sql = "SELECT grid_code, count(*) FROM bench_cases GROUP BY grid_code"
        t_group = best(lambda: conn.execute(group_sql).fetchall(), 3)
        join_sql = ("SELECT a.code, count(*) FROM bench_cases p JOIN area_pieces ap ON ap.generation_id = %s"
                    " AND ap.tier = 4 AND ST_Intersects(ap.geom, p.geom) JOIN areas a ON a.id = ap.area_id"
                    " GROUP BY a.code")
        start = time.perf_counter()
        joined = dict(conn.execute(join_sql, (generation.id,)).fetchall())
        t_join = time.perf_counter() - start
        peer = np.array([joined.get(str(c), 0) for c in grids.codes])
        grouped = dict(conn.execute(group_sql).fetchall())
        stored_counts = np.array([grouped.get(str(c), 0) for c in grids.codes])
        assert len(stored) > 0
        print(f"per-grid counts, bincount on stored grid ids: {t_bincount * 1000:.1f} ms (target <= 50 ms)")
        print(f"per-grid counts, SQL GROUP BY stored grid_code: {t_group * 1000:.0f} ms")
        print(f"peer: PostGIS spatial join (subdivided pieces, GiST) + GROUP BY: {t_join * 1000:.0f} ms")
        print(f"ratio: bincount {t_join / t_bincount:.0f}x the spatial join; GROUP BY on stored codes "
              f"{t_join / t_group:.1f}x; stored ids = GROUP BY: {bool((ours == stored_counts).all())}; "
              f"= spatial join in {int((ours == peer).sum())} of {len(ours)} grids (points on shared edges)")
        conn.rollback()

        # Section 3: hotspot statistics on the county's grids.
        start = time.perf_counter()
        w = queen_weights(grids)
        t_weights = time.perf_counter() - start
        y = np.random.default_rng(1).poisson(3.0, len(grids)).astype(float)
        t_z = best(lambda: gi_star_z(w.matrix, y), 20)
        t_esda_z = best(lambda: G_Local(y, w.w, transform="B", star=True, permutations=0), 3)
        t_perm = best(lambda: gi_star(w, y, permutations=999), 2)
        weekly = np.random.default_rng(2).poisson(0.4, (len(grids), 52)).astype(float)
        t_emerging = best(lambda: emerging_hotspots(w.matrix, weekly), 2)
        print(f"Queen weights for {len(grids):,} grids (EPSG:4547, islands attached): {t_weights:.2f} s"
              " (once per generation)")
        print(f"Gi* analytic z: {t_z * 1000:.2f} ms vs esda G_Local(permutations=0) {t_esda_z * 1000:.0f} ms "
              f"({t_esda_z / t_z:.0f}x)")
        print(f"Gi* with 999 permutations (esda, one period): {t_perm:.2f} s")
        print(f"emerging hotspots, 52 weeks x {len(grids):,} grids (z, FDR, Mann-Kendall, categories): "
              f"{t_emerging:.2f} s")
        live = weights_now(conn)
        start = time.perf_counter()
        live.for_tier(Tier.GRID)
        live.display_geometry(Tier.GRID)
        t_cold = time.perf_counter() - start
        row = conn.execute("SELECT max(created_at) FROM cases").fetchone()
        if row and row[0]:
            until = row[0]
            flt = CaseFilter(until - timedelta(days=30), until)
            rules = load_level_rules()
            t_warm = best(lambda: hotspot_table(conn, flt=flt, tier=Tier.GRID, h3_resolution=None, weights=live,
                                                rules=rules).rows(), 3)
            print(f"grid tier, last 30 days of the loaded history (counts, z, p, p_sim, level, trend): "
                  f"warm {t_warm:.2f} s (target <= 1 s; cold weights + display layer {t_cold:.1f} s)")


if __name__ == "__main__":
    main()
