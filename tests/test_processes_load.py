"""60 clients at once on a real server process: anonymous tiles and signed-in case lists all answer (no 503).

A request used to take a pooled connection on one worker thread and then need more threads (its identity,
its endpoint) while holding it: with more requests in flight than threads, every thread waited for a
connection and nothing moved until pool timeouts expired (503s). Timing is measured in bench/ and the
load drill; here only the answers count, with a generous timeout against a hung run.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from gis.settings import PROJECT_ROOT, AppSettings, DatabaseSettings
from gis.storage.pool import connect
from tests.browser_support import free_port
from tests.conftest import make_token

pytestmark = pytest.mark.processes

CLIENTS = 60
ROUNDS = 6
CENTRE = (114.6471302, 24.0688967)  # inside the sample county


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


@pytest.fixture(scope="module")
def server(db_settings: DatabaseSettings) -> Iterator[str]:
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, **db_settings.environment(),
           "FENGQIAO_DEMO": "1", "FENGQIAO_DEMO_POSITIONS": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--timeout-keep-alive", str(AppSettings().keep_alive_s)],
        env=env, cwd=PROJECT_ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while not _ready(url):
            assert proc.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the server was not ready within 90 s"
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_sixty_concurrent_clients_all_answer(server: str, db_settings: DatabaseSettings) -> None:
    token = make_token(db_settings, "load-op", "operator")
    with connect(db_settings) as c:
        towns = c.execute("SELECT count(*) FROM areas a JOIN generations g ON g.id = a.generation_id"
                          " WHERE g.is_active AND a.tier = 2").fetchone()
    assert towns is not None and towns[0] > 0
    x0, y0 = _tile_of(*CENTRE, 14)

    def anonymous_tiles(i: int) -> list[tuple[str, int]]:
        out = []
        with httpx.Client(base_url=server, timeout=60) as client:
            for r in range(ROUNDS):  # a new tile each time (drawn from the database), every other by generation
                x, y = x0 + (i % 10) - 5, y0 + (i // 10) * ROUNDS + r - 9
                params = {"generation": "sample-county"} if r % 2 else {}
                answer = client.get(f"/tiles/grids/14/{x}/{y}.pbf", params=params)
                out.append(("tile", answer.status_code))
        return out

    def signed_in_lists(i: int) -> list[tuple[str, int]]:
        out = []
        with httpx.Client(base_url=server, timeout=60, headers={"Authorization": f"Bearer {token}"}) as client:
            for r in range(ROUNDS):
                answer = client.get("/api/v1/cases", params={"limit": 20, "offset": (i * ROUNDS + r) % 50})
                out.append(("list", answer.status_code))
        return out

    with ThreadPoolExecutor(CLIENTS) as workers:
        futures = [workers.submit(anonymous_tiles if i % 2 == 0 else signed_in_lists, i // 2) for i in range(CLIENTS)]
        answers = [a for f in futures for a in f.result(timeout=300)]

    assert len(answers) == CLIENTS * ROUNDS
    tiles = [status for kind, status in answers if kind == "tile"]
    lists = [status for kind, status in answers if kind == "list"]
    assert set(lists) == {200}, sorted(set(lists))
    assert set(tiles) <= {200, 204}, sorted(set(tiles))  # 204: a tile with no grid in it
    assert tiles.count(200) > len(tiles) // 2
