"""Several server processes on one database stay in step: activations and roster edits reach all of them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from api.cli import main as cli_main
from gis.settings import PROJECT_ROOT, DatabaseSettings
from gis.staff.roster import StaffRecord
from gis.storage import staff as staff_store
from gis.storage.pool import connect
from tests.browser_support import free_port
from tests.conftest import make_token, use_database

pytestmark = pytest.mark.processes

TINY = Path(__file__).parent / "fixtures" / "boundaries" / "clean"
TINY_POINT = {"lon": 114.605, "lat": 24.115}  # grid 990101001001001 of the tiny corpus
CASE_POINT = {"lon": 114.6471302, "lat": 24.0688967}  # grid 449901001008007 of the sample county


def start_server(db: DatabaseSettings, port: int) -> subprocess.Popen[bytes]:
    env = {**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, **db.environment(),
           "FENGQIAO_SWEEP_EVERY_S": "1", "FENGQIAO_DEMO": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-proxy-headers"], env=env, cwd=PROJECT_ROOT)


def wait_for(check: Callable[[], bool], timeout: float) -> float:
    """Seconds until check() holds; the timeout only stops a hung test (latency is measured in bench/)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s")


@pytest.fixture(scope="module")
def servers(db_settings: DatabaseSettings) -> Iterator[list[str]]:
    ports = [free_port(), free_port()]
    procs = [start_server(db_settings, p) for p in ports]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        for url in urls:
            wait_for(lambda url=url: _ready(url), 90)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def generation_at(url: str, point: dict[str, float]) -> str:
    return str(httpx.get(f"{url}/api/v1/locate", params=point, timeout=5).json()["generation_name"])


def test_cli_activation_reaches_every_process(servers: list[str], db_settings: DatabaseSettings,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    use_database(monkeypatch, db_settings)
    name = f"tiny-{uuid.uuid4().hex[:6]}"
    assert cli_main(["boundaries", "load", str(TINY), "--standalone", "--commit", "--generation", name]) == 0
    assert [generation_at(url, TINY_POINT) for url in servers] == ["sample-county", "sample-county"]
    try:
        assert cli_main(["boundaries", "activate", name, "--yes", "--override"]) == 0
        for url in servers:  # the index takes seconds to build; the old one answers meanwhile (timing: bench/)
            wait_for(lambda url=url: generation_at(url, TINY_POINT) == name, 60)
        where = httpx.get(f"{servers[1]}/api/v1/locate", params=TINY_POINT).json()
        assert where["grid_code"] == "990101001001001"
    finally:
        assert cli_main(["boundaries", "activate", "sample-county", "--yes", "--override"]) == 0
        for url in servers:
            wait_for(lambda url=url: generation_at(url, TINY_POINT) == "sample-county", 60)


def test_roster_edits_and_the_deadline_sweep_reach_every_process(servers: list[str],
                                                                  db_settings: DatabaseSettings) -> None:
    token = make_token(db_settings, "proc-op", "operator")
    headers = {"Authorization": f"Bearer {token}"}
    case = httpx.post(f"{servers[0]}/api/v1/cases", headers={**headers, "Idempotency-Key": uuid.uuid4().hex}, json={
        "category": "0201", "source_channel": "walk_in", "description": "多进程", **CASE_POINT}).json()
    code = f"MP{uuid.uuid4().hex[:6]}"
    with connect(db_settings) as c:  # a roster write from outside any server (the CLI, a script)
        staff_store.upsert_staff(c, records=[StaffRecord(
            staff_code=code, name="新调解员", role="mediator", skills=("02",), home_lon=CASE_POINT["lon"],
            home_lat=CASE_POINT["lat"])])
        c.commit()

    def listed(url: str) -> bool:
        body = httpx.get(f"{url}/api/v1/cases/{case['id']}/recommendations",
                         params={"role": "mediator", "k": 3}, headers=headers, timeout=5).json()
        return code in [c["staff_code"] for c in body["roles"]["mediator"]["candidates"]]

    for url in servers:
        wait_for(lambda url=url: listed(url), 30)
    with connect(db_settings) as c:  # overdue now: one of the processes sweeps within a second or two
        c.execute("UPDATE cases SET created_at = now() - interval '3 days', due_at = now() - interval '1 hour'"
                  " WHERE id = %s", (case["id"],))
        c.execute("UPDATE staff SET active = false WHERE staff_code = %s", (code,))
        c.commit()

    def warned() -> bool:
        with connect(db_settings) as c:
            row = c.execute("SELECT warning_level, (SELECT count(*) FROM case_supervisions WHERE case_id = %s)"
                            " FROM cases WHERE id = %s", (case["id"], case["id"])).fetchone()
        return row == ("red", 1)

    wait_for(warned, 30)
