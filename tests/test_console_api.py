"""Console data from the API: the hotspot levels in /api/v1/meta, an area's bounding box."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_meta_names_the_hotspot_levels_with_labels_and_colours(app_client: TestClient) -> None:
    body = app_client.get("/api/v1/meta").json()
    assert body["hotspot_levels"] == [
        {"code": "red", "label": "红色（高风险）", "colour": "#d7301f"},
        {"code": "yellow", "label": "黄色（中风险）", "colour": "#fdbb2d"},
        {"code": "blue", "label": "蓝色（低风险）", "colour": "#4a90d9"},
    ]


def test_an_area_carries_its_bounding_box_for_opening_the_map_on_it(app_client: TestClient) -> None:
    county = app_client.get("/api/v1/areas/extent").json()["bbox"]
    town = app_client.get("/api/v1/areas/449901001000").json()
    x0, y0, x1, y1 = town["bbox"]
    assert town["name"] == "隆联街道" and x0 < 114.6471302 < x1 and y0 < 24.0688967 < y1  # the town holds 坪湾
    assert county[0] <= x0 < x1 <= county[2] and county[1] <= y0 < y1 <= county[3]
    assert (x1 - x0) < (county[2] - county[0])  # a town, not the county
