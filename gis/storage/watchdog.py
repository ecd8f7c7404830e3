"""A watchdog that cuts pooled connections whose query went unanswered and the server is not working on.

TCP keepalives and ``statement_timeout`` do not cover every way a network fails: a proxy or a
firewall that swallows packets leaves the client waiting on a socket forever. One thread looks at
the connections lent to requests a few times a second. When a query has been waiting for longer
than the deadline, it asks the server, over a fresh connection, whether the backend is still
running a statement. A slow but honest query is left alone, and so is an answer still arriving (the
socket received data within the deadline: a slow link, a large result the server has finished
sending); a query the server is not working on and whose answer stopped coming (lost), or a server
that cannot be reached, gets its socket shut down, so the waiting request fails at once with a
database error (503) instead of hanging.
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from time import monotonic

import psycopg
from psycopg import pq

log = logging.getLogger("fengqiao.storage")
TICK_S = 0.25
QUICK_S = 1.0
# struct tcp_info (linux/tcp.h): tcpi_last_data_recv, milliseconds since the socket last received data.
TCP_INFO = getattr(socket, "TCP_INFO", None)
LAST_DATA_RECV_AT = 52


class Watchdog:
    """Watch connections lent to requests; cut the ones stuck on a server that is not answering.

    Parameters
    ----------
    conninfo : str
        How to reach the server for the liveness question (the pool's URL).
    deadline_s : float
        How long a query may wait for its answer before the server is asked about it.
    connect_timeout_s : float
        Connect timeout of that question's connection.
    """

    def __init__(self, *, conninfo: str, deadline_s: float, connect_timeout_s: float) -> None:
        self.conninfo = conninfo
        self.deadline_s = deadline_s
        self.connect_timeout = max(2, int(connect_timeout_s))
        self.cuts = 0
        self.last_cut_at: float | None = None
        self._watched: dict[int, tuple[psycopg.Connection, float | None]] = {}
        self._quick: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @contextmanager
    def watch(self, conn: psycopg.Connection, *, quick: bool = False) -> Iterator[None]:
        """Watch ``conn`` for the duration of the block.

        ``quick`` is for a query that must answer at once (the pool's liveness check): it is cut
        after one second without asking the server.
        """
        key = id(conn)
        with self._lock:
            self._watched[key] = (conn, None)
            if quick:
                self._quick.add(key)
            if self._thread is None and self.deadline_s > 0:
                self._thread = threading.Thread(target=self._run, name="db-watchdog", daemon=True)
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                self._watched.pop(key, None)
                self._quick.discard(key)

    def recently_cut(self) -> bool:
        """True within one deadline of a cut: the network or the server just lost an answer."""
        return self.last_cut_at is not None and monotonic() - self.last_cut_at < max(self.deadline_s, QUICK_S)

    def close(self) -> None:
        """Stop the watching thread."""
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(TICK_S):
            now = monotonic()
            overdue = []
            with self._lock:
                for key, (conn, since) in list(self._watched.items()):
                    waiting = conn.info.transaction_status == pq.TransactionStatus.ACTIVE
                    if not waiting:
                        self._watched[key] = (conn, None)
                    elif since is None:
                        self._watched[key] = (conn, now)
                    elif now - since >= (QUICK_S if key in self._quick else self.deadline_s):
                        overdue.append((key, conn))
            if overdue:
                try:
                    self._judge(overdue)
                except Exception:  # the watching thread must outlive any one connection's trouble
                    log.exception("database watchdog: judging overdue connections failed")

    def _judge(self, overdue: list[tuple[int, psycopg.Connection]]) -> None:
        """One question to the server for every overdue query; cut the ones it is not working on."""
        pids = {key: _pid(conn) for key, conn in overdue}
        overdue = [(key, conn) for key, conn in overdue if pids[key] is not None]  # closed meanwhile: given back
        asking = [pids[key] for key, _ in overdue if key not in self._quick]
        busy = self._busy_backends([p for p in asking if p is not None]) if asking else set()
        for key, conn in overdue:
            quick = key in self._quick
            if not quick and (pids[key] in busy or receiving(conn, within_s=self.deadline_s)):
                with self._lock:
                    if key in self._watched:
                        self._watched[key] = (conn, monotonic())
                continue
            log.warning("cutting database connection (backend %s): no answer and the server is not working on it",
                        pids[key])
            self.cuts += 1
            self.last_cut_at = monotonic()
            cut(conn)
            with self._lock:
                self._watched.pop(key, None)

    def _busy_backends(self, pids: list[int]) -> set[int]:
        """The backends among ``pids`` that the server says are running a statement (none if unreachable)."""
        try:
            with psycopg.connect(self.conninfo, connect_timeout=self.connect_timeout, autocommit=True) as probe:
                rows = probe.execute("SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s) AND state = 'active'",
                                     (pids,)).fetchall()
        except psycopg.Error:
            return set()
        return {int(r[0]) for r in rows}


def _pid(conn: psycopg.Connection) -> int | None:
    """The connection's backend, None once it is closed (the watching thread must never die of that)."""
    try:
        return None if conn.closed else conn.info.backend_pid
    except psycopg.Error:
        return None


def receiving(conn: psycopg.Connection, *, within_s: float) -> bool:
    """True when the connection's TCP socket received data within the last ``within_s`` s (an answer arriving).

    False for a socket that is not TCP (a Unix socket cannot stall on a network) or a system without TCP_INFO.
    """
    if TCP_INFO is None:
        return False
    try:
        sock = socket.socket(fileno=socket.dup(conn.fileno()))
        try:
            info = sock.getsockopt(socket.IPPROTO_TCP, TCP_INFO, 104)
        finally:
            sock.close()
    except (OSError, psycopg.Error):
        return False
    if len(info) < LAST_DATA_RECV_AT + 4:
        return False
    (idle_ms,) = struct.unpack_from("I", info, LAST_DATA_RECV_AT)
    return bool(idle_ms < within_s * 1000)


def cut(conn: psycopg.Connection) -> None:
    """Shut a connection's socket down so a thread blocked reading it wakes up with an error."""
    with suppress(OSError, psycopg.Error):
        sock = socket.socket(fileno=socket.dup(conn.fileno()))
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.close()
