"""The supervisors' figures warm (a stored answer) against cold (computed for the request, as every request was
before the figures were stored): the same HTTP request, same process, same run, on the demo database's cases.

Run: .venv/bin/python bench/bench_figures.py [--rounds 7] [--database fengqiao_bench]   (default: the configured
database, as `fengqiao setup` leaves it; --database sets up one of its own with the sample county and cases)
Cold: the app's figure store cannot keep anything (every request computes: the peer). Warm: the store as shipped,
after one request. Prints p50 per figure and the ratio cold / warm; answers are checked identical (but for
the window's ends, which a relative window takes from the clock).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.main import create_app  # noqa: E402
from gis.bootstrap import bootstrap  # noqa: E402
from gis.figures import FigureCache  # noqa: E402
from gis.hotspots.service import warm as warm_weights  # noqa: E402
from gis.settings import PROJECT_ROOT, AppSettings, DatabaseSettings  # noqa: E402
from gis.storage import access  # noqa: E402
from gis.storage.pool import connect  # noqa: E402

FIGURES = (("rankings", "/api/v1/stats/rankings"),
           ("hotspots (grid, no geometry)", "/api/v1/hotspots?tier=grid&geometry=false"),
           ("unit statistics (towns)", "/api/v1/stats/units?tier=town"),
           ("staff statistics", "/api/v1/stats/staff"))
TOKEN = "bench-figures-supervisor"


def headers(db: DatabaseSettings) -> dict[str, str]:
    """A county supervisor's bearer token (the bench's own user)."""
    with connect(db) as conn:
        user = access.upsert_user(conn, username="bench-figures", role="supervisor")
        access.add_token(conn, user_id=user.id, token=TOKEN, label="bench")
        conn.commit()
    return {"Authorization": f"Bearer {TOKEN}"}


def timed(client: TestClient, path: str, auth: dict[str, str], rounds: int) -> tuple[np.ndarray, bytes]:
    times, body = [], b""
    for _ in range(rounds):
        start = time.perf_counter()
        r = client.get(path, headers=auth)
        times.append(time.perf_counter() - start)
        assert r.status_code == 200, r.text
        body = r.content
    return np.array(times) * 1000, body


def _figures(body: bytes) -> object:
    """The answer without the window's ends (a relative window ends at the moment it was computed)."""
    def strip(value: object) -> object:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("since", "until", "previous")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(json.loads(body))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--database", default=None, help="a database of its own on the local cluster, set up "
                        "(schema, sample county, roster, a year of cases) if new; default: the configured one")
    args = parser.parse_args()
    db = DatabaseSettings()
    if args.database:
        db = db.for_database(args.database)
        bootstrap(db, data_dir=PROJECT_ROOT / "data")
    auth = headers(db)
    with connect(db) as conn:  # the generation's weights: built once per process, not measured (no transaction
        conn.autocommit = True  # held open meanwhile: it takes minutes on a loaded machine)
        warm_weights(conn)
    with TestClient(create_app(AppSettings(warm_hotspots=False, demo_positions=False), db)) as client:
        services = client.app.state.services  # type: ignore[attr-defined]
        print(f"{'figure':32} {'cold p50 ms':>12} {'warm p50 ms':>12} {'warm p95 ms':>12} {'ratio':>8}")  # noqa: T201
        for name, path in FIGURES:
            services.figures = FigureCache(period_s=0)  # keeps nothing: every request computes (the peer)
            cold, cold_body = timed(client, path, auth, args.rounds)
            services.figures = FigureCache()  # as shipped
            client.get(path, headers=auth)
            warm, warm_body = timed(client, path, auth, args.rounds * 10)
            same = "identical" if _figures(cold_body) == _figures(warm_body) else "DIFFERENT (data moved meanwhile?)"
            ratio = np.median(cold) / np.median(warm)
            print(f"{name:32} {np.median(cold):12.1f} {np.median(warm):12.1f} "  # noqa: T201
                  f"{np.percentile(warm, 95):12.1f} {ratio:7.0f}x  {same}")


if __name__ == "__main__":
    main()
