"""What row-level security costs: the application's role under the policies against plain PostGIS (the owner,
no policy, the region written as a WHERE clause), same queries, same run, on the demo database's cases.

Run: .venv/bin/python bench/bench_row_security.py   (needs `fengqiao setup`: the sample county and its cases)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gis.settings import DatabaseSettings  # noqa: E402
from gis.storage.pool import connect  # noqa: E402
from gis.storage.row_security import DatabaseScope, apply_scope  # noqa: E402

ROUNDS = 60
TILE = (12, 3351, 1775)  # a zoom-12 tile over the sample county's centre

# (name, query under the policy, the same for plain PostGIS with the region written out, scope). The server's
# queries carry the region hint storage derives from the connection's scope (row_security.case_region) and get
# the policy on top: the second and third rows measure that;
# the first and last measure a query that relies on the policy alone.
QUERIES: list[tuple[str, str, str, str | None]] = [
    ("county-wide counts per town (supervisor)",
     "SELECT town_code, count(*) FROM cases GROUP BY 1",
     "SELECT town_code, count(*) FROM cases GROUP BY 1", None),
    ("one town's newest 50 cases (town operator)",
     "SELECT id, case_no, status FROM cases WHERE town_code = %(town)s ORDER BY created_at DESC LIMIT 50",
     "SELECT id, case_no, status FROM cases WHERE town_code = %(town)s ORDER BY created_at DESC LIMIT 50", "town"),
    ("one town's open cases with parties (town operator)",
     "SELECT c.id, p.name FROM cases c JOIN case_parties p ON p.case_id = c.id WHERE c.closed_at IS NULL"
     " AND c.town_code = %(town)s",
     "SELECT c.id, p.name FROM cases c JOIN case_parties p ON p.case_id = c.id WHERE c.closed_at IS NULL"
     " AND c.town_code = %(town)s", "town"),
    ("cases in a zoom-12 tile (town operator)",
     "SELECT count(*) FROM cases c WHERE c.id IN (SELECT fq_case_ids_in_box(ST_Transform(ST_TileEnvelope(%(z)s,"
     " %(x)s, %(y)s), 4326)))",
     "SELECT count(*) FROM cases c WHERE c.geom && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4326)"
     " AND c.town_code = %(town)s", "town"),
]


def timed(run: Callable[[], Any]) -> tuple[np.ndarray, Any]:
    samples = np.empty(ROUNDS)
    answer = None
    for i in range(ROUNDS):
        t0 = time.perf_counter_ns()
        answer = run()
        samples[i] = time.perf_counter_ns() - t0
    return samples / 1e6, answer


def main() -> None:
    settings = DatabaseSettings()
    with connect(settings) as owner, psycopg.connect(settings.url) as app:
        town_row = owner.execute("SELECT town_code FROM cases GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()
        total = owner.execute("SELECT count(*) FROM cases").fetchone()
        if town_row is None or total is None:
            raise SystemExit("no cases: run `fengqiao setup` first")
        town = str(town_row[0])
        params = {"town": town, "z": TILE[0], "x": TILE[1], "y": TILE[2]}
        print(f"{total[0]:,} cases; town {town}; {ROUNDS} rounds each; p50 / p95 in ms")
        for name, policed, plain, scope_kind in QUERIES:
            scope = DatabaseScope("operator" if scope_kind else "supervisor", town if scope_kind else None, 1)

            def under_policy(query: str = policed, scope: DatabaseScope = scope) -> Any:
                apply_scope(app, scope)
                rows = app.execute(query, params).fetchall()  # type: ignore[arg-type]
                app.rollback()
                return sorted(rows)

            def plain_postgis(query: str = plain) -> Any:
                rows = owner.execute(query, params).fetchall()  # type: ignore[arg-type]
                owner.rollback()
                return sorted(rows)

            ours, answer = timed(under_policy)
            theirs, expected = timed(plain_postgis)
            print(f"  {name}: row-level security {np.percentile(ours, 50):.2f} / {np.percentile(ours, 95):.2f};"
                  f" plain PostGIS (peer) {np.percentile(theirs, 50):.2f} / {np.percentile(theirs, 95):.2f};"
                  f" ratio {np.percentile(ours, 50) / np.percentile(theirs, 50):.2f}x;"
                  f" same rows: {answer == expected}")


if __name__ == "__main__":
    main()
