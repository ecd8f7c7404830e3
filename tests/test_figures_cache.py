"""The supervisors' figures are served once per period and data version, per caller's cut (api/figures.py).

A new case moves the version (schema 200), so the next answer is computed afresh, in every server process; two
town users never see each other's stored answers; and a warm answer is the stored one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from gis.figures import Cut, Figure, FigureCache
from gis.settings import AppSettings, DatabaseSettings
from gis.storage.database import drop_database
from gis.storage.pool import connect
from gis.storage.stats import cases_version
from tests.conftest import make_token, sample_database, settle

TOWN_A = "449901110000"  # 永合镇
TOWN_B = "449901001000"  # 隆联街道


@pytest.fixture(scope="module")
def figures_db() -> Iterator[DatabaseSettings]:
    """A database of its own: the cases created here change no other test's counts."""
    settings = sample_database(f"fengqiao_figures_{os.getpid()}")
    yield settings
    drop_database(settings)


@pytest.fixture(scope="module")
def two_apps(figures_db: DatabaseSettings) -> Iterator[tuple[TestClient, TestClient]]:
    """Two server processes' apps over the same database, each with its own figure cache."""
    # Each process builds the generation's weights as it starts (its hotspot service), before the first figure.
    with TestClient(create_app(AppSettings(warm_hotspots=True), figures_db)) as first, \
            TestClient(create_app(AppSettings(warm_hotspots=True), figures_db)) as second:
        for client in (first, second):  # one period throughout: what is stored is decided by the data alone
            client.app.state.services.figures = FigureCache(refresh_s=0, clock=lambda: 0.0)  # type: ignore[attr-defined]
            settle(client, timeout=300)  # both processes locate new cases (slow to start on a loaded machine)
        yield first, second


def _headers(settings: DatabaseSettings, name: str, role: str, town: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(settings, name, role, town)}"}


def _window() -> str:
    today = datetime.now(UTC).date()
    return f"since={today - timedelta(days=13)}&until={today + timedelta(days=2)}"


def _grid_point(settings: DatabaseSettings, town: str) -> tuple[str, float, float]:
    """A grid of ``town`` and a point inside it."""
    with connect(settings) as conn:
        row = conn.execute(
            "SELECT g.code, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom))"
            " FROM areas g JOIN generations gen ON gen.id = g.generation_id AND gen.is_active"
            " WHERE g.tier = 4 AND left(g.code, 9) = left(%s, 9) ORDER BY g.code LIMIT 1", (town,)).fetchone()
    assert row is not None
    return str(row[0]), float(row[1]), float(row[2])


def _create_case(client: TestClient, headers: dict[str, str], lon: float, lat: float) -> None:
    body = {"category": "0201", "source_channel": "walk_in", "description": "图表缓存测试", "lon": lon, "lat": lat}
    r = client.post("/api/v1/cases", json=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code == 201, r.text


def _grid_count(client: TestClient, headers: dict[str, str], grid: str) -> int:
    r = client.get(f"/api/v1/hotspots?tier=grid&geometry=false&{_window()}", headers=headers)
    assert r.status_code == 200, r.text
    return int(next(f for f in r.json()["features"] if f["id"] == grid)["properties"]["count"])


def _unit_count(client: TestClient, headers: dict[str, str], grid: str) -> int:
    r = client.get(f"/api/v1/stats/units?tier=grid&{_window()}", headers=headers)
    assert r.status_code == 200, r.text
    return int(next((u["received"] for u in r.json()["units"] if u["unit"] == grid), 0))  # no cases: not listed


def test_a_new_case_changes_the_stored_figure_in_every_process(two_apps: tuple[TestClient, TestClient],
                                                               figures_db: DatabaseSettings) -> None:
    first, second = two_apps
    county = _headers(figures_db, "fig-sup-county", "supervisor", None)
    grid, lon, lat = _grid_point(figures_db, TOWN_A)
    cache = first.app.state.services.figures  # type: ignore[attr-defined]
    hotspots, units = _grid_count(first, county, grid), _unit_count(first, county, grid)
    hits = cache.hits
    assert (_grid_count(first, county, grid), _unit_count(first, county, grid)) == (hotspots, units)
    assert cache.hits == hits + 2  # the repeated questions were answered from the stored figures
    operator = _headers(figures_db, "fig-op-county", "operator", None)
    _create_case(second, operator, lon, lat)  # written through the other process
    assert _grid_count(first, county, grid) == hotspots + 1
    assert _unit_count(first, county, grid) == units + 1
    _create_case(first, operator, lon, lat)
    assert _grid_count(second, county, grid) == hotspots + 2
    assert _unit_count(second, county, grid) == units + 2


def test_town_users_never_get_each_others_stored_figures(two_apps: tuple[TestClient, TestClient],
                                                         figures_db: DatabaseSettings) -> None:
    first, _ = two_apps
    town_a = _headers(figures_db, "fig-sup-a", "supervisor", TOWN_A)
    town_a2 = _headers(figures_db, "fig-sup-a2", "supervisor", TOWN_A)
    town_b = _headers(figures_db, "fig-sup-b", "supervisor", TOWN_B)
    county = _headers(figures_db, "fig-sup-county", "supervisor", None)
    operator = _headers(figures_db, "fig-op-county", "operator", None)
    for town in (TOWN_A, TOWN_B):  # a case in each town: both have figures to show
        _, lon, lat = _grid_point(figures_db, town)
        _create_case(first, operator, lon, lat)
    for path in (f"/api/v1/stats/units?tier=grid&{_window()}", f"/api/v1/hotspots?tier=grid&geometry=false&{_window()}",
                 f"/api/v1/stats/rankings?{_window()}", f"/api/v1/stats/staff?{_window()}"):
        seen_a = first.get(path, headers=town_a)
        seen_b = first.get(path, headers=town_b)
        seen_a2 = first.get(path, headers=town_a2)  # another user of the same town: the same cut
        seen_county = first.get(path, headers=county)
        assert {seen_a.status_code, seen_b.status_code, seen_county.status_code} == {200}, path
        assert seen_a.content == seen_a2.content, path
        if "/staff" not in path:  # no case has a lead order yet: every cut's staff table is empty alike
            assert seen_a.content != seen_b.content, path
            assert seen_county.content not in (seen_a.content, seen_b.content), path
    units_a = first.get(f"/api/v1/stats/units?tier=grid&{_window()}", headers=town_a).json()["units"]
    units_b = first.get(f"/api/v1/stats/units?tier=grid&{_window()}", headers=town_b).json()["units"]
    assert units_a and all(u["unit"].startswith(TOWN_A[:9]) for u in units_a)
    assert units_b and all(u["unit"].startswith(TOWN_B[:9]) for u in units_b)
    features = first.get(f"/api/v1/hotspots?tier=grid&geometry=false&{_window()}", headers=town_b).json()["features"]
    assert features and all(f["id"].startswith(TOWN_B[:9]) and "z" not in f["properties"] for f in features)


def test_the_version_moves_once_per_committed_case_write(figures_db: DatabaseSettings) -> None:
    with connect(figures_db) as conn:
        before = cases_version(conn)
        conn.execute("UPDATE cases SET description = description WHERE id IN (SELECT id FROM cases LIMIT 3)")
        conn.rollback()
        assert cases_version(conn) == before  # nothing committed, nothing moved
        conn.execute("UPDATE cases SET description = description WHERE id IN (SELECT id FROM cases LIMIT 3)")
        conn.execute("UPDATE cases SET description = description WHERE id IN (SELECT id FROM cases LIMIT 2)")
        conn.commit()
        after = cases_version(conn)
    assert after == (before[0], before[1] + 1, before[2], before[3])


def test_the_cache_keys_the_cut_and_serves_a_version_for_at_most_the_refresh_delay() -> None:
    now = [1000.0]
    cache = FigureCache(max_bytes=4000, period_s=60, refresh_s=10, clock=lambda: now[0])
    a, b = cache.key("units", ("grid",), cut=Cut("supervisor", TOWN_A)), cache.key("units", ("grid",),
                                                                                     cut=Cut("supervisor", TOWN_B))
    cache.put(a, Figure(b"A", "application/json"), version=(1, 0, 0), computed_at=now[0])
    assert cache.get(b, (1, 0, 0)) is None  # another town's cut: never the stored answer
    assert cache.get(a, (1, 0, 0)) == Figure(b"A", "application/json")
    now[0] += 9
    assert cache.get(a, (2, 0, 0)) == Figure(b"A", "application/json")  # a new case, within the refresh delay
    now[0] += 1
    assert cache.get(a, (2, 0, 0)) is None  # the refresh delay is over: computed afresh
    assert cache.get(a, (1, 0, 0)) is not None  # the same version still answers ...
    now[0] += 50
    assert cache.get(a, (1, 0, 0)) is None  # ... for one period (relative windows move with the clock)
    cache.put(a, Figure(b"new", "application/json"), version=(3, 0, 0), computed_at=now[0])
    cache.put(a, Figure(b"old", "application/json"), version=(2, 0, 0), computed_at=now[0] - 5)
    assert cache.get(a, (3, 0, 0)) == Figure(b"new", "application/json")  # an older computation is not kept
    for n in range(10):
        cache.put(("big", n), Figure(b"x" * 900, "text/csv"), version=0, computed_at=now[0])
    assert cache.nbytes <= 4000 and cache.get(("big", 9), 0) is not None and cache.get(("big", 0), 0) is None
    cache.put(("huge",), Figure(b"x" * 1001, "text/csv"), version=0, computed_at=now[0])
    assert cache.get(("huge",), 0) is None  # over a quarter of the budget: not kept
