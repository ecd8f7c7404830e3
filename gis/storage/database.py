"""Creating databases and checking that one is reachable."""

from __future__ import annotations

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from gis.errors import Unavailable
from gis.settings import DatabaseSettings
from gis.storage import roles
from gis.storage.migrate import apply_migrations
from gis.storage.pool import connect, redact


def url_for_database(url: str, dbname: str) -> str:
    """The same server, another database."""
    params = conninfo_to_dict(url)
    params["dbname"] = dbname
    return make_conninfo(**params)  # type: ignore[arg-type]


def database_name(url: str) -> str:
    """The database a URL points at."""
    return str(conninfo_to_dict(url).get("dbname") or "postgres")


def ensure_database(settings: DatabaseSettings) -> str:
    """Create the target database (as the owner) if it does not exist; returns the owner's URL of it.

    On the local cluster the superuser then adds the extensions (PostGIS is not a trusted extension)
    and hands an older database's objects to the owner role.
    """
    target = settings.owner_url
    name = database_name(target)
    with connect(settings, url=url_for_database(target, "postgres"), autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(name)))
    if settings.superuser_url is not None:
        with connect(settings, url=settings.superuser_url, autocommit=True) as superuser:
            roles.prepare_local_database(superuser, roles.role_of(target))
    return target


def prepare_database(settings: DatabaseSettings) -> list[str]:
    """The database brought to this version; returns the schema files applied now.

    Created if missing, migrated as the owner, the application role's grants renewed.
    """
    ensure_database(settings)
    with connect(settings) as conn:
        applied = apply_migrations(conn)
        if roles.separate_roles(settings):
            roles.grant_application_role(conn, roles.role_of(settings.url))
        conn.commit()
    return applied


def clone_database(template: DatabaseSettings, target: DatabaseSettings) -> DatabaseSettings:
    """``target``'s database made anew as a copy of ``template``'s (``CREATE DATABASE ... TEMPLATE``).

    A file-level copy of a migrated or loaded database, much quicker than migrating or loading again
    (the test suites' scratch databases). Nobody may be connected to the template meanwhile.
    """
    drop_database(target)
    name, source = database_name(target.owner_url), database_name(template.owner_url)
    with connect(target, url=url_for_database(target.owner_url, "postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(source)))
    return target


def drop_database(settings: DatabaseSettings) -> None:
    """Drop the settings' database (test clean-up), disconnecting its sessions (as the superuser when local)."""
    name = database_name(settings.owner_url)
    admin_url = url_for_database(settings.superuser_url or settings.owner_url, "postgres")
    with connect(settings, url=admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def ping(conn: psycopg.Connection) -> None:
    """Raise Unavailable unless a trivial query answers."""
    try:
        conn.execute("SELECT 1").fetchone()
    except psycopg.Error as exc:
        raise Unavailable(f"database did not answer: {exc}") from exc


__all__ = ["clone_database", "database_name", "drop_database", "ensure_database", "ping", "prepare_database", "redact",
           "url_for_database"]
