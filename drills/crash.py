"""Crash drill: kill -9 the postmaster at random moments under writes; no acknowledged case may be lost.

A writer posts cases through the API (one uvicorn process, never restarted) and records every
acknowledgement. Each round SIGKILLs the PostgreSQL postmaster at a random moment, waits for its
backends to go, starts the server again (crash recovery replays the WAL) and waits until the
writer gets a 201 again. At the end every acknowledged case must be present with its register
transition and audit row, none stored twice, and ``pg_amcheck`` must find nothing.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from typing import Any

from drills.cluster import DrillCluster
from drills.report import OUT, ms, percentile, write_report
from drills.server import ApiServer, grid_codes, make_token
from drills.verify import amcheck, verify_cases
from drills.writer import CaseWriter


def run(rounds: int = 20, *, writers: int = 3, min_gap: float = 0.2, max_gap: float = 2.0,
        seed: int = 20261123) -> dict[str, Any]:
    """Run the drill; returns the report body (figures and checks)."""
    rng = random.Random(seed)
    with DrillCluster.seeded() as cluster:
        url = cluster.url()
        token = make_token(url, "drill-writer", "operator")
        with ApiServer(cluster.app_url(), owner_url=cluster.owner_url(), log=OUT / "logs" / "crash-api.log") as server:
            pid = server.pid
            writer = CaseWriter(server.base_url, token, grid_codes(url), prefix="crash", threads=writers).start()
            back_at: list[float] = []
            resumed = 0
            try:
                for _ in range(rounds):
                    time.sleep(rng.uniform(min_gap, max_gap))
                    cluster.kill9()
                    cluster.start()
                    back_at.append(time.monotonic())
                    resumed += _wait_for_201(writer, back_at[-1], timeout=30)
                time.sleep(0.5)
            finally:
                writer.stop()
            server_kept = server.alive() and server.pid == pid
        verdict = verify_cases(url, writer.acked)
        clean, amcheck_output = amcheck(cluster)
    recoveries = _recoveries(writer, back_at)
    statuses = Counter(a.status for a in writer.attempts)
    figures = {
        "rounds": rounds, **verdict.figures(), "attempts": len(writer.attempts),
        "answers": {str(k): v for k, v in sorted(statuses.items())},
        "abandoned_unacknowledged": len(writer.abandoned),
        "recovery_ms_p50": ms(percentile(recoveries, 50)), "recovery_ms_max": ms(max(recoveries, default=0)),
        "max_request_ms": ms(max((a.latency for a in writer.attempts), default=0)),
        "pg_amcheck": "clean" if clean else amcheck_output[-2000:],
    }
    checks = {
        "every acknowledged case present": not verdict.missing and not verdict.wrong_id,
        "no case stored twice": not verdict.duplicated,
        "every case has its transition and audit rows": not (verdict.without_transition or verdict.without_audit),
        "pg_amcheck clean": clean,
        "writes resumed after every round": resumed == rounds,
        "API never restarted": server_kept,
        "errors were 503s or lost answers, never 500": all(s in (0, 200, 201, 503) for s in statuses),
    }
    write_report("crash", figures, checks)
    return {"figures": figures, "checks": checks}


def _wait_for_201(writer: CaseWriter, since: float, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with writer._lock:
            if any(a.status == 201 and a.started + a.latency >= since for a in writer.attempts[-50:]):
                return 1
        time.sleep(0.05)
    return 0


def _recoveries(writer: CaseWriter, back_at: list[float]) -> list[float]:
    """Per round: from the server accepting connections again to the next 201 answered."""
    ends = sorted(a.started + a.latency for a in writer.attempts if a.status == 201)
    out = []
    for t in back_at:
        later = [e for e in ends if e >= t]
        if later:
            out.append(later[0] - t)
    return out
