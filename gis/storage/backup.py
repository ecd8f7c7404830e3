"""Logical backups with pg_dump (custom format) and restores into a new database with pg_restore.

A backup is a folder ``fengqiao-<UTC time>/`` holding ``fengqiao.dump`` and ``manifest.json``.
pg_dump reads one consistent snapshot taken when it starts, so every transaction committed before
the backup started (every case acknowledged by then) is in it. Point-in-time recovery (a base
backup plus archived WAL) is described in the README; it is configured on the server, not here.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from psycopg import sql

from gis.errors import Conflict, InvalidInput, Unavailable
from gis.settings import DatabaseSettings
from gis.storage import roles
from gis.storage.cluster import pg_bindir
from gis.storage.database import database_name, url_for_database
from gis.storage.pool import connect, redact

DUMP_NAME = "fengqiao.dump"
MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class Backup:
    """What a backup holds, as written to its manifest."""

    folder: str
    database: str
    started_at: str
    finished_at: str
    server_version: str
    cases_at_start: int
    dump_bytes: int


@dataclass(frozen=True)
class Restored:
    """The outcome of a restore."""

    database: str
    cases: int
    generations: int


def backup_database(settings: DatabaseSettings, *, out: Path) -> Backup:
    """Dump the configured database into a new folder under ``out``.

    Parameters
    ----------
    settings : DatabaseSettings
        Which database to back up.
    out : Path
        Parent folder; created if missing.
    """
    started = datetime.now(UTC)
    folder = out / f"fengqiao-{started:%Y%m%dT%H%M%S%fZ}"
    folder.mkdir(parents=True, exist_ok=False)
    with connect(settings) as conn:
        version = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        cases = int(conn.execute("SELECT count(*) FROM cases").fetchone()[0])  # type: ignore[index]
    dump = folder / DUMP_NAME
    _tool("pg_dump", "--format=custom", "--compress=6", "--no-password", f"--file={dump}",
          f"--dbname={settings.owner_url}")
    record = Backup(str(folder), redact(settings.owner_url), started.isoformat(), datetime.now(UTC).isoformat(),
                    version, cases, dump.stat().st_size)
    (folder / MANIFEST_NAME).write_text(json.dumps(asdict(record), indent=2))
    return record


def restore_database(settings: DatabaseSettings, *, source: Path, to_url: str | None = None) -> Restored:
    """Restore a backup folder (or a .dump file) into a database that holds no Fengqiao tables yet.

    The target database is created when missing. Restoring over a database in use is refused:
    restore beside it (``to_url``) and switch DATABASE_URL once it is checked.
    """
    dump = source / DUMP_NAME if source.is_dir() else source
    if not dump.is_file():
        raise InvalidInput(f"no backup at {source}: expected a folder holding {DUMP_NAME}", reason="no_backup")
    target = to_url or settings.owner_url
    _create_empty(settings, target)
    # The local cluster restores as its superuser (PostGIS is not a trusted extension), then hands every
    # object to the owner role; either way the application's role gets its grants again. The dump's own grants
    # are skipped: they name the source server's roles, which the target need not have.
    superuser = settings.superuser_url
    restore_url = url_for_database(superuser, database_name(target)) if superuser else target
    _tool("pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--jobs=2", f"--dbname={restore_url}",
          str(dump))
    if superuser:
        with connect(settings, url=restore_url, autocommit=True) as conn:
            roles.prepare_local_database(conn, roles.role_of(target))
    if roles.separate_roles(settings):
        with connect(settings, url=target) as conn:
            roles.grant_application_role(conn, roles.role_of(settings.url))
            conn.commit()
    with connect(settings, url=target) as conn:
        cases = int(conn.execute("SELECT count(*) FROM cases").fetchone()[0])  # type: ignore[index]
        generations = int(conn.execute("SELECT count(*) FROM generations").fetchone()[0])  # type: ignore[index]
    return Restored(redact(target), cases, generations)


def _create_empty(settings: DatabaseSettings, target: str) -> None:
    name = database_name(target)
    with connect(settings, url=url_for_database(target, "postgres"), autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(name)))
            return
    with connect(settings, url=target) as conn:
        if conn.execute("SELECT to_regclass('public.cases')").fetchone()[0] is not None:  # type: ignore[index]
            raise Conflict(f"database {name!r} already holds Fengqiao tables; restore into a new database (--to URL)",
                           reason="target_not_empty")


def _tool(name: str, *args: str) -> None:
    done = subprocess.run([str(pg_bindir() / name), *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise Unavailable(f"{name} failed: {done.stderr.strip()[-1500:]}", reason=f"{name.replace('pg_', '')}_failed")
