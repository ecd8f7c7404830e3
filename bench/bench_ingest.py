"""Staff GPS ingest against a running server: batched positions/s vs one-fix-per-request, and dispatch latency.

Run: .venv/bin/python bench/bench_ingest.py [--seconds 15]
Starts `fengqiao serve` on a spare port, loads through it from separate processes, and prints:
  - peer: single-fix requests (one request and one commit per fix), positions/s
  - batched: POST /api/v1/staff/positions/batch (250 fixes per request, 2 clients), positions/s
  - recommendation latency p50/p99 idle and while the batched ingest runs
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gis.settings import DatabaseSettings  # noqa: E402
from gis.storage import access  # noqa: E402
from gis.storage.pool import connect  # noqa: E402

PORT = 18766
BASE = f"http://127.0.0.1:{PORT}"


def batch_client(token: str, staff_ids: list[int], seconds: float, out: mp.Queue) -> None:  # type: ignore[type-arg]
    rng = np.random.default_rng(os.getpid())
    sent, deadline = 0, time.monotonic() + seconds
    with httpx.Client(base_url=BASE, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        while time.monotonic() < deadline:
            ids = rng.choice(staff_ids, 250, replace=False)
            now = datetime.now(UTC).isoformat()
            body = {"positions": [{"staff_id": int(i), "lon": float(114.3 + rng.random() * 0.6),
                                   "lat": float(23.9 + rng.random() * 0.4), "accuracy_m": 10, "recorded_at": now}
                                  for i in ids]}
            response = client.post("/api/v1/staff/positions/batch", json=body)
            response.raise_for_status()
            sent += response.json()["stored"]
    out.put(sent)


def single_client(token: str, staff_ids: list[int], seconds: float, out: mp.Queue) -> None:  # type: ignore[type-arg]
    rng = np.random.default_rng(os.getpid())
    sent, deadline = 0, time.monotonic() + seconds
    with httpx.Client(base_url=BASE, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        while time.monotonic() < deadline:
            staff_id = int(rng.choice(staff_ids))
            client.post(f"/api/v1/staff/{staff_id}/positions",
                        json={"lon": 114.5, "lat": 24.1, "accuracy_m": 10}).raise_for_status()
            sent += 1
    out.put(sent)


def run_clients(target: object, token: str, ids: list[int], seconds: float, n: int) -> float:
    queue: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    procs = [mp.Process(target=target, args=(token, ids, seconds, queue)) for _ in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    return sum(queue.get() for _ in procs) / seconds


def latency(client: httpx.Client, case_id: int, n: int = 200) -> tuple[float, float]:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        client.get(f"/api/v1/cases/{case_id}/recommendations", params={"role": "mediator"}).raise_for_status()
        times.append(time.perf_counter() - t)
    return float(np.percentile(times, 50) * 1000), float(np.percentile(times, 99) * 1000)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    token = secrets.token_urlsafe(16)
    with connect(DatabaseSettings()) as conn:
        user = access.upsert_user(conn, username="bench-ingest", role="operator")
        access.add_token(conn, user_id=user.id, token=token)
        ids = [int(r[0]) for r in conn.execute("SELECT id FROM staff WHERE active ORDER BY id LIMIT 10000")]
        conn.commit()
    if len(ids) < 1000:
        raise SystemExit("load the sample roster first (fengqiao setup)")
    server = subprocess.Popen([str(ROOT / ".venv/bin/fengqiao"), "serve", "--port", str(PORT)],
                              env={**os.environ, "FENGQIAO_DEMO": "1"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=BASE, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
            for _ in range(300):
                try:
                    if client.get("/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            case = client.post("/api/v1/cases", json={"category": "0201", "source_channel": "walk_in",
                                                      "description": "基准测试", "lon": 114.6471302,
                                                      "lat": 24.0688967},
                               headers={"Idempotency-Key": f"bench-ingest-{time.time_ns()}"}).json()
            latency(client, case["id"], n=5)  # warm-up: the first call builds the staff trees
            idle = latency(client, case["id"])
            single = run_clients(single_client, token, ids, args.seconds / 3, 1)
            queue: mp.Queue = mp.Queue()  # type: ignore[type-arg]
            procs = [mp.Process(target=batch_client, args=(token, ids, args.seconds, queue)) for _ in range(2)]
            for p in procs:
                p.start()
            time.sleep(1.0)
            loaded = latency(client, case["id"], n=100)
            for p in procs:
                p.join()
            batched = sum(queue.get() for _ in procs) / args.seconds
        print(f"one fix per request, durable commit each (peer): {single:,.0f} positions/s")
        print(f"batched ingest (250 per request, 2 client processes): {batched:,.0f} positions/s "
              f"({batched / single:.0f}x; target >= 1,000/s sustained)")
        print(f"recommendation latency idle: p50 {idle[0]:.1f} ms, p99 {idle[1]:.1f} ms; "
              f"during ingest: p50 {loaded[0]:.1f} ms, p99 {loaded[1]:.1f} ms")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
