"""Connection pool, shapely adapters and the one place that translates driver errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import shapely
from psycopg import errors as pg_errors
from psycopg.adapt import Dumper
from psycopg_pool import ConnectionPool, PoolTimeout

from gis.errors import Conflict, InvalidInput, NotFound, Unavailable
from gis.settings import DatabaseSettings

# Names the rest of the code uses, so only gis.storage imports the driver.
Conn = psycopg.Connection
Pool = ConnectionPool


class ShapelyDumper(Dumper):
    """Send shapely geometries as hex EWKB text; PostGIS casts it to geometry."""

    def dump(self, obj: object) -> bytes:
        """Encode one geometry."""
        return shapely.to_wkb(obj, hex=True, include_srid=True).encode()


def configure_connection(conn: psycopg.Connection) -> None:
    """Per-connection set-up run by the pool."""
    conn.adapters.register_dumper(shapely.Geometry, ShapelyDumper)


def connect(settings: DatabaseSettings, *, url: str | None = None, autocommit: bool = False) -> psycopg.Connection:
    """One direct connection (CLI tools, migrations); ``url`` overrides the configured one."""
    target = url or settings.url
    try:
        conn = psycopg.connect(target, connect_timeout=max(1, int(settings.connect_timeout_s)), autocommit=autocommit)
    except psycopg.OperationalError as exc:
        raise Unavailable(f"cannot reach PostGIS at {redact(target)}: {exc}".strip()) from exc
    configure_connection(conn)
    return conn


def make_pool(settings: DatabaseSettings) -> ConnectionPool:
    """A pool that opens lazily, so the API starts (and reports not-ready) while PostGIS is down."""
    return ConnectionPool(
        settings.url,
        min_size=settings.pool_min,
        max_size=settings.pool_max,
        kwargs={"connect_timeout": max(1, int(settings.connect_timeout_s)),
                "options": f"-c statement_timeout={settings.statement_timeout_ms}"},  # interactive queries only
        configure=configure_connection,
        open=False,
        timeout=10.0,
        reconnect_timeout=3600,
    )


def redact(url: str) -> str:
    """A URL safe to print (password removed)."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}@{host}"


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
    except pg_errors.NoDataFound as exc:
        raise NotFound(_detail(exc)) from exc
    except (psycopg.OperationalError, PoolTimeout) as exc:
        raise Unavailable(f"database unavailable: {exc}") from exc


def _detail(exc: psycopg.Error) -> str:
    diag = exc.diag
    return (diag.message_detail or diag.message_primary or str(exc)).strip()
