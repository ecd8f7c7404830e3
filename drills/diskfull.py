"""Disk full: PostgreSQL's WAL on a small tmpfs, filled by staff position ingest while cases are written.

The API must answer 503 (a JSON error, no stack trace) once the server cannot write WAL; after
the tmpfs is enlarged (space freed) and PostgreSQL restarted, every acknowledged case must be
present, and the API must serve again without a restart.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import psycopg

from drills.cluster import DrillCluster
from drills.report import OUT, ms, write_report
from drills.server import ApiServer, county_centre, grid_codes, make_token, staff_ids
from drills.traffic import Sample, first_success_after
from drills.verify import verify_cases
from drills.writer import CaseWriter

# WAL kept until the disk fills: no early checkpoints recycling it.
# Room on the tmpfs while the API starts (its start-up writes WAL too); then it is shrunk to the headroom.
START_ROOM_MB = 512
WAL_CONF = "max_wal_size = 4GB\nmin_wal_size = 32MB\ncheckpoint_timeout = 1h\nwal_compression = off\n"


def run(headroom_mb: int = 40, *, batch: int = 2000, fill_timeout_s: float = 120) -> dict[str, Any]:
    """Run the drill; returns the report body."""
    with DrillCluster.seeded(WAL_CONF) as cluster:
        url = cluster.url()
        token = make_token(url, "drill-operator", "operator")
        grids, staff, centre = grid_codes(url), staff_ids(url), county_centre(url)
        _checkpoint(cluster)
        cluster.stop()
        cluster.drop_spare_wal()
        mount = cluster.root / "walfs"
        _move_wal_to_tmpfs(cluster, mount, START_ROOM_MB)
        try:
            cluster.start()
            with ApiServer(cluster.app_url(), owner_url=cluster.owner_url(),
                           log=OUT / "logs" / "diskfull-api.log") as server:
                pid = server.pid
                tmpfs_mb = _leave_headroom(mount, headroom_mb)  # after the server's start-up writes
                writer = CaseWriter(server.base_url, token, grids, prefix="disk", threads=2).start()
                feeder = PositionFeeder(server.base_url, token, staff, centre, batch=batch).start()
                t0 = time.monotonic()
                full_at = _wait_until_refused(feeder, writer, fill_timeout_s)
                time.sleep(3.0)  # keep knocking while full
                feeder.stop()
                writer.stop()
                full_samples = [s for s in feeder.samples if full_at is not None and s.started >= full_at]
                full_statuses = Counter(a.status for a in writer.attempts if full_at and a.started >= full_at)
                full_statuses.update(s.status for s in full_samples)
                subprocess.run(["mount", "-o", "remount,size=512m", str(mount)], check=True)
                cluster.stop("immediate")
                cluster.start()
                back = cluster.wait_accepting()
                probe = CaseWriter(server.base_url, token, grids, prefix="disk-after", threads=1).start()
                recovered = _wait_success(probe, back, 30)
                probe.stop()
                server_kept = server.alive() and server.pid == pid
                traces = server.log.read_text(errors="replace").count("Traceback")
            verdict = verify_cases(url, {**writer.acked, **probe.acked})
        finally:
            cluster.stop("immediate")
            subprocess.run(["umount", "-l", str(mount)], check=False)
    figures = {
        "wal_tmpfs_mb": tmpfs_mb, "positions_stored": feeder.stored,
        "seconds_to_fill": round(full_at - t0, 1) if full_at else None,
        "answers_while_full": {str(k): v for k, v in sorted(full_statuses.items())},
        "stack_traces_in_answers": feeder.traces, "tracebacks_in_api_log": traces,
        "recovery_after_restart_ms": ms(recovered) if recovered is not None else None, **verdict.figures(),
    }
    checks = {
        "the disk filled": full_at is not None,
        "while full, refusals are 503s (no 500, no dropped connection)": full_statuses.get(503, 0) > 0
        and set(full_statuses) <= {200, 201, 503},
        "no stack trace in any answer": feeder.traces == 0,
        "every acknowledged case present after space freed and restart": verdict.ok,
        "API served again without restart": recovered is not None and server_kept,
    }
    write_report("diskfull", figures, checks)
    return {"figures": figures, "checks": checks}


def _checkpoint(cluster: DrillCluster) -> None:
    """CHECKPOINT, so the WAL left to move to the tmpfs is small."""
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def _leave_headroom(mount: Path, headroom_mb: int) -> int:
    """Shrink the tmpfs to what the WAL uses now plus ``headroom_mb``; returns its size in MB."""
    size_mb = shutil.disk_usage(mount).used // 2**20 + 1 + headroom_mb
    subprocess.run(["mount", "-o", f"remount,size={size_mb}m", str(mount)], check=True)
    return size_mb


def _move_wal_to_tmpfs(cluster: DrillCluster, mount: Path, headroom_mb: int) -> int:
    wal = cluster.data / "pg_wal"
    used_mb = sum(f.stat().st_size for f in wal.rglob("*") if f.is_file()) // 2**20 + 1
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={used_mb + headroom_mb}m", "tmpfs", str(mount)], check=True)
    shutil.copytree(wal, mount / "pg_wal")
    shutil.rmtree(wal)
    wal.symlink_to(mount / "pg_wal")
    subprocess.run(["chown", "-R", "postgres:postgres", str(mount)], check=True)
    return used_mb


def _wait_until_refused(feeder: PositionFeeder, writer: CaseWriter, timeout: float) -> float | None:
    """The moment both ingest and case writes have been refused (the disk is full)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        recent = feeder.samples[-3:]
        if len(recent) == 3 and all(s.status in (0, 500, 503) for s in recent):
            return recent[0].started
        time.sleep(0.2)
    return None


def _wait_success(writer: CaseWriter, since: float, timeout: float) -> float | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = first_success_after([Sample("create", a.started, a.latency, a.status, None)
                                     for a in list(writer.attempts)], since)
        if found is not None:
            return found
        time.sleep(0.1)
    return None


class PositionFeeder:
    """A thread posting batches of staff positions as fast as the API takes them."""

    def __init__(self, base_url: str, token: str, staff: list[int], centre: tuple[float, float], *,
                 batch: int = 1000, per_second: float | None = None) -> None:
        self.base_url, self.token, self.staff, self.centre = base_url, token, staff, centre
        self.batch, self.per_second = batch, per_second
        self.samples: list[Sample] = []
        self.stored = 0
        self.traces = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> PositionFeeder:
        """Start feeding."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop feeding."""
        self._stop.set()
        self._thread.join(30)

    def _body(self, rng: random.Random) -> dict[str, Any]:
        lon, lat = self.centre
        return {"positions": [{"staff_id": rng.choice(self.staff), "lon": lon + rng.uniform(-0.02, 0.02),
                               "lat": lat + rng.uniform(-0.02, 0.02), "accuracy_m": 10.0}
                              for _ in range(self.batch)]}

    def _loop(self) -> None:
        rng = random.Random(1)
        with httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {self.token}"},
                          timeout=30) as client:
            while not self._stop.is_set():
                t0 = time.monotonic()
                try:
                    response = client.post("/api/v1/staff/positions/batch", json=self._body(rng))
                    status = response.status_code
                    self.traces += "Traceback" in response.text
                    if status == 200:
                        self.stored += int(response.json()["stored"])
                except httpx.HTTPError:
                    status = 0
                self.samples.append(Sample("positions", t0, time.monotonic() - t0, status, None))
                if self.per_second:
                    self._stop.wait(max(0.0, self.batch / self.per_second - (time.monotonic() - t0)))
                elif status != 200:
                    self._stop.wait(0.2)
