"""Apply the numbered schema files in order, each once, each in its own transaction."""

from __future__ import annotations

import hashlib
from importlib import resources

import psycopg

from gis.storage.rendered import rendered_functions

SCHEMA_LOCK = 727_101  # advisory lock id: concurrent set-ups queue instead of racing


def schema_files() -> list[tuple[str, str]]:
    """(name, sql) of every schema file, in numeric order."""
    folder = resources.files("gis.storage") / "sql" / "schema"
    files = sorted((f.name, f.read_text(encoding="utf-8")) for f in folder.iterdir() if f.name.endswith(".sql"))
    return files


def function_files() -> list[tuple[str, str]]:
    """(name, sql) of the SQL function definitions (CREATE OR REPLACE, re-applied every time)."""
    folder = resources.files("gis.storage") / "sql" / "functions"
    return sorted((f.name, f.read_text(encoding="utf-8")) for f in folder.iterdir() if f.name.endswith(".sql"))


def apply_migrations(conn: psycopg.Connection) -> list[str]:
    """Bring the schema up to date; returns the names of the files applied now.

    Idempotent: files already recorded in ``schema_migrations`` are skipped, so re-running
    set-up on a populated database keeps its data.
    """
    applied_now: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
        # The lists written in Python, first: schema files' CHECKs and policies call them.
        conn.execute(rendered_functions().encode())
        for name, sql in schema_files():
            if name in done:
                continue
            conn.execute(sql.encode())
            digest = hashlib.sha256(sql.encode()).hexdigest()
            conn.execute("INSERT INTO schema_migrations (name, sha256) VALUES (%s, %s)", (name, digest))
            applied_now.append(name)
        # Functions may name temp tables that exist only during a load: check bodies at call time.
        conn.execute("SET LOCAL check_function_bodies = off")
        for _name, sql in function_files():
            conn.execute(sql.encode())
    return applied_now
