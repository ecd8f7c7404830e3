"""Parties' ID numbers and phones: encrypted at rest, masked everywhere, revealed only with a reason, audited."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from cryptography.exceptions import InvalidTag
from fastapi.testclient import TestClient

from gis.cases.privacy import mask_id_number, mask_phone
from gis.crypto import decrypt, encrypt, load_keys
from gis.errors import GisError
from gis.settings import DatabaseSettings, SecuritySettings
from tests.conftest import make_token

POINT = {"lon": 114.6471302, "lat": 24.0688967}
TOWN = "449901001000"
OTHER_TOWN = "449901100000"
ID_NUMBER = "44162419850612301X"
PHONE = "13712345678"


@pytest.mark.parametrize(("value", "masked"), [
    ("44162419850612301X", "4416**********301X"), ("E12345678", "*******78"), ("12345", "***45"),
])
def test_id_masks_show_little(value: str, masked: str) -> None:
    assert mask_id_number(value) == masked


@pytest.mark.parametrize(("value", "masked"), [
    ("13712345678", "137****5678"), ("7654321", "*****21"), ("0751-8765432", "075*****5432"), ("", ""),
])
def test_phone_masks_show_little(value: str, masked: str) -> None:
    assert mask_phone(value) == masked


def test_encryption_is_authenticated_and_bound_to_its_field() -> None:
    key = bytes(range(32))
    blob = encrypt(ID_NUMBER, key=key, context="party.id_number")
    assert ID_NUMBER.encode() not in blob and decrypt(blob, key=key, context="party.id_number") == ID_NUMBER
    with pytest.raises(InvalidTag):
        decrypt(blob, key=key, context="party.phone")
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(InvalidTag):
        decrypt(tampered, key=key, context="party.id_number")


def test_production_refuses_to_start_without_keys(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.delitem(sys.modules, "pytest")
    try:
        with pytest.raises(GisError) as caught:
            load_keys(SecuritySettings(demo=False, party_key=None, data_key=None, session_key=None, jwt_key=None))
    finally:
        monkeypatch.setitem(sys.modules, "pytest", pytest)
    assert "FENGQIAO_PARTY_KEY" in caught.value.message and "FENGQIAO_DATA_KEY" in caught.value.message


@pytest.fixture(scope="module")
def heads(db_settings: DatabaseSettings) -> dict[str, dict[str, str]]:
    def bearer(name: str, role: str, town: str | None = TOWN) -> dict[str, str]:
        return {"Authorization": f"Bearer {make_token(db_settings, name, role, town)}"}

    return {"operator": bearer("pd-op", "operator"), "supervisor": bearer("pd-sup", "supervisor"),
            "field": bearer("pd-field", "field"), "other": bearer("pd-other", "operator", OTHER_TOWN),
            "auditor": bearer("pd-aud", "auditor", None), "gis": bearer("pd-gis", "gis")}


@pytest.fixture(scope="module")
def case(app_client: TestClient, heads: dict[str, dict[str, str]]) -> dict[str, int]:
    body = {"category": "0201", "source_channel": "walk_in", "description": "宅基地纠纷", **POINT,
            "parties": [{"name": "陈大文", "id_number": ID_NUMBER, "phone": PHONE}]}
    created = app_client.post("/api/v1/cases", json=body,
                              headers={**heads["operator"], "Idempotency-Key": str(uuid.uuid4())})
    assert created.status_code == 201, created.text
    detail = app_client.get(f"/api/v1/cases/{created.json()['id']}", headers=heads["operator"]).json()
    return {"case": created.json()["id"], "party": detail["parties"][0]["id"]}


def test_stored_encrypted_and_served_masked(app_client: TestClient, heads: dict[str, dict[str, str]],
                                            case: dict[str, int], conn: psycopg.Connection) -> None:
    row = conn.execute("SELECT phone, id_number_enc, phone_enc, id_masked, phone_masked FROM case_parties"
                       " WHERE id = %s", (case["party"],)).fetchone()
    assert row is not None and row[0] is None
    assert ID_NUMBER.encode() not in bytes(row[1]) and PHONE.encode() not in bytes(row[2])
    assert (row[3], row[4]) == ("4416**********301X", "137****5678")
    response = app_client.get(f"/api/v1/cases/{case['case']}", headers=heads["operator"])
    assert response.headers["cache-control"] == "no-store"
    party = response.json()["parties"][0]
    assert (party["name"], party["id_masked"], party["phone"]) == ("陈大文", "4416**********301X", "137****5678")
    assert ID_NUMBER not in response.text and PHONE not in response.text


def test_reveal_with_reason_is_audited(app_client: TestClient, heads: dict[str, dict[str, str]],
                                       case: dict[str, int], conn: psycopg.Connection) -> None:
    url = f"/api/v1/cases/{case['case']}/parties/{case['party']}/reveal"
    shown = app_client.post(url, json={"reason": "起草人民调解协议书"}, headers=heads["supervisor"])
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    assert (shown.json()["id_number"], shown.json()["phone"]) == (ID_NUMBER, PHONE)
    row = conn.execute("SELECT username, detail->>'reason', detail->'fields' FROM audit_log"
                       " WHERE action = 'party.reveal' AND object_id = %s", (str(case["party"]),)).fetchone()
    assert row == ("pd-sup", "起草人民调解协议书", ["id_number", "phone"])
    assert app_client.post(url, json={}, headers=heads["supervisor"]).status_code == 422
    extra = app_client.post(url, json={"reason": "起草协议", "all": True}, headers=heads["supervisor"])
    assert extra.status_code == 422


@pytest.mark.parametrize(("who", "status"), [("field", 404), ("other", 404), ("auditor", 403), ("gis", 403)])
def test_reveal_refused(app_client: TestClient, heads: dict[str, dict[str, str]], case: dict[str, int],
                        who: str, status: int) -> None:
    url = f"/api/v1/cases/{case['case']}/parties/{case['party']}/reveal"
    response = app_client.post(url, json={"reason": "想看看号码"}, headers=heads[who])
    assert response.status_code == status
    assert ID_NUMBER not in response.text


def test_reveal_of_a_party_of_another_case_is_404(app_client: TestClient, heads: dict[str, dict[str, str]],
                                                  case: dict[str, int]) -> None:
    other = app_client.post("/api/v1/cases", json={"category": "0201", "source_channel": "walk_in",
                                                   "description": "另一案件", **POINT},
                            headers={**heads["operator"], "Idempotency-Key": str(uuid.uuid4())}).json()["id"]
    response = app_client.post(f"/api/v1/cases/{other}/parties/{case['party']}/reveal",
                               json={"reason": "起草协议书"}, headers=heads["operator"])
    assert response.status_code == 404 and response.json()["error"]["reason"] == "party_not_found"


def test_reveals_are_rate_limited(app_client: TestClient, db_settings: DatabaseSettings,
                                  case: dict[str, int]) -> None:
    headers = {"Authorization": f"Bearer {make_token(db_settings, 'pd-busy', 'operator', TOWN)}"}
    url = f"/api/v1/cases/{case['case']}/parties/{case['party']}/reveal"
    codes = [app_client.post(url, json={"reason": "联系当事人"}, headers=headers).status_code for _ in range(31)]
    assert codes == [200] * 30 + [429]
