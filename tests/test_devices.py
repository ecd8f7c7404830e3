"""Signing in as people do: who am I, role landing, sessions read without sliding, the session cookie at locate,
and device sign-in for field staff (one-time codes, device sessions listed and revoked)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.logs import install_redaction
from gis.accounts import admin
from gis.settings import DatabaseSettings
from gis.staff.roster import StaffRecord
from gis.storage import staff as staff_store
from gis.storage.pool import connect

PASSWORD = "Correct-horse-9"
TOWN = "449901001000"  # 隆联街道
POINT = {"lon": 114.6471302, "lat": 24.0688967}  # 坪湾社区第7网格 of 隆联街道


@pytest.fixture(scope="module", autouse=True)
def _forget_sign_in_counts(db_settings: DatabaseSettings) -> Iterator[None]:
    """These tests sign in often from one test address: later modules start below the per-address limit."""
    yield
    with connect(db_settings) as c:
        c.execute("DELETE FROM rate_events WHERE bucket LIKE 'sign-in:%'")
        c.commit()


def make_user(db: DatabaseSettings, username: str, role: str, *, town: str | None = None,
              staff_code: str | None = None, display: str = "") -> int:
    with connect(db) as c:
        user = admin.create_user(c, actor=None, username=username, role=role, town_code=town, staff_code=staff_code,
                                 display=display, password=PASSWORD)
        c.commit()
        return user.id


def form_client(app_client: TestClient, username: str, next_path: str | None = None) -> tuple[TestClient, str]:
    """A browser-like client signed in through the form; also where the form sent it."""
    client = TestClient(app_client.app, base_url="http://testserver")
    data = {"username": username, "password": PASSWORD, **({"next": next_path} if next_path else {})}
    response = client.post("/auth/login", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client, response.headers["location"]


def sql(db: DatabaseSettings, statement: str, *params: object) -> None:
    with connect(db) as c:
        c.execute(statement, params)  # type: ignore[arg-type]
        c.commit()


def test_me_names_the_user_role_town_and_staff_link(app_client: TestClient, db_settings: DatabaseSettings) -> None:
    with connect(db_settings) as c:
        staff_store.upsert_staff(c, records=[StaffRecord(
            staff_code="ME1", name="陈网格", role="grid_worker", skills=("02",), territory=(), home_lon=114.63,
            home_lat=24.13, capacity=3)])
        c.commit()
        staff_id = staff_store.get_staff(c, staff_code="ME1")["id"]
    make_user(db_settings, "me-op", "operator", town=TOWN, display="王值班")
    make_user(db_settings, "me-field", "field", staff_code="ME1", display="陈网格")
    operator, _ = form_client(app_client, "me-op")
    me = operator.get("/api/v1/auth/me").json()
    assert (me["name"], me["role"], me["role_label"], me["town_code"], me["town_name"]) == (
        "王值班", "operator", "指挥中心值班员", TOWN, "隆联街道")
    assert me["session"]["kind"] == "browser" and me["session"]["idle_limit_s"] == 1800
    assert 1790 <= me["session"]["idle_s"] <= 1800 and 43190 <= me["session"]["max_s"] <= 43200
    field, _ = form_client(app_client, "me-field")
    mine = field.get("/api/v1/auth/me").json()
    assert (mine["role_label"], mine["town_name"], mine["staff_id"], mine["staff_name"]) == (
        "一线工作人员", None, staff_id, "陈网格")


def test_each_role_lands_on_its_own_page_unless_a_page_was_asked_for(app_client: TestClient,
                                                                     db_settings: DatabaseSettings) -> None:
    for role, page in (("operator", "/"), ("field", "/field"), ("supervisor", "/maps/workspace"),
                       ("gis", "/boundaries"),
                       ("admin", "/"), ("auditor", "/audit")):
        make_user(db_settings, f"land-{role}", role)
        assert form_client(app_client, f"land-{role}")[1] == page
    # Signing in again after a timeout returns to the page and selection (the hash travels inside next).
    assert form_client(app_client, "land-field", "/#case=12&tab=case")[1] == "/#case=12&tab=case"


def test_session_times_are_read_without_sliding_the_session(app_client: TestClient,
                                                            db_settings: DatabaseSettings) -> None:
    make_user(db_settings, "slide-op", "operator")
    client, _ = form_client(app_client, "slide-op")
    sql(db_settings, "UPDATE user_sessions SET last_seen_at = now() - interval '29 minutes' WHERE user_id ="
        " (SELECT id FROM users WHERE username = 'slide-op')")
    left = client.get("/api/v1/auth/session")
    assert left.status_code == 200 and 0 < left.json()["idle_s"] <= 60
    assert 0 < client.get("/api/v1/auth/session").json()["idle_s"] <= 60  # asking did not extend it
    assert client.get("/api/v1/auth/me").status_code == 200  # the person's own request does
    assert client.get("/api/v1/auth/session").json()["idle_s"] >= 1790
    sql(db_settings, "UPDATE user_sessions SET last_seen_at = now() - interval '31 minutes' WHERE user_id ="
        " (SELECT id FROM users WHERE username = 'slide-op')")
    ended = client.get("/api/v1/auth/session")
    assert ended.status_code == 401 and ended.json()["error"]["reason"] == "session_expired"
    assert TestClient(app_client.app).get("/api/v1/auth/session").status_code == 401  # no cookie at all


def test_locate_names_responsible_staff_for_a_cookie_session(app_client: TestClient,
                                                             db_settings: DatabaseSettings) -> None:
    make_user(db_settings, "locate-cookie-op", "operator", town=TOWN)
    client, _ = form_client(app_client, "locate-cookie-op")
    answer = client.get("/api/v1/locate", params=POINT)
    assert answer.status_code == 200, answer.text
    assert set(answer.json()["responsible"]) == {"grid_workers", "mediators"}
    assert "responsible" not in TestClient(app_client.app).get("/api/v1/locate", params=POINT).json()
    client.post("/auth/logout")
    client.cookies.set("fengqiao_session", "ended-session")
    assert client.get("/api/v1/locate", params=POINT).status_code == 401


def issue(client: TestClient, user_id: int, label: str = "村委会共用手机") -> dict[str, object]:
    response = client.post("/api/v1/devices/links", json={"user_id": user_id, "label": label})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def use_link(app_client: TestClient, url: str) -> tuple[TestClient, str]:
    """Open the link as a phone does and press the button; the phone's client and where it was sent."""
    phone = TestClient(app_client.app, base_url="http://testserver")
    path = url.removeprefix("http://testserver")
    page = phone.get(path)
    assert page.status_code == 200 and 'action="/auth/device"' in page.text
    code = re.search(r'name="code" value="([^"]*)"', page.text)
    assert code is not None
    sent = phone.post("/auth/device", data={"code": code.group(1)}, follow_redirects=False)
    assert sent.status_code == 303
    return phone, sent.headers["location"]


def test_device_link_signs_a_phone_in_once_for_thirty_days(app_client: TestClient,
                                                           db_settings: DatabaseSettings) -> None:
    field_id = make_user(db_settings, "dev-field", "field", town=TOWN)
    make_user(db_settings, "dev-op", "operator", town=TOWN)
    make_user(db_settings, "dev-other-op", "operator", town="449901002000")
    operator, _ = form_client(app_client, "dev-op")
    accounts = operator.get("/api/v1/devices/accounts").json()
    assert "dev-field" in [a["username"] for a in accounts["accounts"]] and accounts["device_session_s"] == 2592000
    other, _ = form_client(app_client, "dev-other-op")
    assert "dev-field" not in [a["username"] for a in other.get("/api/v1/devices/accounts").json()["accounts"]]
    refused = other.post("/api/v1/devices/links", json={"user_id": field_id})
    assert refused.status_code == 403 and refused.json()["error"]["reason"] == "out_of_region"
    link = issue(operator, field_id)
    assert link["valid_s"] == 600 and str(link["qr_svg"]).startswith("<svg")
    url = str(link["url"])
    assert re.fullmatch(r"http://testserver/device/fqd_[\w-]{43}", url)
    phone, landed = use_link(app_client, url)
    assert landed == "/field"
    me = phone.get("/api/v1/auth/me").json()
    assert me["username"] == "dev-field" and me["session"]["kind"] == "device"
    assert me["session"]["max_s"] > 29 * 86400
    # Single use: a second phone (or the same link again) gets nothing.
    _, again = use_link(app_client, url)
    assert again == "/login?error=device_link_invalid"
    # A device session does not end after 30 minutes unused, as a browser session does.
    sql(db_settings, "UPDATE user_sessions SET last_seen_at = now() - interval '3 days' WHERE user_id = %s"
        " AND kind = 'device'", field_id)
    assert phone.get("/api/v1/auth/me").status_code == 200
    # Listed with a revoke, for the operator and for the user themselves.
    listed = operator.get(f"/api/v1/devices/accounts/{field_id}/sessions").json()["sessions"]
    assert [s["label"] for s in listed] == ["村委会共用手机"]
    assert [s["id"] for s in phone.get("/api/v1/auth/devices").json()["sessions"]] == [listed[0]["id"]]
    gone = operator.delete(f"/api/v1/devices/accounts/{field_id}/sessions/{listed[0]['id']}")
    assert gone.status_code == 204
    assert phone.get("/api/v1/auth/me").status_code == 401
    assert operator.delete(f"/api/v1/devices/accounts/{field_id}/sessions/{listed[0]['id']}").status_code == 404
    # Field users may not issue links.
    field_form, _ = form_client(app_client, "dev-field")
    assert field_form.post("/api/v1/devices/links", json={"user_id": field_id}).status_code == 403


def test_device_links_expire_and_a_password_change_or_disabling_voids_them(app_client: TestClient,
                                                                           db_settings: DatabaseSettings) -> None:
    field_id = make_user(db_settings, "void-field", "field")
    make_user(db_settings, "void-op", "operator")
    operator, _ = form_client(app_client, "void-op")
    late = issue(operator, field_id)
    sql(db_settings, "UPDATE device_codes SET expires_at = now() - interval '1 second' WHERE user_id = %s"
        " AND used_at IS NULL", field_id)
    assert use_link(app_client, str(late["url"]))[1] == "/login?error=device_link_invalid"
    used = issue(operator, field_id)
    phone, _ = use_link(app_client, str(used["url"]))
    unused = issue(operator, field_id)
    with connect(db_settings) as c:
        admin.update_user(c, actor=None, user_id=field_id, password="Another-horse-7")
        c.commit()
    assert phone.get("/api/v1/auth/me").status_code == 401  # the device session ended with the password change
    assert use_link(app_client, str(unused["url"]))[1] == "/login?error=device_link_invalid"
    before_disabling = issue(operator, field_id)
    with connect(db_settings) as c:
        admin.update_user(c, actor=None, user_id=field_id, disabled=True)
        admin.update_user(c, actor=None, user_id=field_id, disabled=False)
        c.commit()
    assert use_link(app_client, str(before_disabling["url"]))[1] == "/login?error=device_link_invalid"
    assert use_link(app_client, "http://testserver/device/not-a-code")[1] == "/login?error=device_link_invalid"


def test_device_codes_never_reach_the_logs_or_the_database(app_client: TestClient, db_settings: DatabaseSettings,
                                                           caplog: object) -> None:
    install_redaction()
    field_id = make_user(db_settings, "log-field", "field")
    make_user(db_settings, "log-op", "operator")
    operator, _ = form_client(app_client, "log-op")
    url = str(issue(operator, field_id)["url"])
    code = url.rsplit("/", 1)[1]
    record = logging.getLogger("uvicorn.access").makeRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1", "GET", f"/device/{code}", "1.1", 200), None)
    assert record.getMessage() == '127.0.0.1 - "GET /device/fqd_[redacted] HTTP/1.1" 200'
    with connect(db_settings) as c:
        stored = c.execute("SELECT count(*) FROM device_codes WHERE position(%s::bytea IN code_hash) > 0",
                           (code.encode(),)).fetchone()
        audited = c.execute("SELECT count(*) FROM audit_log WHERE detail::text LIKE %s", (f"%{code[4:20]}%",)
                            ).fetchone()
    assert stored == (0,) and audited == (0,)


def test_the_demo_field_account_is_linked_to_staff_who_receive_orders(app_client: TestClient,
                                                                       db_settings: DatabaseSettings) -> None:
    from gis.storage.devices import demo_field_staff
    from tests.conftest import make_token

    with connect(db_settings) as c:
        staff_store.upsert_staff(c, records=[StaffRecord(
            staff_code="DEMO1", name="郑调解", role="mediator", skills=("02",), territory=(), home_lon=114.6481,
            home_lat=24.0689, capacity=3)])
        c.commit()
        staff_id = staff_store.get_staff(c, staff_code="DEMO1")["id"]
    machine = {"Authorization": f"Bearer {make_token(db_settings, 'demo-feed', 'operator')}"}
    case = app_client.post("/api/v1/cases", headers={**machine, "Idempotency-Key": "demo-field-staff-1"},
                           json={"category": "0201", "source_channel": "walk_in", "description": "演示派单",
                                 **POINT})
    assert case.status_code == 201, case.text
    sent = app_client.post(f"/api/v1/cases/{case.json()['id']}/dispatches", headers=machine,
                           json={"staff": [{"staff_id": staff_id, "role": "lead"}]})
    assert sent.status_code == 201, sent.text
    with connect(db_settings) as c:
        chosen = demo_field_staff(c)
        counts = dict(c.execute(
            "SELECT s.staff_code, count(d.id) FILTER (WHERE d.active) FROM staff s LEFT JOIN dispatch_orders d"
            " ON d.staff_id = s.id WHERE s.active AND s.role IN ('grid_worker', 'mediator') GROUP BY 1").fetchall())
        c.execute("UPDATE staff SET active = false WHERE staff_code = 'DEMO1'")
        c.commit()
    assert chosen is not None and counts[chosen] >= 1 and counts[chosen] == max(counts.values())
