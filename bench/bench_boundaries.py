"""Validating and loading boundaries against a plain geopandas read + PostGIS COPY of the same file, same run.

Run: .venv/bin/python bench/bench_boundaries.py [--province]
The county: data/boundaries/sample_county.gpkg (4 tiers, 9,579 areas). The province (--province) is
generated on first use into var/bench/province.gpkg (about 200,000 grids; takes several minutes).
Target: the county fully validated and loaded in under 30 s on this 2-core machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import geopandas as gpd
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gis.boundaries.load import LoadOptions, commit, prepare  # noqa: E402
from gis.sample.county import TIER_LAYERS, CountySpec, build_county, write_county  # noqa: E402
from gis.sample.tiling import TilingCounts  # noqa: E402
from gis.settings import DatabaseSettings  # noqa: E402
from gis.storage.pool import connect  # noqa: E402


def plain_copy(conn: object, path: Path) -> float:
    """The peer: read every layer with geopandas and COPY code, name and WKB into a bare table."""
    t = time.perf_counter()
    conn.execute("CREATE TEMP TABLE plain (code text, name text, geom geometry)")  # type: ignore[attr-defined]
    with conn.cursor() as cur, cur.copy("COPY plain (code, name, geom) FROM STDIN") as copy:  # type: ignore[attr-defined]
        for layer in TIER_LAYERS.values():
            frame = gpd.read_file(path, layer=layer, engine="pyogrio")
            for code, name, wkb in zip(frame.code, frame.name, shapely.to_wkb(frame.geometry.values, hex=True),
                                       strict=True):
                copy.write_row((code, name, wkb))
    elapsed = time.perf_counter() - t
    conn.rollback()  # type: ignore[attr-defined]
    return elapsed


def ours(conn: object, path: Path) -> tuple[float, float, int]:
    t = time.perf_counter()
    prepared = prepare(conn, path, LoadOptions(standalone=True))  # type: ignore[arg-type]
    validated = time.perf_counter() - t
    commit(conn, prepared, name=f"bench-{time.time():.0f}", source=path.name)  # type: ignore[arg-type]
    total = time.perf_counter() - t
    conn.rollback()  # type: ignore[attr-defined]
    return validated, total, len(prepared.report.findings)


def run(label: str, path: Path, target: float | None) -> None:
    with connect(DatabaseSettings()) as conn:
        peer = plain_copy(conn, path)
        validated, total, findings = ours(conn, path)
    print(f"[{label}] {path.name}")
    print(f"  geopandas read + PostGIS COPY, no checks (peer): {peer:.1f} s")
    print(f"  fengqiao validate: {validated:.1f} s; validate + load (generation, 3857 copy, areas, subdivided "
          f"pieces): {total:.1f} s; {findings} finding(s)")
    print(f"  ratio to the peer: {total / peer:.1f}x the time" + (f" (target: under {target:.0f} s)" if target else ""))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--province", action="store_true")
    args = parser.parse_args()
    run("county", ROOT / "data" / "boundaries" / "sample_county.gpkg", 30)
    if args.province:
        path = ROOT / "var" / "bench" / "province.gpkg"
        if not path.exists():
            spec = CountySpec(code="449902", name="省级测试", seed=3, area_km2=72_000, centre=(113.5, 24.0),
                              counts=TilingCounts(408, 24624, 204840))
            write_county(build_county(spec), path)
        run("province", path, None)


if __name__ == "__main__":
    main()
