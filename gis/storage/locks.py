"""Advisory locks: one process at a time for work every server process could do."""

from __future__ import annotations

from gis.storage.pool import Conn, translate_pg_errors


def try_advisory_xact_lock(conn: Conn, *, key: int) -> bool:
    """Take a transaction-scoped advisory lock without waiting; False when another session holds it."""
    with translate_pg_errors():
        row = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (key,)).fetchone()
    return bool(row and row[0])
