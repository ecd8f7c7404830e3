"""The API as a separate uvicorn process against a given database, and tokens for it."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from drills.cluster import free_port
from gis.settings import PROJECT_ROOT, AppSettings, DatabaseSettings
from gis.storage import access
from gis.storage.pool import connect


class ApiServer:
    """``uvicorn api.main:create_app --factory`` on a free port, with DATABASE_URL and extra settings.

    ``db_url`` is the application role's (row-level security in force), ``owner_url`` the owner's.
    """

    def __init__(self, db_url: str, *, owner_url: str, log: Path, env: dict[str, str] | None = None,
                 workers: int = 1) -> None:
        self.db_url = db_url
        self.owner_url = owner_url
        self.port = free_port()
        self.log = log
        self.env = env or {}
        self.workers = workers
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        """Where it answers."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> ApiServer:
        """Start it and wait until /readyz says ok."""
        # The signed audit head of this drill's cluster only (a head left by another cluster is a finding).
        head = self.log.with_name(f"{self.log.stem}-{urlsplit(self.db_url).port}.head.json")
        env = {**os.environ, "FENGQIAO_DEMO": "1", "DATABASE_URL": self.db_url, "FENGQIAO_OWNER_URL": self.owner_url,
               "MALLOC_ARENA_MAX": "2", "FENGQIAO_AUDIT_HEAD_FILE": str(head), **self.env}  # DEMO: generated keys
        cmd = [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--host", "127.0.0.1",
               "--port", str(self.port), "--log-level", "warning", "--no-proxy-headers", "--workers", str(self.workers),
               "--timeout-keep-alive", str(AppSettings().keep_alive_s)]
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"API exited with {self.proc.returncode}; see {self.log}")
            try:
                if httpx.get(self.base_url + "/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()  # `with` never reaches __exit__ when __enter__ raises: no server left behind
        raise RuntimeError(f"API not ready after {timeout} s; see {self.log}")

    @property
    def pid(self) -> int:
        """Process id (the drills check it never changed: no app restart)."""
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        """Still running."""
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        """Terminate (then kill) the process."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def make_token(db_url: str, username: str, role: str) -> str:
    """Create (or update) a county-wide user and return a bearer token for it."""
    token = f"drill-{username}-{role}-{os.urandom(6).hex()}"
    with connect(DatabaseSettings(database_url=db_url)) as conn:
        user = access.upsert_user(conn, username=username, role=role)
        access.add_token(conn, user_id=user.id, token=token, label="drill")
        conn.commit()
    return token


def auth(token: str) -> dict[str, str]:
    """The Authorization header."""
    return {"Authorization": f"Bearer {token}"}


def grid_codes(db_url: str, limit: int = 50) -> list[str]:
    """Some fourth-tier grid codes of the active generation (cases are placed by grid code)."""
    with connect(DatabaseSettings(database_url=db_url)) as conn:
        rows = conn.execute(
            "SELECT a.code FROM areas a JOIN generations g ON g.id = a.generation_id"
            " WHERE g.is_active AND a.tier = 4 ORDER BY a.code LIMIT %s", (limit,)).fetchall()
    return [r[0] for r in rows]


def county_tiles(db_url: str, z: int = 12) -> list[tuple[int, int, int]]:
    """Every z/x/y tile over the active county's extent."""
    with connect(DatabaseSettings(database_url=db_url)) as conn:
        row = conn.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(a.geom) AS e"
            " FROM areas a JOIN generations g ON g.id = a.generation_id WHERE g.is_active AND a.tier = 1) s"
        ).fetchone()
    assert row is not None
    x0, y1 = _tile_of(row[0], row[1], z)
    x1, y0 = _tile_of(row[2], row[3], z)
    return [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def staff_ids(db_url: str) -> list[int]:
    """Ids of the active roster."""
    with connect(DatabaseSettings(database_url=db_url)) as conn:
        return [int(r[0]) for r in conn.execute("SELECT id FROM staff WHERE active ORDER BY id").fetchall()]


def county_centre(db_url: str) -> tuple[float, float]:
    """A point inside the active county (its point on surface)."""
    with connect(DatabaseSettings(database_url=db_url)) as conn:
        row = conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(a.geom) AS p FROM areas a"
            " JOIN generations g ON g.id = a.generation_id WHERE g.is_active AND a.tier = 1) s").fetchone()
    assert row is not None
    return float(row[0]), float(row[1])
