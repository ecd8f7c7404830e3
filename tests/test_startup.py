"""Start-up settings: the hotspot warm-up can be turned off, and how long start-up waits is set."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from gis.hotspots import service as hotspot_service
from gis.hotspots.weights import HotspotWeightsCache
from gis.models import Generation
from gis.settings import AppSettings, DatabaseSettings


@pytest.fixture
def weights(monkeypatch: pytest.MonkeyPatch) -> HotspotWeightsCache:
    """An empty per-process weights cache, so what start-up builds can be seen."""
    cache = HotspotWeightsCache()
    monkeypatch.setattr(hotspot_service, "WEIGHTS", cache)
    return cache


def test_servers_started_by_the_tests_skip_the_warm_up() -> None:
    assert AppSettings().warm_hotspots is False  # FENGQIAO_WARM_HOTSPOTS=0 from the test set-up


def test_without_the_warm_up_start_up_builds_no_weights(db_settings: DatabaseSettings,
                                                        weights: HotspotWeightsCache) -> None:
    with TestClient(create_app(AppSettings(warm_hotspots=False), db_settings)) as client:
        assert client.get("/readyz").status_code == 200
        assert client.app.state.services.warmer is None  # type: ignore[attr-defined]
    assert weights._current is None


def test_the_warm_up_builds_the_active_generations_weights(db_settings: DatabaseSettings,
                                                           active_generation: Generation,
                                                           weights: HotspotWeightsCache) -> None:
    with TestClient(create_app(AppSettings(warm_hotspots=True), db_settings)) as client:
        warmer = client.app.state.services.warmer  # type: ignore[attr-defined]
        warmer.join(120)
        assert not warmer.is_alive()
    assert weights._current is not None
    assert weights._current.generation_id == active_generation.id
