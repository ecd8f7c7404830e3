"""Backup drill: `fengqiao db backup` under writes, `fengqiao db restore` into a fresh cluster.

Every case acknowledged before the backup started must be in the restored database, with its
transition and audit rows, and none twice.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from drills.cluster import DrillCluster
from drills.report import OUT, ms, write_report
from drills.server import ApiServer, grid_codes, make_token
from drills.verify import verify_cases
from drills.writer import CaseWriter
from gis.settings import PROJECT_ROOT


def fengqiao(*args: str, db_url: str) -> str:
    """Run the CLI with DATABASE_URL set; returns its output (raises when it fails)."""
    done = subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, env={**os.environ, "DATABASE_URL": db_url}, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"fengqiao {' '.join(args)} failed: {done.stdout}{done.stderr}")
    return done.stdout.strip()


def run(write_s: float = 5.0) -> dict[str, Any]:
    """Run the drill; returns the report body."""
    with DrillCluster.seeded() as source, DrillCluster() as fresh, tempfile.TemporaryDirectory() as tmp:
        url = source.url()
        token = make_token(url, "drill-writer", "operator")
        with ApiServer(source.app_url(), owner_url=source.owner_url(), log=OUT / "logs" / "backup-api.log") as server:
            writer = CaseWriter(server.base_url, token, grid_codes(url), prefix="backup", threads=2).start()
            try:
                time.sleep(write_s)
                backup_at = time.monotonic()
                with writer._lock:
                    before = {a.key: a.case_id for a in writer.attempts
                              if a.case_id is not None and a.started + a.latency < backup_at}
                said = fengqiao("db", "backup", "--out", tmp, db_url=url)
                backup_s = time.monotonic() - backup_at
                time.sleep(1.0)  # writes go on after the backup point
            finally:
                writer.stop()
        folder = next(Path(tmp).glob("fengqiao-*"))
        dump_bytes = (folder / "fengqiao.dump").stat().st_size
        fresh.init()
        fresh.start()
        t0 = time.monotonic()
        restored = fengqiao("db", "restore", str(folder), "--to", fresh.url(), db_url=fresh.url())
        restore_s = time.monotonic() - t0
        verdict = verify_cases(fresh.url(), {k: v for k, v in before.items() if v is not None})
        after = len(writer.acked) - len(before)
    figures = {"acknowledged_before_backup": len(before), "acknowledged_after": after,
               "backup_ms": ms(backup_s), "restore_ms": ms(restore_s),
               "dump_bytes": dump_bytes,
               "backup_said": said, "restore_said": restored, **verdict.figures()}
    checks = {"every case acknowledged before the backup is restored": not verdict.missing and not verdict.wrong_id,
              "none twice, none half-written": verdict.ok}
    write_report("backup", figures, checks)
    return {"figures": figures, "checks": checks}
