"""A throwaway PostgreSQL cluster the drills may kill: its own temp folder and free port.

It is initialised like gis/storage/cluster.py does (as the ``postgres`` user when we are root),
never touches the project's cluster, and is deleted by ``destroy()``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from gis.bootstrap import bootstrap
from gis.settings import PROJECT_ROOT, DatabaseSettings
from gis.storage.cluster import pg_bindir
from gis.storage.roles import create_cluster_roles, prepare_local_database

CONF = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = ''
max_connections = 100
shared_buffers = 64MB
fsync = on
synchronous_commit = on
full_page_writes = on
log_min_messages = warning
"""
# The template is only seeded, stopped cleanly and copied, never crashed: it need not flush every write. The
# copies get CONF again, so every drill runs with fsync, synchronous commit and full page writes on.
SEEDING_CONF = "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
_TEMPLATE: DrillCluster | None = None
ROLES = DatabaseSettings()  # the role names (fengqiao_owner, fengqiao_app), as the local cluster has them


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def as_owner(cmd: list[str]) -> list[str]:
    """Run a server command as ``postgres`` when we are root (PostgreSQL refuses root)."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class DrillCluster:
    """One disposable cluster: ``init()``, ``start()``, ``kill9()``, ``restart_immediate()``, ``destroy()``."""

    def __init__(self, root: Path | None = None, port: int | None = None) -> None:
        self.root = root or Path(tempfile.mkdtemp(prefix="fengqiao-drill-"))
        self.data = self.root / "data"
        self.port = port or free_port()
        self.bindir = pg_bindir()
        self.log = self.root / "server.log"

    def url(self, dbname: str = "fengqiao", port: int | None = None, *, role: str = "postgres") -> str:
        """URL of a database on this cluster as the superuser or ``role`` (``port`` to go through a proxy)."""
        return f"postgresql://{role}@127.0.0.1:{port or self.port}/{dbname}"

    def app_url(self, dbname: str = "fengqiao", port: int | None = None) -> str:
        """The application role's URL: what the drills' servers use, so row-level security is in force."""
        return self.url(dbname, port, role=ROLES.app_role)

    def owner_url(self, dbname: str = "fengqiao") -> str:
        """The owner's URL (migrations), never through a proxy."""
        return self.url(dbname, role=ROLES.owner_role)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(as_owner([str(self.bindir / args[0]), *args[1:]]), capture_output=True, text=True)
        if check and done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr.strip()}\n{self._log_tail()}")
        return done

    def _log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-1500:] if self.log.exists() else ""

    def init(self, extra_conf: str = "") -> DrillCluster:
        """Run initdb into the temp folder and write the server settings."""
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                  "--locale=C.UTF-8", "--data-checksums")
        (self.data / "postgresql.auto.conf").write_text(CONF.format(port=self.port) + extra_conf)
        return self

    def start(self) -> None:
        """Start and wait until it accepts connections."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "120", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop (``immediate`` is a crash-like stop: recovery runs at the next start)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def restart_immediate(self) -> None:
        """``pg_ctl restart -m immediate``."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", "immediate", "-w", "-t", "120",
                  "restart")

    def drop_spare_wal(self) -> None:
        """After a clean shutdown, delete every WAL segment but the one holding the shutdown checkpoint.

        The others are spent, or recycled ahead for reuse: seeding leaves about 250 MB of them, which every copy
        of the template would carry, and which the disk-full drill would refill before needing a new segment
        (minutes of ingest instead of seconds).
        """
        control = subprocess.run(as_owner([str(self.bindir / "pg_controldata"), "-D", str(self.data)]),
                                 capture_output=True, text=True, check=True, env={**os.environ, "LC_ALL": "C"}).stdout
        fields = dict(line.split(":", 1) for line in control.splitlines() if ":" in line)
        if fields["Database cluster state"].strip() != "shut down":
            raise RuntimeError(f"the cluster on port {self.port} did not shut down cleanly:\n{control}")
        keep = fields["Latest checkpoint's REDO WAL file"].strip()
        for segment in (self.data / "pg_wal").iterdir():
            if segment.is_file() and len(segment.name) == 24 and segment.name != keep:
                segment.unlink()

    def postmaster_pid(self) -> int:
        """The postmaster's pid (first line of postmaster.pid)."""
        return int((self.data / "postmaster.pid").read_text().splitlines()[0])

    def kill9(self) -> None:
        """SIGKILL the postmaster, then wait for its orphaned backends to notice and exit."""
        pid = self.postmaster_pid()
        children = [p for p in _pids() if _ppid(p) == pid]
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(p) for p in [pid, *children]):
            time.sleep(0.05)
        for p in children:  # a backend stuck in a long call: end it the same way
            if _alive(p):
                os.kill(p, signal.SIGKILL)
        # The server refuses to start while the old pid still exists, even as a zombie not yet reaped.
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            time.sleep(0.05)

    def accepting(self) -> bool:
        """True when a connection and a trivial query succeed."""
        try:
            with psycopg.connect(self.url("postgres"), connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    def wait_accepting(self, timeout: float = 60) -> float:
        """Monotonic time at which it first accepted a connection."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.accepting():
                return time.monotonic()
            time.sleep(0.05)
        raise RuntimeError(f"cluster on port {self.port} did not come back in {timeout} s\n{self._log_tail()}")

    @classmethod
    def seeded(cls, extra_conf: str = "") -> DrillCluster:
        """A started cluster holding the seeded ``fengqiao`` database.

        The first call of a process seeds a template cluster (schema, sample county, roster) and
        stops it; every call copies the template's data folder, which is much faster than seeding.
        """
        global _TEMPLATE
        if _TEMPLATE is None:
            template = cls().init(SEEDING_CONF)
            template.start()
            template.seed()
            template.stop()
            template.drop_spare_wal()
            atexit.register(template.destroy)
            _TEMPLATE = template
        clone = cls()
        clone.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(clone.root, "postgres", "postgres")
        subprocess.run(["cp", "-a", str(_TEMPLATE.data), str(clone.data)], check=True)
        (clone.data / "postmaster.pid").unlink(missing_ok=True)
        (clone.data / "postgresql.auto.conf").write_text(CONF.format(port=clone.port) + extra_conf)
        clone.start()
        return clone

    def seed(self, dbname: str = "fengqiao") -> str:
        """Create the two roles and the database (the owner's) with the schema, the sample county and roster.

        As deployments run: the owner migrates and loads, the application role (row-level security) serves.
        """
        settings = DatabaseSettings(database_url=self.app_url(dbname)).model_copy(
            update={"owner_database_url": self.owner_url(dbname)})
        with psycopg.connect(self.url("postgres"), autocommit=True) as superuser:
            create_cluster_roles(superuser, ROLES)
            if not superuser.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone():
                superuser.execute(f'CREATE DATABASE "{dbname}" OWNER {ROLES.owner_role} TEMPLATE template0'
                                  " ENCODING 'UTF8'")
        with psycopg.connect(self.url(dbname), autocommit=True) as superuser:
            prepare_local_database(superuser, ROLES.owner_role)
        bootstrap(settings, data_dir=PROJECT_ROOT / "data")
        return settings.url

    def destroy(self) -> None:
        """Stop at once and delete the folder."""
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> DrillCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.destroy()


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _ppid(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return -1
    return int(stat.rsplit(")", 1)[1].split()[1])


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
