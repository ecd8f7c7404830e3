"""The attachment store: content checked by its bytes, kept under the case's row security, served with the
right headers only to those who may read the case, and audited."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gis.settings import DatabaseSettings
from gis.staff.roster import StaffRecord
from gis.storage import staff as staff_store
from gis.storage.pool import connect
from tests.conftest import make_token, settle
from tests.photos import jpeg_with_gps

LON, LAT = 114.6471302, 24.0688967  # 隆联街道 / 坪湾社区 / 第7网格
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def world(app_client: TestClient, db_settings: DatabaseSettings, row_security_enforced: None
          ) -> Iterator[dict[str, Any]]:
    """A case in 隆联街道 with an order for field worker AT1; users of that town, another town and the county."""
    with connect(db_settings) as c:
        staff_store.upsert_staff(c, records=[
            StaffRecord(staff_code=code, name=name, role="grid_worker", skills=("02",), territory=(),
                        home_lon=LON + 0.001, home_lat=LAT, capacity=3)
            for code, name in (("AT1", "附件甲"), ("AT2", "附件乙"))])
        c.commit()
        staff_id = int(c.execute("SELECT id FROM staff WHERE staff_code = 'AT1'").fetchone()[0])  # type: ignore[index]
    operator = bearer(make_token(db_settings, "att-operator", "operator"))
    body = {"category": "0201", "source_channel": "walk_in", "description": "院墙倒塌", "lon": LON, "lat": LAT}
    made = app_client.post("/api/v1/cases", json=body, headers={"Idempotency-Key": uuid.uuid4().hex, **operator})
    assert made.status_code == 201, made.text
    case = made.json()
    settle(app_client)
    sent = app_client.post(f"/api/v1/cases/{case['id']}/dispatches", headers=operator,
                           json={"staff": [{"staff_id": staff_id, "role": "lead"}]})
    assert sent.status_code == 201, sent.text
    with connect(db_settings) as c:
        other_town = c.execute("SELECT code FROM areas a JOIN generations g ON g.id = a.generation_id"
                               " WHERE g.activated_at IS NOT NULL AND a.tier = 2 AND a.code <> %s ORDER BY code"
                               " LIMIT 1", (case["town_code"],)).fetchone()[0]  # type: ignore[index]
    yield {
        "case": case, "order_id": sent.json()["orders"][0]["id"], "operator": operator,
        "town_op": bearer(make_token(db_settings, "att-town", "operator", town_code=case["town_code"])),
        "other_town": bearer(make_token(db_settings, "att-other", "operator", town_code=other_town)),
        "field": bearer(make_token(db_settings, "att-field", "field", staff_code="AT1")),
        "stranger": bearer(make_token(db_settings, "att-field2", "field", staff_code="AT2")),
    }
    with connect(db_settings) as c:
        c.execute("UPDATE staff SET active = false WHERE staff_code IN ('AT1', 'AT2')")
        c.commit()


def upload(client: TestClient, headers: dict[str, str], case_id: int, data: bytes, *, name: str = "photo.jpg",
           declared: str = "image/jpeg", **fields: Any) -> Any:
    return client.post(f"/api/v1/cases/{case_id}/attachments", headers=headers,
                       files={"file": (name, data, declared)}, data={k: str(v) for k, v in fields.items()})


def test_a_photo_from_the_field_is_kept_with_its_place_and_served_to_readers_of_the_case(
        app_client: TestClient, world: dict[str, Any], db_settings: DatabaseSettings) -> None:
    case_id = world["case"]["id"]
    photo = jpeg_with_gps(114.6472, 24.0689)
    key = uuid.uuid4().hex
    made = upload(app_client, world["field"], case_id, photo, dispatch_id=world["order_id"], exif_lon=114.6472,
                  exif_lat=24.0689, exif_taken_at="2026-05-01T09:30:00+08:00", client_key=key)
    assert made.status_code == 201, made.text
    meta = made.json()
    assert (meta["content_type"], meta["size_bytes"], meta["sha256"]) == (
        "image/jpeg", len(photo), hashlib.sha256(photo).hexdigest())
    assert (meta["exif_lon"], meta["exif_lat"], meta["dispatch_id"]) == (114.6472, 24.0689, world["order_id"])
    # The phone retries after a lost answer: the first upload, not a second copy.
    again = upload(app_client, world["field"], case_id, photo, client_key=key)
    assert (again.status_code, again.json()["id"]) == (200, meta["id"])
    listed = app_client.get(f"/api/v1/cases/{case_id}/attachments", headers=world["town_op"]).json()
    assert [a["id"] for a in listed["attachments"]] == [meta["id"]]
    got = app_client.get(meta["url"], headers=world["operator"])
    assert got.status_code == 200 and got.content == photo
    assert got.headers["content-type"] == "image/jpeg"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"] == f'inline; filename="attachment-{meta["id"]}.jpg"'
    assert "sandbox" in got.headers["content-security-policy"]
    with connect(db_settings) as c:
        actions = [r[0] for r in c.execute(
            "SELECT action FROM audit_log WHERE object_type = 'attachment' AND object_id = %s ORDER BY id",
            (str(meta["id"]),))]
    assert actions == ["attachment.add", "attachment.read"]


def test_a_pdf_is_downloaded_not_shown(app_client: TestClient, world: dict[str, Any]) -> None:
    made = upload(app_client, world["operator"], world["case"]["id"], PDF, name="协议.pdf", declared="application/pdf")
    assert made.status_code == 201, made.text
    got = app_client.get(made.json()["url"], headers=world["town_op"])
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment; ")


@pytest.mark.parametrize(("data", "name", "declared"), [
    (b"<html><script>alert(1)</script></html>", "photo.jpg", "image/jpeg"),  # a page dressed as a photo
    (b"GIF89a" + b"\x00" * 32, "x.gif", "image/gif"),  # an image kind not on the list
    (b"MZ\x90\x00" + b"\x00" * 60, "photo.png", "image/png"),  # a program
], ids=["html-as-jpeg", "gif", "program-as-png"])
def test_the_content_decides_the_type_not_the_name_or_header(app_client: TestClient, world: dict[str, Any],
                                                           data: bytes, name: str, declared: str) -> None:
    refused = upload(app_client, world["field"], world["case"]["id"], data, name=name, declared=declared)
    assert refused.status_code == 422
    assert refused.json()["error"]["reason"] == "attachment_type_not_allowed"


def test_a_png_named_jpg_is_stored_as_the_png_it_is(app_client: TestClient, world: dict[str, Any]) -> None:
    made = upload(app_client, world["field"], world["case"]["id"], PNG, name="photo.jpg", declared="image/jpeg")
    assert (made.status_code, made.json()["content_type"]) == (201, "image/png")


def test_empty_and_one_sided_locations_are_refused(app_client: TestClient, world: dict[str, Any]) -> None:
    empty = upload(app_client, world["field"], world["case"]["id"], b"")
    assert empty.status_code == 422
    photo = jpeg_with_gps(LON, LAT)
    half = upload(app_client, world["field"], world["case"]["id"], photo, exif_lon=LON)
    assert (half.status_code, half.json()["error"]["reason"]) == (422, "bad_location")


def test_size_limits_hold_before_and_after_reading(app_client: TestClient, world: dict[str, Any]) -> None:
    case_id = world["case"]["id"]
    # Over the route's body limit (10 MB and the form's overhead): refused as declared, before the body is read.
    huge = upload(app_client, world["field"], case_id, b"\xff\xd8\xff" + b"\x00" * (11 * 2**20))
    assert (huge.status_code, huge.json()["error"]["reason"]) == (413, "too_large")
    assert huge.json()["error"]["route_class"] == "upload"
    # Within the body limit but over the attachment's own 10 MB: refused after reading, nothing stored.
    before = len(app_client.get(f"/api/v1/cases/{case_id}/attachments", headers=world["operator"]).json()
                 ["attachments"])
    over = upload(app_client, world["field"], case_id, b"\xff\xd8\xff" + b"\x00" * (10 * 2**20))
    assert (over.status_code, over.json()["error"]["reason"]) == (413, "too_large")
    after = app_client.get(f"/api/v1/cases/{case_id}/attachments", headers=world["operator"]).json()
    assert len(after["attachments"]) == before


def test_outside_the_case_region_attachments_do_not_exist(app_client: TestClient, world: dict[str, Any],
                                                          db_settings: DatabaseSettings) -> None:
    case_id = world["case"]["id"]
    made = upload(app_client, world["field"], case_id, jpeg_with_gps(LON, LAT))
    assert made.status_code == 201
    url = made.json()["url"]
    for who in ("other_town", "stranger"):  # another town's operator; a field worker not sent to the case
        headers = world[who]
        assert app_client.get(url, headers=headers).status_code == 404
        assert app_client.get(f"/api/v1/cases/{case_id}/attachments", headers=headers).status_code == 404
        refused = upload(app_client, headers, case_id, jpeg_with_gps(LON, LAT))
        assert refused.status_code == 404, refused.text
    auditor = bearer(make_token(db_settings, "att-auditor", "auditor"))
    assert app_client.get(url, headers=auditor).status_code == 403
    assert app_client.get(url).status_code == 401


def test_the_table_refuses_rows_the_checks_would_refuse(db_settings: DatabaseSettings, world: dict[str, Any]) -> None:
    """The schema's own checks: the type allow-list and paired coordinates hold for any writer."""
    import psycopg

    with connect(db_settings) as c:
        for content_type, lon, lat in (("text/html", None, None), ("image/jpeg", 114.0, None)):
            with pytest.raises(psycopg.errors.CheckViolation):
                with c.transaction():
                    c.execute("INSERT INTO attachments (case_id, content_type, size_bytes, sha256, content, exif_lon,"
                              " exif_lat) VALUES (%s, %s, 1, %s, 'x', %s, %s)",
                              (world["case"]["id"], content_type, b"\x00" * 32, lon, lat))
