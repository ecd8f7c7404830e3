"""Start-up settings: the hotspot warm-up can be turned off, and how long start-up waits is set."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from gis.hotspots.service import Hotspots
from gis.settings import AppSettings, DatabaseSettings
from gis.storage.database import database_name


@pytest.fixture
def warmed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each warm-up instead of building the weights (seconds of CPU; the hotspot tests build them)."""
    calls: list[str] = []
    monkeypatch.setattr(Hotspots, "warm", lambda self, conn: calls.append(conn.info.dbname))
    return calls


def test_servers_started_by_the_tests_skip_the_warm_up() -> None:
    assert AppSettings().warm_hotspots is False  # FENGQIAO_WARM_HOTSPOTS=0 from the test set-up


@pytest.mark.parametrize("warm", [True, False])
def test_the_warm_up_runs_only_when_the_setting_says_so(db_settings: DatabaseSettings, warmed: list[str],
                                                         warm: bool) -> None:
    with TestClient(create_app(AppSettings(warm_hotspots=warm), db_settings)) as client:
        assert client.get("/readyz").status_code == 200
        hotspots = client.app.state.services.hotspots  # type: ignore[attr-defined]
        if warm:
            assert hotspots.wait_current(60)  # the service built (here: recorded) the weights in the background
    assert hotspots.builds == (1 if warm else 0)
    assert warmed == ([database_name(db_settings.owner_url)] if warm else [])
