"""Outage drill: under load, `pg_ctl restart -m immediate`, then PostgreSQL stopped for a while.

Requests must fail fast (a 503 with Retry-After within 3 s, never a hang), /readyz must say the
database is away, and service must return within 10 s of the database accepting connections,
without restarting the API.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from drills.cluster import DrillCluster
from drills.report import OUT, ms, write_report
from drills.server import ApiServer, county_tiles, grid_codes, make_token
from drills.traffic import Sample, Traffic, wait_for_success
from drills.verify import verify_cases
from drills.writer import CaseWriter

FAIL_FAST_S = 3.0
RECOVER_S = 10.0


def run(outage_s: float = 30.0, *, writers: int = 2, readers: int = 3, steady_s: float = 3.0) -> dict[str, Any]:
    """Run the drill; returns the report body."""
    with DrillCluster.seeded() as cluster:
        url = cluster.url()
        token = make_token(url, "drill-operator", "operator")
        with ApiServer(cluster.app_url(), owner_url=cluster.owner_url(), log=OUT / "logs" / "outage-api.log") as server:
            pid = server.pid
            writer = CaseWriter(server.base_url, token, grid_codes(url), prefix="outage", threads=writers).start()
            traffic = Traffic(server.base_url, token, writer, county_tiles(url), readers=readers).start()
            try:
                time.sleep(steady_s)
                restart_at = time.monotonic()
                cluster.restart_immediate()
                restart_back = cluster.wait_accepting()
                restart_recovery = wait_for_success(traffic, restart_back, timeout=30)
                time.sleep(steady_s)
                stop_at = time.monotonic()
                cluster.stop("immediate")
                time.sleep(outage_s)
                cluster.start()
                stop_back = cluster.wait_accepting()
                stop_recovery = wait_for_success(traffic, stop_back, timeout=30)
                time.sleep(steady_s)
            finally:
                writer.stop()
                traffic.stop()
            server_kept = server.alive() and server.pid == pid
        verdict = verify_cases(url, writer.acked)
    samples = traffic.all_requests()
    during = [s for s in samples if restart_at <= s.started <= restart_back or stop_at <= s.started <= stop_back]
    failed = [s for s in samples if s.status >= 500 or s.status == 0]
    probes = [s for s in samples if s.kind == "readyz" and stop_at + 1.5 <= s.started and s.ended <= stop_back]
    figures = {
        "outage_s": outage_s, "requests": len(samples), "requests_during_faults": len(during),
        "answers": {str(k): v for k, v in sorted(Counter(s.status for s in samples).items())},
        "max_ms_during_faults": ms(max((s.latency for s in during), default=0)),
        "max_ms_of_a_503": ms(max((s.latency for s in failed if s.status == 503), default=0)),
        "slower_than_3s": sum(1 for s in samples if s.latency > FAIL_FAST_S),
        "503_without_retry_after": sum(1 for s in failed if s.status == 503 and not s.retry_after),
        "readyz_503_while_stopped": f"{sum(1 for s in probes if s.status == 503)}/{len(probes)}",
        "recovery_after_restart_ms": ms(restart_recovery) if restart_recovery is not None else None,
        "recovery_after_stop_ms": ms(stop_recovery) if stop_recovery is not None else None,
        "restart_immediate_took_ms": ms(restart_back - restart_at), **verdict.figures(),
    }
    checks = {
        "failures are 503s, never 500 or a dropped connection": all(s.status == 503 for s in failed),
        "every 503 carries Retry-After": figures["503_without_retry_after"] == 0,
        "no request slower than 3 s": figures["slower_than_3s"] == 0,
        "readyz 503 while the database is stopped": bool(probes) and all(s.status == 503 for s in probes),
        "service back within 10 s of a restart": restart_recovery is not None and restart_recovery <= RECOVER_S,
        "service back within 10 s of the database returning": stop_recovery is not None
        and stop_recovery <= RECOVER_S,
        "API never restarted": server_kept,
        "every acknowledged case present": verdict.ok,
    }
    write_report("outage", figures, checks)
    return {"figures": figures, "checks": checks}


__all__ = ["Sample", "run"]
