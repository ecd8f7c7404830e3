"""Duplicate suggestions before saving, and marking a duplicate by case number."""

from __future__ import annotations

import math
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gis.settings import DatabaseSettings
from tests.conftest import make_token, settle

LON, LAT = 114.6471302, 24.0688967  # 隆联街道 / 坪湾社区第7网格
M_LON = 1 / (111_320 * math.cos(math.radians(LAT)))


@pytest.fixture(scope="module")
def operator(db_settings: DatabaseSettings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db_settings, 'dup-operator', 'operator')}"}


@pytest.fixture(scope="module")
def first(app_client: TestClient, operator: dict[str, str]) -> dict[str, Any]:
    settle(app_client, timeout=180)
    body = {"category": "0201", "source_channel": "walk_in", "description": "装修噪音", "lon": LON, "lat": LAT,
            "parties": [{"name": "重复甲", "phone": "13811112222", "id_number": "440101198001010011"}]}
    made = app_client.post("/api/v1/cases", json=body, headers={"Idempotency-Key": str(uuid.uuid4()), **operator})
    assert made.status_code == 201, made.text
    return dict(made.json())


def check(client: TestClient, headers: dict[str, str], **draft: Any) -> list[dict[str, Any]]:
    got = client.post("/api/v1/cases/duplicates", json={"category": "0201", **draft}, headers=headers)
    assert got.status_code == 200, got.text
    return list(got.json()["candidates"])


def test_same_phone_id_or_name_nearby_is_suggested_before_saving(app_client: TestClient, operator: dict[str, str],
                                                                  first: dict[str, Any]) -> None:
    far = {"lon": LON + 5000 * M_LON, "lat": LAT}
    by_phone = check(app_client, operator, parties=[{"name": "别人", "phone": "138 1111 2222"}], **far)
    hit = next(c for c in by_phone if c["id"] == first["id"])
    assert (hit["case_no"], hit["reasons"], hit["reason_labels"]) == (first["case_no"], ["phone"], ["同一电话"])
    assert hit["distance_m"] == pytest.approx(5000, abs=30)
    by_id = check(app_client, operator, parties=[{"name": "别人", "id_number": "440101198001010011"}], **far)
    assert [c["reasons"] for c in by_id if c["id"] == first["id"]] == [["id_number"]]
    # The trial's report: the same name (and phone) 200 m away.
    near = check(app_client, operator, lon=LON + 200 * M_LON, lat=LAT,
                 parties=[{"name": "重复甲", "phone": "13811112222"}])
    assert [c["reasons"] for c in near if c["id"] == first["id"]] == [["name_nearby", "phone"]]
    assert [c["reason_labels"] for c in near if c["id"] == first["id"]] == [["附近同类同名当事人", "同一电话"]]
    # The same name far away, or nearby in another category class, is no suggestion.
    assert all(c["id"] != first["id"] for c in check(app_client, operator, parties=[{"name": "重复甲"}], **far))
    other = app_client.post("/api/v1/cases/duplicates", headers=operator, json={
        "category": "0101", "lon": LON, "lat": LAT, "parties": [{"name": "重复甲"}]})
    assert other.status_code == 200 and all(c["id"] != first["id"] for c in other.json()["candidates"])
    assert check(app_client, operator, lon=LON, lat=LAT, parties=[]) == []
    bad = app_client.post("/api/v1/cases/duplicates", headers=operator, json={"category": "0201", "lon": 500})
    assert bad.status_code == 422


def test_a_duplicate_is_marked_by_case_number(app_client: TestClient, operator: dict[str, str],
                                              first: dict[str, Any]) -> None:
    second = app_client.post("/api/v1/cases", headers={"Idempotency-Key": str(uuid.uuid4()), **operator}, json={
        "category": "0201", "source_channel": "hotline_12345", "description": "同一噪音投诉", "lon": LON, "lat": LAT})
    assert second.status_code == 201
    case_id = second.json()["id"]
    unknown = app_client.post(f"/api/v1/cases/{case_id}/transitions", headers=operator,
                              json={"action": "mark_duplicate", "duplicate_of_case_no": "AJ99999999"})
    assert unknown.status_code == 422 and unknown.json()["error"]["reason"] == "invalid_duplicate"
    marked = app_client.post(f"/api/v1/cases/{case_id}/transitions", headers=operator,
                             json={"action": "mark_duplicate", "duplicate_of_case_no": first["case_no"].lower()})
    assert marked.status_code == 200, marked.text
    assert (marked.json()["status"], marked.json()["duplicate_of"]) == ("duplicate", first["id"])
