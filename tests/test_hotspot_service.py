"""The hotspot state is a service of the app (no module globals); its level rules are loaded once, not per request."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient

import gis.hotspots.service as hotspot_module
from gis.hotspots.levels import LevelRules, load_level_rules
from gis.hotspots.service import Hotspots
from gis.services import Rules
from gis.settings import DatabaseSettings
from tests.conftest import make_token

RENAMED = (("red", "甲级"), ("yellow", "乙级"), ("blue", "丙级"))


def test_no_hotspot_state_lives_in_the_module() -> None:
    assert not {"WEIGHTS", "RESULTS", "active_weights", "compute"} & set(vars(hotspot_module))
    one, two = Hotspots(LevelRules()), Hotspots(LevelRules())
    assert one.results is not two.results


def test_the_rules_hold_the_level_rules_read_at_start() -> None:
    assert Rules.__dataclass_fields__["levels"].default_factory() == load_level_rules()  # type: ignore[misc]


def test_answers_use_the_services_level_rules(app_client: TestClient, db_settings: DatabaseSettings) -> None:
    headers = {"Authorization": f"Bearer {make_token(db_settings, 'sup-levels', 'supervisor')}"}
    state = app_client.app.state.services.hotspots.state  # type: ignore[attr-defined]
    kept = state.levels
    state.levels = replace(kept, labels=RENAMED)
    try:  # a window no other test asks for, so no cached answer from before the change
        r = app_client.get("/api/v1/hotspots?tier=town&geometry=false&since=2025-01-01&until=2025-02-01",
                           headers=headers)
    finally:
        state.levels = kept
    assert r.status_code == 200
    labels = {f["properties"]["level_label"] for f in r.json()["features"]}
    assert labels and labels <= {"甲级", "乙级", "丙级"}
