"""Creating databases and checking that one is reachable."""

from __future__ import annotations

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from gis.errors import Unavailable
from gis.settings import DatabaseSettings
from gis.storage.pool import connect, redact


def url_for_database(url: str, dbname: str) -> str:
    """The same server, another database."""
    params = conninfo_to_dict(url)
    params["dbname"] = dbname
    return make_conninfo(**params)  # type: ignore[arg-type]


def database_name(url: str) -> str:
    """The database a URL points at."""
    return str(conninfo_to_dict(url).get("dbname") or "postgres")


def ensure_database(settings: DatabaseSettings, dbname: str | None = None) -> str:
    """Create the target database if it does not exist; returns its URL."""
    target = url_for_database(settings.url, dbname) if dbname else settings.url
    name = database_name(target)
    with connect(settings, url=url_for_database(settings.url, "postgres"), autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(name)))
    return target


def drop_database(settings: DatabaseSettings, dbname: str) -> None:
    """Drop a database (test clean-up), disconnecting its sessions."""
    with connect(settings, url=url_for_database(settings.url, "postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))


def ping(conn: psycopg.Connection) -> None:
    """Raise Unavailable unless a trivial query answers."""
    try:
        conn.execute("SELECT 1").fetchone()
    except psycopg.Error as exc:
        raise Unavailable(f"database did not answer: {exc}") from exc


__all__ = ["database_name", "drop_database", "ensure_database", "ping", "redact", "url_for_database"]
