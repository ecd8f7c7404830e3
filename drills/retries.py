"""Idempotent retries under faults: answers dropped by the proxy, the client retries with its key.

The fault proxy sits between the client and the API in ``mute`` mode: the POST reaches the API and
the case is stored, but the answer never comes back. The client times out and retries the same
POST with the same Idempotency-Key, three times; the third gets through and must name the one case
the first attempt created (200, created false). Reusing the key with a different body is a 409.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import psycopg

from drills.cluster import DrillCluster
from drills.faultproxy import FaultProxy
from drills.report import OUT, write_report
from drills.server import ApiServer, grid_codes, make_token
from drills.writer import case_body, post_case


def run(keys: int = 20, *, client_timeout_s: float = 1.5) -> dict[str, Any]:
    """Run the drill; returns the report body."""
    with DrillCluster.seeded() as cluster:
        url = cluster.url()
        token = make_token(url, "drill-operator", "operator")
        grids = grid_codes(url, limit=keys)
        with ApiServer(cluster.app_url(), owner_url=cluster.owner_url(),
                       log=OUT / "logs" / "retries-api.log") as server:
            proxy = FaultProxy(server.port).start()
            try:
                outcome = _exercise(f"http://127.0.0.1:{proxy.port}", token, grids, keys, client_timeout_s, proxy)
            finally:
                proxy.stop()
        with psycopg.connect(url) as conn:
            stored = dict(conn.execute(
                "SELECT substr(description, 12), count(*) FROM cases WHERE description LIKE 'drill case retry-%'"
                " GROUP BY 1").fetchall())
    finals, statuses, conflicts = outcome
    figures = {
        "keys": keys, "attempts": sum(statuses.values()),
        "answers": {str(k): v for k, v in sorted(statuses.items())},
        "cases_stored": sum(stored.values()), "keys_stored_twice": sum(1 for n in stored.values() if n > 1),
        "final_answers_200_same_case": sum(1 for f in finals.values() if f),
        "reused_key_other_body_409": sum(1 for c in conflicts if c),
    }
    checks = {
        "each muted POST reached the API (one case per key)": figures["cases_stored"] == keys
        and figures["keys_stored_twice"] == 0,
        "the third retry answered 200 with the first case": figures["final_answers_200_same_case"] == keys,
        "the same key with another body is refused (409 idempotency_key_reused)": all(conflicts)
        and len(conflicts) == keys,
    }
    write_report("retries", figures, checks)
    return {"figures": figures, "checks": checks}


def _exercise(base_url: str, token: str, grids: list[str], keys: int, timeout_s: float, proxy: FaultProxy
              ) -> tuple[dict[str, bool], Counter[int], list[bool]]:
    finals: dict[str, bool] = {}
    statuses: Counter[int] = Counter()
    conflicts = []
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=timeout_s) as client:
        for i in range(keys):
            key = f"retry-{i}"
            body = case_body(key, grids[i % len(grids)])
            proxy.set_mode("mute")
            for _ in range(3):  # the first POST and two retries: answers lost
                statuses[post_case(client, key, body).status] += 1
            proxy.set_mode("pass")
            final = post_case(client, key, body)  # the third retry gets through
            statuses[final.status] += 1
            finals[key] = final.status == 200 and final.case_id is not None
            other = client.post("/api/v1/cases", json={**body, "description": "another body"},
                                headers={"Idempotency-Key": key})
            statuses[other.status_code] += 1
            conflicts.append(other.status_code == 409
                             and other.json()["error"]["reason"] == "idempotency_key_reused")
    return finals, statuses, conflicts
