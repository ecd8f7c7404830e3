"""Locate over HTTP next to a bare FastAPI endpoint served the same way, in the same run.

Run: .venv/bin/python bench/bench_http.py [--requests 3000]
Both servers run as `uvicorn` processes (uvloop + httptools when installed); the client opens a new TCP
connection per request (as a browser or a phone behind NAT often does) and measures wall time per request.
Prints p50/p99 in ms for `GET /api/v1/locate` (random points in the sample county) and the bare endpoint,
and the ratio of the two p99s. Target: locate p99 <= 2 ms.
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gis.settings import DatabaseSettings  # noqa: E402
from gis.storage import areas  # noqa: E402
from gis.storage.pool import connect  # noqa: E402

LOCATE_PORT, BARE_PORT = 18771, 18772


def start(app: str, port: int, factory: bool) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), "--log-level",
            "warning", "--no-access-log", "--timeout-keep-alive", "75"] + (["--factory"] if factory else [])
    return subprocess.Popen(args, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "FENGQIAO_DEMO": "1"})


def wait_ready(port: int, path: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server on {port} did not become ready")


def timed(port: int, paths: list[str]) -> np.ndarray:
    out = np.empty(len(paths))
    for i, path in enumerate(paths):
        start = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        conn.close()
        out[i] = time.perf_counter() - start
        assert response.status == 200, response.status
    return out * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    with connect(DatabaseSettings()) as conn:
        gen = areas.get_generation(conn)
        bbox = areas.generation_extent(conn, generation_id=gen.id)
    assert bbox is not None
    rng = np.random.default_rng(7)
    lon = rng.uniform(bbox[0], bbox[2], args.requests)
    lat = rng.uniform(bbox[1], bbox[3], args.requests)
    paths = [f"/api/v1/locate?lon={x:.6f}&lat={y:.6f}" for x, y in zip(lon, lat, strict=True)]
    servers = [start("api.main:create_app", LOCATE_PORT, True), start("bench.peers.bare_app:app", BARE_PORT, False)]
    try:
        wait_ready(LOCATE_PORT, "/readyz")
        wait_ready(BARE_PORT, "/ping")
        timed(LOCATE_PORT, paths[:200])  # warm both
        timed(BARE_PORT, ["/ping"] * 200)
        locate = timed(LOCATE_PORT, paths)
        bare = timed(BARE_PORT, ["/ping"] * args.requests)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
    for name, ms in (("bare FastAPI endpoint (peer)", bare), ("GET /api/v1/locate", locate)):
        print(f"{name:32s} p50 {np.percentile(ms, 50):.2f} ms  p99 {np.percentile(ms, 99):.2f} ms"
              f"  max {ms.max():.2f} ms  (n={len(ms)}, new connection per request)")
    print(f"locate p99 / bare p99 = {np.percentile(locate, 99) / np.percentile(bare, 99):.2f}x; "
          f"target p99 <= 2 ms: {'met' if np.percentile(locate, 99) <= 2.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
