"""The deadline sweep inside every server process, run by one process at a time.

Each process wakes every ``every_s`` seconds and tries a PostgreSQL advisory lock; the one that gets it
sweeps (yellow/red warnings, 督办 records, optional auto-escalation) and delivers the notification outbox; the
others skip this round. If that process dies, its lock goes with its connection and another takes over at its
next wake-up: no cron needed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from gis.cases.book import CaseRules
from gis.cases.loop import sweep_deadlines
from gis.notify.outbox import deliver_due
from gis.notify.senders import local_senders
from gis.policy import SYSTEM
from gis.settings import NotifySettings
from gis.storage.locks import try_advisory_xact_lock
from gis.storage.pool import Pool

log = logging.getLogger("fengqiao.sweep")
SWEEP_LOCK = 727_303


class DeadlineSweeper:
    """A daemon thread sweeping deadlines on a schedule."""

    def __init__(self, pool: Pool, rules: Callable[[], CaseRules], *, every_s: float = 60.0) -> None:
        self._pool = pool
        self._rules = rules
        self._every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fengqiao-sweeper", daemon=True)
        self._notify = NotifySettings()
        self._senders = local_senders(self._notify.sink_dir)  # the notification outbox is delivered each round
        self.rounds = 0  # sweeps this process ran
        self.last: dict[str, int] | None = None

    def start(self) -> None:
        """Begin sweeping in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop at the next wake-up."""
        self._stop.set()

    def sweep_once(self) -> dict[str, int] | None:
        """One round: the counts when this process held the lock, None when another process did."""
        with self._pool.session(SYSTEM, timeout=5.0) as conn, conn.transaction():
            if not try_advisory_xact_lock(conn, key=SWEEP_LOCK):
                return None
            counts = sweep_deadlines(conn, rules=self._rules())
            sent = deliver_due(conn, senders=self._senders, max_attempts=self._notify.max_attempts,
                               backoff_s=self._notify.backoff_s)
            counts = {**counts, "notices_sent": sent.sent, "notices_failed": sent.failed}
        self.rounds += 1
        self.last = counts
        return counts

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            try:
                counts = self.sweep_once()
                if counts and any(counts.values()):
                    log.info("deadline sweep: %s", counts)
            except Exception as exc:  # the database may be down: try again next round
                log.warning("deadline sweep failed: %s", exc)
