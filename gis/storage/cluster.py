"""The project's own PostGIS cluster: its own data folder and port, started and stopped by `fengqiao db`.

PostgreSQL refuses to run as root, so when we are root the cluster belongs to the
``postgres`` system user and every server command runs through ``runuser``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg

from gis.errors import Unavailable
from gis.settings import DatabaseSettings
from gis.storage import roles
from gis.storage.database import url_for_database

SERVER_CONF = """
# Written by `fengqiao db up`; the project's private cluster.
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = ''
max_connections = 200
shared_buffers = 256MB
work_mem = 32MB
maintenance_work_mem = 256MB
max_wal_size = 2GB
log_min_duration_statement = 2000
"""


@dataclass(frozen=True)
class ClusterStatus:
    """Whether the project's cluster is initialised and running, and where."""

    data_dir: Path
    port: int
    initialised: bool
    running: bool

    def describe(self) -> str:
        """A one-line human summary."""
        state = "running" if self.running else ("stopped" if self.initialised else "not initialised")
        return f"local PostGIS {state}: data {self.data_dir}, port {self.port}"


def pg_bindir() -> Path:
    """Directory of initdb/pg_ctl for the newest installed PostgreSQL."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if found:
        return found[-1].parent
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    raise Unavailable("PostgreSQL server binaries not found: run `make setup` (installs postgresql-15-postgis-3)")


def postgis_installed(bindir: Path) -> bool:
    """True when the PostGIS extension files exist for this server version."""
    version = bindir.parent.name
    return Path(f"/usr/share/postgresql/{version}/extension/postgis.control").exists()


def _as_owner(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_as_owner(cmd), capture_output=True, text=True, check=False)


def status(settings: DatabaseSettings) -> ClusterStatus:
    """Inspect the local cluster without changing anything."""
    data = settings.pg_data
    initialised = (data / "PG_VERSION").exists()
    running = False
    if initialised:
        running = _run([str(pg_bindir() / "pg_ctl"), "-D", str(data), "status"]).returncode == 0
    return ClusterStatus(data, settings.pg_port, initialised, running)


def _port_busy(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def up(settings: DatabaseSettings) -> ClusterStatus:
    """Initialise (first time) and start the local cluster; a no-op when it already runs."""
    bindir = pg_bindir()
    if not postgis_installed(bindir):
        raise Unavailable("PostGIS is not installed for this PostgreSQL: run `make setup`")
    current = status(settings)
    if current.running:
        _ensure_roles(settings)  # a cluster started by an older version has no application role yet
        return current
    if _port_busy(settings.pg_port):
        raise Unavailable(f"port {settings.pg_port} is taken by another server; set FENGQIAO_PG_PORT to a free port")
    data = settings.pg_data
    if not current.initialised:
        _init(bindir, data)
    (data / "postgresql.auto.conf").write_text(SERVER_CONF.format(port=settings.pg_port))
    started = _run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"), "-w", "-t", "60", "start"])
    if started.returncode != 0:
        log_tail = (data / "server.log").read_text(errors="replace")[-2000:]
        raise Unavailable(f"local PostGIS did not start: {started.stderr.strip()}\n{log_tail}")
    _ensure_roles(settings)
    return status(settings)


def _ensure_roles(settings: DatabaseSettings) -> None:
    """The owner and application roles (see gis.storage.roles), created by the cluster's superuser."""
    superuser_url = settings.superuser_url
    assert superuser_url is not None
    with psycopg.connect(url_for_database(superuser_url, "postgres"), autocommit=True,
                         connect_timeout=max(1, int(settings.connect_timeout_s))) as conn:
        roles.create_cluster_roles(conn, settings)


def _init(bindir: Path, data: Path) -> None:
    data.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    data.chmod(0o700)
    made = _run(
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        ]
    )
    if made.returncode != 0:
        raise Unavailable(f"initdb failed for {data}: {made.stderr.strip()}")


def down(settings: DatabaseSettings) -> ClusterStatus:
    """Stop the local cluster (fast shutdown: open sessions are disconnected)."""
    current = status(settings)
    if current.running:
        _run([str(pg_bindir() / "pg_ctl"), "-D", str(settings.pg_data), "-m", "fast", "-w", "stop"])
    return status(settings)
