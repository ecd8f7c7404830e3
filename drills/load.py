"""Load drill: 50 operators, 1,000 staff positions/s and 10 supervisors asking for their figures at once.

A plain asyncio + httpx generator (no extra dependency). Each operator loops: think, then one action drawn
from a fixed mix (tiles, lists, case detail, new cases, dispatch). A separate task posts a batch of 100
positions every 0.1 s on a fixed schedule. Each supervisor loops: think, then one figure (rankings, hotspots,
unit or staff statistics: the ``figure_*`` kinds). Figures per kind (count, p50/p95/p99, errors) go to
var/drills/load-*.json/txt; the checks are p95 case creation <= 500 ms, p99 <= 2 s, error rate < 0.5 %,
positions kept up.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx

from drills.cluster import DrillCluster
from drills.report import OUT, ms, percentile, write_report
from drills.server import ApiServer, auth, county_centre, county_tiles, grid_codes, make_token, staff_ids
from drills.writer import case_body
from gis.figures import REFRESH_S

MIX = (("tiles", 0.35), ("list", 0.25), ("open", 0.2), ("create", 0.12), ("dispatch", 0.08))
REFUSALS = {409}  # a fully booked person is an answer, not an error
MAX_IN_FLIGHT = 4  # position batches in flight at once
# What a supervisor's workspace asks for: the weekly rankings, the grid hotspots (joined to the tiles by code),
# the towns' and the staff's figures; each with its default window.
FIGURES = (("rankings", "/api/v1/stats/rankings", {}),
           ("hotspots", "/api/v1/hotspots", {"tier": "grid", "geometry": "false"}),
           ("units", "/api/v1/stats/units", {"tier": "town"}),
           ("staff", "/api/v1/stats/staff", {}))


@dataclass
class World:
    """What the load needs to know about the seeded database, and what it measured."""

    tiles: list[tuple[int, int, int]]
    grids: list[str]
    staff: list[int]
    centre: tuple[float, float]
    cases: list[int] = field(default_factory=list)
    results: dict[str, list[tuple[float, int]]] = field(default_factory=lambda: defaultdict(list))
    positions_sent: int = 0


async def timed(world: World, kind: str, call: Any) -> httpx.Response | None:
    """Await one request and record (latency, status); 0 for no answer."""
    t0 = time.monotonic()
    try:
        response: httpx.Response = await call
    except httpx.HTTPError:
        world.results[kind].append((time.monotonic() - t0, 0))
        return None
    world.results[kind].append((time.monotonic() - t0, response.status_code))
    return response


async def operator(client: httpx.AsyncClient, world: World, n: int, until: float, think_s: float) -> None:
    """One operator's session."""
    rng = random.Random(n)
    kinds, weights = zip(*MIX, strict=True)
    i = 0
    while time.monotonic() < until:
        await asyncio.sleep(rng.uniform(0.5, 1.5) * think_s)
        kind = rng.choices(kinds, weights)[0]
        if kind == "tiles":
            z, x, y = rng.choice(world.tiles)
            await asyncio.gather(*(timed(world, "tile", client.get(f"/tiles/grids/{z}/{x + dx}/{y + dy}.pbf"))
                                   for dx in (0, 1) for dy in (0, 1)))
        elif kind == "list":
            await timed(world, "list", client.get("/api/v1/cases", params={"limit": 20}))
        elif kind == "open" and world.cases:
            await timed(world, "open", client.get(f"/api/v1/cases/{rng.choice(world.cases[-200:])}"))
        elif kind == "create":
            key = f"load-{n}-{i}"
            r = await timed(world, "create", client.post("/api/v1/cases", json=case_body(key, rng.choice(world.grids)),
                                                          headers={"Idempotency-Key": key}))
            if r is not None and r.status_code == 201:
                world.cases.append(r.json()["id"])
        elif kind == "dispatch" and world.cases:
            await dispatch(client, world, rng.choice(world.cases[-200:]))
        i += 1


async def supervisor(client: httpx.AsyncClient, world: World, token: str, n: int, until: float, think_s: float
                     ) -> None:
    """One supervisor's session: think, then ask for one of the figures."""
    rng = random.Random(1000 + n)
    while time.monotonic() < until:
        await asyncio.sleep(rng.uniform(0.5, 1.5) * think_s)
        name, path, params = rng.choice(FIGURES)
        await timed(world, f"figure_{name}", client.get(path, params=params, headers=auth(token)))


async def dispatch(client: httpx.AsyncClient, world: World, case_id: int) -> None:
    """Ask for recommendations, then send the best mediator."""
    r = await timed(world, "recommend", client.get(f"/api/v1/cases/{case_id}/recommendations", params={"k": 3}))
    if r is None or r.status_code != 200:
        return
    candidates = r.json()["roles"].get("mediator", {}).get("candidates", [])
    if candidates:
        body = {"staff": [{"staff_id": candidates[0]["staff_id"], "role": "lead"}], "note": "load drill"}
        await timed(world, "dispatch", client.post(f"/api/v1/cases/{case_id}/dispatches", json=body))


async def positions(client: httpx.AsyncClient, world: World, until: float, per_second: int, batch: int) -> None:
    """Batches on a fixed schedule, at most MAX_IN_FLIGHT at once (late ones go as soon as a slot frees)."""
    rng = random.Random(99)
    lon, lat = world.centre
    interval = batch / per_second
    next_at = time.monotonic()
    pending: set[asyncio.Task[Any]] = set()
    while next_at < until:
        while len(pending) >= MAX_IN_FLIGHT:  # a gateway's bounded queue: wait for a slot
            await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        body = {"positions": [{"staff_id": rng.choice(world.staff), "lon": lon + rng.uniform(-0.05, 0.05),
                               "lat": lat + rng.uniform(-0.05, 0.05), "accuracy_m": 8.0} for _ in range(batch)]}
        task = asyncio.create_task(timed(world, "positions", client.post("/api/v1/staff/positions/batch", json=body)))
        pending.add(task)
        task.add_done_callback(pending.discard)
        world.positions_sent += batch
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    await asyncio.gather(*pending)


async def drive(base_url: str, token: str, world: World, *, operators: int, duration_s: float, per_second: int,
                batch: int, think_s: float, supervisor_tokens: list[str], supervisor_think_s: float) -> float:
    """Run every task until the duration is over; returns the wall time."""
    limits = httpx.Limits(max_connections=operators + 20, max_keepalive_connections=operators + 20)
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30,
                                 limits=limits) as client:
        t0 = time.monotonic()
        until = t0 + duration_s
        await asyncio.gather(positions(client, world, until, per_second, batch),
                             *(operator(client, world, n, until, think_s) for n in range(operators)),
                             *(supervisor(client, world, sup, n, until, supervisor_think_s)
                               for n, sup in enumerate(supervisor_tokens)))
        return time.monotonic() - t0


def run(duration_s: float = 600, *, operators: int = 50, per_second: int = 1000, batch: int = 100,
        think_s: float = 2.0, supervisors: int = 10, supervisor_think_s: float = 5.0) -> dict[str, Any]:
    """Run the drill; returns the report body."""
    with DrillCluster.seeded() as cluster:
        url = cluster.url()
        token = make_token(url, "drill-operator", "operator")
        supervisor_tokens = [make_token(url, f"drill-supervisor-{n}", "supervisor") for n in range(supervisors)]
        world = World(county_tiles(url, 13), grid_codes(url, 500), staff_ids(url), county_centre(url))
        # The figures' refresh delay as deployed (the test suite's environment sets it to 0).
        env = {"FENGQIAO_FIGURES_REFRESH_S": str(REFRESH_S)}
        with ApiServer(cluster.app_url(), owner_url=cluster.owner_url(), log=OUT / "logs" / "load-api.log",
                       env=env) as server:
            wall = asyncio.run(drive(server.base_url, token, world, operators=operators, duration_s=duration_s,
                                     per_second=per_second, batch=batch, think_s=think_s,
                                     supervisor_tokens=supervisor_tokens, supervisor_think_s=supervisor_think_s))
    return report(world, wall, duration_s, operators, per_second, supervisors)


def report(world: World, wall: float, duration_s: float, operators: int, per_second: int, supervisors: int = 0
           ) -> dict[str, Any]:
    """Figures and checks of a finished run."""
    figures: dict[str, Any] = {"duration_s": round(wall, 1), "operators": operators, "supervisors": supervisors}
    total = errors = 0
    for kind, rows in sorted(world.results.items()):
        lat = [r[0] for r in rows]
        bad = sum(1 for _, s in rows if _bad(s))
        total, errors = total + len(rows), errors + bad
        figures[kind] = {"n": len(rows), "p50_ms": ms(percentile(lat, 50)), "p95_ms": ms(percentile(lat, 95)),
                         "p99_ms": ms(percentile(lat, 99)), "max_ms": ms(max(lat, default=0)), "errors": bad,
                         "refused_409": sum(1 for _, s in rows if s in REFUSALS),
                         "error_statuses": dict(Counter(s for _, s in rows if _bad(s)))}
    stored = sum(1 for _, s in world.results["positions"] if s == 200) * (world.positions_sent
                                                                         / max(1, len(world.results["positions"])))
    figures.update({"requests": total, "requests_per_s": round(total / wall, 1), "errors": errors,
                    "error_rate_pct": round(100 * errors / max(1, total), 3),
                    "positions_per_s_stored": round(stored / wall, 1)})
    create = figures.get("create", {"p95_ms": 1e9, "p99_ms": 1e9})
    checks = {"p95 case creation <= 500 ms": create["p95_ms"] <= 500,
              "p99 case creation <= 2 s": create["p99_ms"] <= 2000,
              "error rate < 0.5 %": figures["error_rate_pct"] < 0.5,
              f"positions kept up (>= 95 % of {per_second}/s)": figures["positions_per_s_stored"] >= 0.95 * per_second
              * min(1.0, duration_s / wall)}
    write_report("load", figures, checks)
    return {"figures": figures, "checks": checks}


def _bad(status: int) -> bool:
    """No answer, a server error, or a refusal that is not an answer (409 is one)."""
    return status == 0 or (status >= 400 and status not in REFUSALS)
