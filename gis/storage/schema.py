"""Is the database set up? Commands that need the schema say so plainly instead of a driver traceback."""

from __future__ import annotations

from gis.errors import Unavailable
from gis.settings import DatabaseSettings
from gis.storage.migrate import schema_files
from gis.storage.pool import Conn, connect, redact, translate_pg_errors

SETUP_HINT = "run `fengqiao setup`"


def require_schema(conn: Conn) -> None:
    """Raise unless every schema file of this version has been applied to the database.

    Parameters
    ----------
    conn : Conn
        Connection to the target database; nothing is written.

    Raises
    ------
    Unavailable
        Reason ``schema_missing`` when the database has no Fengqiao schema at all, ``schema_outdated``
        when it lacks files this version brings; both messages say to run ``fengqiao setup``.
    """
    where = redact(conn.info.dsn) if conn.info.dsn else "the database"
    with translate_pg_errors():
        present = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL"
                               " AND to_regclass('generations') IS NOT NULL").fetchone()
        applied: set[str] = set()
        if present and present[0]:
            applied = {str(r[0]) for r in conn.execute("SELECT name FROM schema_migrations").fetchall()}
    if not applied:
        raise Unavailable(f"{where} has no Fengqiao schema (no boundary tables): {SETUP_HINT} to create it",
                          reason="schema_missing")
    missing = [name for name, _ in schema_files() if name not in applied]
    if missing:
        raise Unavailable(f"{where} lacks {len(missing)} schema update(s) ({', '.join(missing[:3])}"
                          f"{', ...' if len(missing) > 3 else ''}): {SETUP_HINT} to apply them",
                          reason="schema_outdated")


def connect_ready(settings: DatabaseSettings) -> Conn:
    """A direct connection to a database that has the schema (else the error of :func:`require_schema`)."""
    conn = connect(settings)
    try:
        require_schema(conn)
    except BaseException:
        conn.close()
        raise
    return conn
