"""Connection pool, shapely adapters and the one place that translates driver errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from time import monotonic
from typing import Any

import psycopg
import shapely
from psycopg import errors as pg_errors
from psycopg.adapt import Dumper
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from gis.errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable
from gis.policy import ANONYMOUS, DatabaseScope
from gis.settings import DatabaseSettings
from gis.storage.row_security import ScopedConnection, apply_scope
from gis.storage.watchdog import Watchdog

# Names the rest of the code uses, so only gis.storage imports the driver.
Conn = psycopg.Connection
BUSY_SLICE_S = 0.25  # while waiting on a busy pool, look this often whether the database went away


class Pool(ConnectionPool):
    """The API's pool: fails fast while the database is away or stalled, queues a bounded time while it is busy.

    Every connection it lends (requests, streams, background work) is waited for the same way: up to
    ``request_timeout`` s; then, only if the database is up and answering (every connection is lent to
    work in progress), on up to ``busy_timeout`` s in all, giving up at once when the database is found
    unreachable or the watchdog has just cut a connection (a stalled network). Lent connections are
    watched (see gis.storage.watchdog).
    """

    def __init__(self, conninfo: str, *, request_timeout: float, busy_timeout: float, watchdog: Watchdog,
                 **kwargs: Any) -> None:
        self.request_timeout = request_timeout
        self.busy_timeout = busy_timeout
        self.watchdog = watchdog
        self.down_since: float | None = None
        super().__init__(conninfo, check=self._check_watched, **kwargs)

    def _connect(self, timeout: float | None = None) -> psycopg.Connection:
        """Open a connection, remembering whether the database is reachable (psycopg_pool's hook)."""
        try:
            conn = super()._connect(timeout)
        except psycopg.Error:
            self.down_since = self.down_since or monotonic()
            raise
        self.down_since = None
        return conn

    def _check_watched(self, conn: psycopg.Connection) -> None:
        """The pool's check before lending a connection (one empty query), cut if it does not answer."""
        with self.watchdog.watch(conn, quick=True):
            ConnectionPool.check_connection(conn)

    def stalled(self) -> bool:
        """True while the database is unreachable or a lent connection was just cut (its answer never came)."""
        return self.down_since is not None or self.watchdog.recently_cut()

    def lend(self, *, probe: bool = False, waited_s: float = 0.0) -> psycopg.Connection:
        """A connection within the pool's bounds, or PoolTimeout (a 503 at the API).

        At most ``request_timeout`` s while the database is away (and always for a ``probe``), at most
        ``busy_timeout`` s in all while it is up and every connection is in use; ``waited_s`` is what the
        caller already waited for its turn (the API's gate) and counts against both.
        """
        try:
            return self.getconn(timeout=max(0.05, self.request_timeout - waited_s))
        except PoolTimeout:
            if probe or self.stalled():
                raise
        deadline = monotonic() + self.busy_timeout - max(self.request_timeout, waited_s)
        while True:  # in slices, so a database found away (or a cut) ends the wait at once
            left = deadline - monotonic()
            if left <= 0:
                raise PoolTimeout(f"no connection within {self.busy_timeout:g} s: every connection is in use")
            try:
                return self.getconn(timeout=min(BUSY_SLICE_S, left))
            except PoolTimeout:
                if self.stalled():
                    raise

    @contextmanager
    def session(self, scope: DatabaseScope, *, timeout: float | None = None, probe: bool = False,
                waited_s: float = 0.0) -> Iterator[psycopg.Connection]:
        """The one way to borrow a connection: every transaction it opens runs under ``scope``.

        Requests pass the caller's scope (``gis.policy.database_scope``; the identity dependency narrows an
        ``ANONYMOUS`` lease once it knows the caller), background work ``SYSTEM``. The connection is watched,
        committed at the end (rolled back on error) and goes back unscoped. Within the pool's bounds: at most
        ``request_timeout`` s while the database is away (always for a ``probe``), ``busy_timeout`` s while it
        is busy; ``timeout`` can only shorten the wait, ``waited_s`` (the API's gate) counts against it.
        """
        if timeout is not None and timeout < self.request_timeout:
            conn = self.getconn(timeout=timeout)
        else:
            conn = self.lend(probe=probe, waited_s=waited_s)
        try:
            with self.watchdog.watch(conn), conn:  # the closing COMMIT is watched too
                _use(conn, scope)
                try:
                    yield conn
                finally:
                    _release(conn)
        finally:
            self.putconn(conn)

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[psycopg.Connection]:
        """psycopg_pool's ``connection()``: an ``ANONYMOUS`` session (no policed row; sign-in and limits)."""
        with self.session(ANONYMOUS, timeout=timeout) as conn:
            yield conn

    def close(self, timeout: float = 5.0) -> None:
        """Close the pool and stop its watchdog."""
        self.watchdog.close()
        super().close(timeout)


def _use(conn: psycopg.Connection, scope: DatabaseScope) -> None:
    if isinstance(conn, ScopedConnection):
        conn.use_scope(scope)
    else:  # a connection class of psycopg's own (never made by make_pool): this transaction only
        apply_scope(conn, scope)


def _release(conn: psycopg.Connection) -> None:
    if isinstance(conn, ScopedConnection):
        conn.release_scope()


class ShapelyDumper(Dumper):
    """Send shapely geometries as hex EWKB text; PostGIS casts it to geometry."""

    def dump(self, obj: object) -> bytes:
        """Encode one geometry."""
        return shapely.to_wkb(obj, hex=True, include_srid=True).encode()


def configure_connection(conn: psycopg.Connection) -> None:
    """Per-connection set-up run by the pool."""
    conn.adapters.register_dumper(shapely.Geometry, ShapelyDumper)


def connect(settings: DatabaseSettings, *, url: str | None = None, autocommit: bool = False) -> psycopg.Connection:
    """One direct connection as the owner (CLI tools, migrations); ``url`` overrides the owner's URL."""
    target = url or settings.owner_url
    try:
        conn = psycopg.connect(target, connect_timeout=max(1, int(settings.connect_timeout_s)), autocommit=autocommit)
    except psycopg.OperationalError as exc:
        raise Unavailable(f"cannot reach PostGIS at {redact(target)}: {exc}".strip()) from exc
    configure_connection(conn)
    return conn


def make_pool(settings: DatabaseSettings) -> Pool:
    """A pool that opens lazily, so the API starts (and reports not-ready) while PostGIS is down.

    Connections are checked when lent (one empty query), so the ones a database restart broke are
    replaced instead of failing a request. Reconnection gives up after a few seconds and restarts
    at the next request, so the pool never sits in a long back-off after the database returns.
    """
    options = (f"-c statement_timeout={settings.statement_timeout_ms}"
               f" -c idle_in_transaction_session_timeout={settings.idle_in_transaction_timeout_ms}")
    return Pool(
        settings.url,
        request_timeout=settings.pool_timeout_s,
        busy_timeout=settings.pool_busy_timeout_s,
        watchdog=Watchdog(conninfo=settings.url, deadline_s=settings.query_deadline_s,
                          connect_timeout_s=settings.connect_timeout_s),
        min_size=settings.pool_min,
        max_size=settings.pool_max,
        kwargs={"connect_timeout": max(1, int(settings.connect_timeout_s)), "options": options},
        configure=configure_connection,
        connection_class=ScopedConnection,
        open=False,
        timeout=10.0,
        reconnect_timeout=4.0,
    )


def redact(url: str) -> str:
    """A connection string safe to print: a URL or key=value form, password removed (psycopg parses it)."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "<unparseable connection string>"
    params.pop("password", None)
    shown = " ".join(f"{k}={v}" for k, v in params.items() if k in ("host", "port", "dbname", "user"))
    return shown or "<default connection>"


@contextmanager
def translate_pg_errors() -> Iterator[None]:
    """Turn driver errors into domain errors at the storage edge."""
    try:
        yield
    except pg_errors.UniqueViolation as exc:
        raise Conflict(_detail(exc), reason="duplicate") from exc
    except pg_errors.ExclusionViolation as exc:
        raise Conflict(_detail(exc), reason="exclusion_violation") from exc
    except pg_errors.ForeignKeyViolation as exc:
        raise InvalidInput(_detail(exc), reason="unknown_reference") from exc
    except (pg_errors.CheckViolation, pg_errors.NotNullViolation, pg_errors.DataException) as exc:
        raise InvalidInput(_detail(exc), reason="constraint_violation") from exc
    except pg_errors.InsufficientPrivilege as exc:  # a policy (schema 110) refused a row the code let through
        raise Forbidden("outside your region or not permitted to the server's database role",
                        reason="row_security") from exc
    except pg_errors.NoDataFound as exc:
        raise NotFound(_detail(exc)) from exc
    except (psycopg.OperationalError, PoolTimeout) as exc:
        raise Unavailable(f"database unavailable: {exc}") from exc


def _detail(exc: psycopg.Error) -> str:
    diag = exc.diag
    return (diag.message_detail or diag.message_primary or str(exc)).strip()
