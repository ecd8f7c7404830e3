"""One search box over cases: case number, party name, phone, ID number, village or grid name; the phone hash
and its backfill command."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gis.cases.privacy import normalise_phone, seal_party_value
from gis.crypto import keys as crypto_keys
from gis.settings import DatabaseSettings
from gis.storage.pool import connect
from tests.conftest import make_token, settle, use_database

LON, LAT = 114.6471302, 24.0688967  # 隆联街道 / 坪湾社区 / 坪湾社区第7网格


@pytest.fixture(scope="module")
def operator(db_settings: DatabaseSettings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(db_settings, 'search-operator', 'operator')}"}


@pytest.fixture(scope="module")
def made(app_client: TestClient, operator: dict[str, str]) -> dict[str, Any]:
    settle(app_client, timeout=180)  # the locate index is loaded
    body = {"category": "0201", "source_channel": "walk_in", "description": "检索测试", "lon": LON, "lat": LAT,
            "parties": [{"name": "欧阳检索", "id_number": "44010119900101123X", "phone": "139 0000 4321"}]}
    created = app_client.post("/api/v1/cases", json=body, headers={"Idempotency-Key": str(uuid.uuid4()), **operator})
    assert created.status_code == 201, created.text
    settle(app_client)
    return dict(created.json())


def found(client: TestClient, headers: dict[str, str], text: str) -> list[str]:
    got = client.get("/api/v1/cases", params={"search": text, "limit": 500}, headers=headers)
    assert got.status_code == 200, got.text
    return [c["case_no"] for c in got.json()["items"]]


def test_normalised_phones() -> None:
    assert normalise_phone("+86 139-0000-4321") == normalise_phone("008613900004321") == "13900004321"
    assert normalise_phone("0755-8888 1234") == "075588881234"


@pytest.mark.parametrize("text", ["欧阳检索", "阳检", "13900004321", "+86 139 0000 4321", "44010119900101123x"])
def test_personal_fields_find_the_case(app_client: TestClient, operator: dict[str, str], made: dict[str, Any],
                                       text: str) -> None:
    assert made["case_no"] in found(app_client, operator, text)


def test_case_number_village_and_grid_find_the_case(app_client: TestClient, operator: dict[str, str],
                                                    made: dict[str, Any]) -> None:
    assert found(app_client, operator, made["case_no"]) == [made["case_no"]]
    assert found(app_client, operator, made["case_no"].lower()) == [made["case_no"]]
    assert made["case_no"] in found(app_client, operator, "坪湾社区第7网格")
    assert made["case_no"] in found(app_client, operator, "坪湾社区")
    assert found(app_client, operator, "13900009999") == []  # another phone: nothing
    assert found(app_client, operator, "%") == []  # wildcards are literal


def test_roles_without_personal_data_cannot_search_by_it(app_client: TestClient, db_settings: DatabaseSettings,
                                                         made: dict[str, Any]) -> None:
    field = {"Authorization": f"Bearer {make_token(db_settings, 'search-field', 'field')}"}
    created = app_client.post("/api/v1/cases", headers={"Idempotency-Key": str(uuid.uuid4()), **field}, json={
        "category": "0201", "source_channel": "grid_worker", "description": "一线登记", "lon": LON, "lat": LAT,
        "parties": [{"name": "欧阳检索", "phone": "13900004321"}]})
    assert created.status_code == 201, created.text
    own = created.json()["case_no"]
    assert found(app_client, field, own) == [own]  # the case number works for everyone
    assert found(app_client, field, "欧阳检索") == [] and found(app_client, field, "13900004321") == []


def test_backfill_hashes_phones_stored_before_the_hash(db_settings: DatabaseSettings, made: dict[str, Any],
                                                       app_client: TestClient, operator: dict[str, str],
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from api.cli import main as cli_main

    with connect(db_settings) as c:
        c.execute("UPDATE case_parties SET phone_hash = NULL WHERE case_id = %s", (made["id"],))
        c.execute("INSERT INTO case_parties (case_id, role, name, phone_enc) VALUES (%s, 'other', '旧数据', %s)",
                  (made["id"], seal_party_value("13700001111", keys=crypto_keys(), field="phone")))
        c.commit()
    assert made["case_no"] not in found(app_client, operator, "13900004321")  # no hash, no match
    use_database(monkeypatch, db_settings)
    capsys.readouterr()
    assert cli_main(["cases", "backfill-phone-hash", "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["unreadable"] == 0 and counts["hashed"] >= 2
    assert made["case_no"] in found(app_client, operator, "13900004321")
    assert made["case_no"] in found(app_client, operator, "137 0000 1111")
    assert cli_main(["cases", "backfill-phone-hash", "--json"]) == 0  # again: nothing left to do
    assert json.loads(capsys.readouterr().out) == {"hashed": 0, "unreadable": 0}
