"""Bad network to the database: the fault proxy between API and PostgreSQL adds latency, blackholes, resets.

Every request must end within a bound (no hang: pool wait, connect timeout and the query
watchdog), failures must be 503s, service must come back by itself after each fault, and the
database must hold every acknowledged case whole (case, parties, transition and audit in one
transaction: nothing half-written) and once.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from drills.cluster import DrillCluster
from drills.faultproxy import FaultProxy, Mode
from drills.report import OUT, ms, percentile, write_report
from drills.server import ApiServer, county_tiles, grid_codes, make_token
from drills.traffic import Sample, Traffic, wait_for_success
from drills.verify import verify_cases
from drills.writer import CaseWriter

# Pool wait 1.5 s + a 1 s check, or the watchdog's 3 s deadline + its 2 s probe: nothing may take longer.
BOUND_S = 10.0
RECOVER_S = 10.0


def run(*, phase_s: float = 6.0, blackhole_s: float = 12.0, latency_s: float = 0.02, writers: int = 2,
        readers: int = 2) -> dict[str, Any]:
    """Run the drill; returns the report body."""
    with DrillCluster.seeded() as cluster:
        url = cluster.url()
        token = make_token(url, "drill-operator", "operator")
        proxy = FaultProxy(cluster.port, latency_s=latency_s).start()
        phases: list[tuple[Mode, float, float]] = []
        recoveries: dict[str, float | None] = {}
        try:
            with ApiServer(cluster.app_url(port=proxy.port), owner_url=cluster.owner_url(),
                           log=OUT / "logs" / "netfault-api.log") as server:
                pid = server.pid
                writer = CaseWriter(server.base_url, token, grid_codes(url), prefix="net", threads=writers,
                                    timeout_s=30).start()
                traffic = Traffic(server.base_url, token, writer, county_tiles(url), readers=readers,
                                  timeout_s=30).start()
                try:
                    plan: list[tuple[Mode, float]] = [("pass", phase_s), ("latency", phase_s), ("pass", phase_s),
                                                      ("blackhole", blackhole_s), ("pass", phase_s),
                                                      ("reset", 1.0), ("pass", phase_s)]
                    for mode, seconds in plan:
                        t0 = time.monotonic()
                        proxy.set_mode(mode)
                        if mode == "pass" and phases and phases[-1][0] in ("blackhole", "reset"):
                            recoveries[phases[-1][0]] = wait_for_success(traffic, t0, timeout=30)
                        time.sleep(max(0.0, seconds - (time.monotonic() - t0)))
                        phases.append((mode, t0, time.monotonic()))
                finally:
                    writer.stop()
                    traffic.stop()
                server_kept = server.alive() and server.pid == pid
                cuts = _watchdog_cuts(server.log.read_text(errors="replace"))
        finally:
            proxy.stop()
        verdict = verify_cases(url, writer.acked)
    samples = traffic.all_requests()
    failed = [s for s in samples if s.status >= 500 or s.status == 0]
    figures: dict[str, Any] = {"phases": [f"{m} {ms(t1 - t0) / 1000:.1f}s" for m, t0, t1 in phases],
                               "requests": len(samples)}
    for i, (mode, t0, t1) in enumerate(phases):
        figures[f"phase{i}_{mode}"] = _phase(samples, t0, t1)
    figures.update({
        "max_request_ms": ms(max((s.latency for s in samples), default=0)),
        "recovery_after_blackhole_ms": _ms(recoveries.get("blackhole")),
        "recovery_after_reset_ms": _ms(recoveries.get("reset")), "watchdog_cuts": cuts, **verdict.figures(),
        "slowest": [f"{s.kind} {ms(s.latency)} ms -> {s.status}"
                    for s in sorted(samples, key=lambda s: -s.latency)[:3]],
    })
    checks = {
        f"every request ended within {BOUND_S:g} s": figures["max_request_ms"] <= BOUND_S * 1000,
        "failures are 503s, never 500 or a dropped connection": all(s.status == 503 for s in failed),
        "service back within 10 s of each fault": all(v is not None and v <= RECOVER_S for v in recoveries.values()),
        "latency phase served (no 503)": figures["phase1_latency"]["503"] == 0,
        "API never restarted": server_kept,
        "every acknowledged case present, none twice, none half-written": verdict.ok,
    }
    write_report("netfault", figures, checks)
    return {"figures": figures, "checks": checks}


def _phase(samples: list[Sample], t0: float, t1: float) -> dict[str, Any]:
    inside = [s for s in samples if t0 <= s.started < t1 and s.kind != "readyz"]
    lat = [s.latency for s in inside]
    statuses = Counter(s.status for s in inside)
    return {"requests": len(inside), "2xx": sum(v for k, v in statuses.items() if 200 <= k < 300),
            "503": statuses.get(503, 0), "other": sum(v for k, v in statuses.items() if k == 0 or k >= 400
                                                      and k != 503),
            "p95_ms": ms(percentile(lat, 95)), "max_ms": ms(max(lat, default=0))}


def _ms(value: float | None) -> float | None:
    return ms(value) if value is not None else None


def _watchdog_cuts(log: str) -> int:
    return log.count("cutting database connection")
