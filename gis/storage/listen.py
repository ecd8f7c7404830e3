"""One LISTEN connection per process: turns NOTIFY into callbacks, with a version check as a fallback.

Writers never call this module: triggers (schema 050) and ``append_event`` notify in the writer's
transaction, so a change made by the CLI, another server process or another machine arrives here when
it commits. Notifications can be lost while the connection is down, so every ``check_every_s`` the
listener also reads ``service_versions`` and reports every version it sees; services compare and refresh.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import psycopg

from gis.policy import SYSTEM_ROLE
from gis.settings import DatabaseSettings

log = logging.getLogger("fengqiao.listen")

CHANGES_CHANNEL = "fq_changes"  # payload: generation | roster | positions
EVENTS_CHANNEL = "fq_events"  # payload: empty; subscribers read the event log from their cursor
# The listener reads only versions (positions' newest arrival included), under the server's own scope.
SYSTEM_OPTIONS = f"-c fengqiao.role={SYSTEM_ROLE}"

Callback = Callable[[str], None]


def read_versions(conn: psycopg.Connection) -> dict[str, int]:
    """Every service version the database holds; ``positions`` is the newest fix's arrival (microseconds)."""
    versions = {str(name): int(version) for name, version in conn.execute("SELECT name, version FROM service_versions")}
    row = conn.execute("SELECT (extract(epoch FROM max(received_at)) * 1e6)::bigint FROM staff_positions_latest"
                       ).fetchone()
    versions["positions"] = int(row[0]) if row and row[0] is not None else 0
    return versions


class ChangeListener:
    """A daemon thread holding one LISTEN connection, reconnecting until stopped.

    ``on_change(topic)`` is called for each change notification and ``on_versions(versions)`` after
    every (re)connection and every ``check_every_s``; ``on_event()`` for each new event. Callbacks run
    on the listener thread and must return quickly (hand long work to another thread).
    """

    def __init__(self, settings: DatabaseSettings, *, on_change: Callback,
                 on_versions: Callable[[dict[str, int]], None], on_event: Callable[[], None],
                 check_every_s: float = 5.0) -> None:
        self._settings = settings
        self._on_change, self._on_versions, self._on_event = on_change, on_versions, on_event
        self._check_every_s = check_every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fengqiao-listener", daemon=True)
        self.connected = threading.Event()

    def start(self) -> None:
        """Start listening in the background."""
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        """Stop and wait for the thread (it wakes at least once a second)."""
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._settings.url, autocommit=True, options=SYSTEM_OPTIONS,
                                     connect_timeout=max(1, int(self._settings.connect_timeout_s))) as conn:
                    conn.execute(f"LISTEN {CHANGES_CHANNEL}")
                    conn.execute(f"LISTEN {EVENTS_CHANNEL}")
                    self.connected.set()
                    delay = 0.5
                    self._serve(conn)
            except Exception as exc:  # the database is down or restarting: retry, never die
                self.connected.clear()
                log.warning("change listener disconnected (%s); retrying in %.1f s", exc, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, 5.0)

    def _serve(self, conn: psycopg.Connection) -> None:
        self._on_versions(read_versions(conn))
        self._on_event()  # anything committed while we were away
        checked = time.monotonic()
        while not self._stop.is_set():
            for note in conn.notifies(timeout=1.0, stop_after=1000):
                if note.channel == EVENTS_CHANNEL:
                    self._on_event()
                else:
                    self._on_change(note.payload)
            if time.monotonic() - checked >= self._check_every_s:
                self._on_versions(read_versions(conn))
                checked = time.monotonic()
