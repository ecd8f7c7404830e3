"""Shared fixtures: a real PostGIS (the project's own cluster unless DATABASE_URL is set).

Each pytest session gets its own database (``fengqiao_test_<pid>``) with the schema and the
sample county, dropped at the end. A skipped test fails the run: nothing here may be skipped.
"""

from __future__ import annotations

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
from gis.storage.database import drop_database, prepare_database
from gis.storage.pool import connect


def _shared_dir() -> Path:
    """The team's shared folder (fixtures such as real county outlines): beside the checkout, or configured."""
    candidates = [os.environ.get("FENGQIAO_SHARED_DIR"), PROJECT_ROOT.parent / "shared", "/work/shared"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "data" / "counties").is_dir():
            return Path(candidate)
    raise RuntimeError("the shared fixtures folder was not found: set FENGQIAO_SHARED_DIR")


SHARED = _shared_dir()
FIXTURES = Path(__file__).parent / "fixtures"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    if skipped:
        terminalreporter.write_line(
            f"FAILED: {len(skipped)} test(s) skipped; skips are failures here", red=True
        )


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and reporter.stats.get("skipped") and session.exitstatus == 0:
        session.exitstatus = 1


@pytest.fixture(scope="session")
def db_settings() -> Iterator[DatabaseSettings]:
    """Settings pointing at a fresh per-session database with the schema and the sample county."""
    settings = sample_database(f"fengqiao_test_{os.getpid()}")
    yield settings
    drop_database(settings)


def sample_database(name: str) -> DatabaseSettings:
    """A fresh database (see ``fresh_database``) with the sample county loaded and active."""
    settings = fresh_database(name)
    with connect(settings) as conn:
        load_sample_county(conn, gpkg=sample_gpkg_path())
        conn.commit()
    return settings


def fresh_database(name: str) -> DatabaseSettings:
    """A new database on the test server (the local cluster unless DATABASE_URL), migrated, with both roles:
    ``connect(settings)`` is the owner (fixtures write freely), the app's pool the application role."""
    base = DatabaseSettings()
    if base.local:
        cluster.up(base)
    settings = base.for_database(name)
    drop_database(settings)
    prepare_database(settings)
    return settings


def use_database(monkeypatch: pytest.MonkeyPatch, settings: DatabaseSettings) -> None:
    """Point servers and CLI commands started by the test at ``settings``' database."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for key, value in settings.environment().items():
        monkeypatch.setenv(key, value)


def sample_gpkg_path() -> Path:
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


def settle(client: TestClient, timeout: float = 10.0) -> None:
    """Wait until the app's in-memory services have caught up with the database (they refresh in the background)."""
    services = client.app.state.services  # type: ignore[attr-defined]
    for service in services.refreshing:
        assert service.wait_current(timeout), f"{service.name} did not catch up: {service.last_error}"


@pytest.fixture(scope="session")
def row_security_enforced(app_client: TestClient) -> None:
    """The security tests' server enforces row-level security, as a deployment does (its /readyz says so)."""
    checks = app_client.get("/readyz").json()["checks"]
    assert checks["row_security"] == "enforced", checks
