"""Open event streams re-check their credential and scope and end when either changed.

A stream is authorised when it opens; these tests change the world under an open stream (sign-out,
password change, role or town change, token expiry, idleness) and expect the server to end it with an
``end`` event naming the reason. The re-check is a read: a stream alone does not keep a session alive.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from api.deps import security_settings
from gis.accounts import admin, tokens
from gis.crypto import keys
from gis.models import User
from gis.policy import RULES, Scope
from gis.settings import DatabaseSettings
from gis.storage.pool import connect
from tests.conftest import make_token

pytestmark = pytest.mark.usefixtures("row_security_enforced")
PASSWORD = "Stream-pass-42"
NEW_PASSWORD = "Another-pass-77"
TOWN_A, TOWN_B = "449901001000", "449901100000"


@pytest.fixture(autouse=True)
def quick_checks(app_client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Streams re-check every 0.2 s here (the setting FENGQIAO_STREAM_CHECK_S), so nothing waits long."""
    monkeypatch.setattr(app_client.app.state.settings, "stream_check_s", 0.2)  # type: ignore[attr-defined]


def make_user(db: DatabaseSettings, username: str, role: str = "operator", town: str | None = None) -> int:
    with connect(db) as c:
        user = admin.create_user(c, actor=None, username=username, role=role, town_code=town, password=PASSWORD)
        c.commit()
        return user.id


def cookie_for(app_client: TestClient, username: str) -> dict[str, str]:
    """Sign in through the form, as the console does; the session cookie as a header."""
    form = TestClient(app_client.app).post("/auth/login", data={"username": username, "password": PASSWORD},
                                           follow_redirects=False)
    assert form.status_code == 303 and "fengqiao_session" in form.cookies, form.text
    return {"Cookie": f"fengqiao_session={form.cookies['fengqiao_session']}"}


def token_for(app_client: TestClient, username: str) -> dict[str, str]:
    answer = app_client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@dataclass
class Stream:
    """An open /api/v1/events stream read by a thread."""

    status: int = 0
    lines: list[str] = field(default_factory=list)
    connected: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)

    def end_reason(self) -> str | None:
        """The reason of the stream's ``end`` event (None when it ended without one)."""
        for i, line in enumerate(self.lines):
            if line == "event: end":
                data = next(x for x in self.lines[i:] if x.startswith("data: "))
                return str(json.loads(data[6:])["reason"])
        return None


def open_stream(app_client: TestClient, headers: dict[str, str]) -> Stream:
    stream = Stream()

    def listen() -> None:
        try:
            with app_client.stream("GET", "/api/v1/events", headers=headers) as response:
                stream.status = response.status_code
                for line in response.iter_lines():
                    stream.lines.append(line)
                    if line == ": connected":
                        stream.connected.set()
        finally:
            stream.ended.set()

    threading.Thread(target=listen, daemon=True).start()
    assert stream.connected.wait(30), f"the stream did not open: {stream.status} {stream.lines}"
    return stream


def assert_ends(stream: Stream, reason: str) -> None:
    assert stream.ended.wait(30), "the stream kept running"
    assert stream.end_reason() == reason, stream.lines


def test_sign_out_ends_the_stream(app_client: TestClient, db_settings: DatabaseSettings) -> None:
    make_user(db_settings, "stream-out")
    cookie, bearer = cookie_for(app_client, "stream-out"), token_for(app_client, "stream-out")
    by_cookie, by_token = open_stream(app_client, cookie), open_stream(app_client, bearer)
    assert TestClient(app_client.app).post("/auth/logout", headers=cookie).status_code == 204
    assert_ends(by_cookie, "session_expired")
    assert not by_token.ended.is_set()  # signing out one session leaves the others
    assert app_client.post("/auth/logout", headers=bearer).status_code == 204
    assert_ends(by_token, "token_revoked")


def test_password_change_ends_the_stream(app_client: TestClient, db_settings: DatabaseSettings,
                                         admin_headers: dict[str, str]) -> None:
    user_id = make_user(db_settings, "stream-pass")
    by_cookie = open_stream(app_client, cookie_for(app_client, "stream-pass"))
    by_token = open_stream(app_client, token_for(app_client, "stream-pass"))
    changed = app_client.patch(f"/api/v1/users/{user_id}", json={"password": NEW_PASSWORD}, headers=admin_headers)
    assert changed.status_code == 200, changed.text
    assert_ends(by_cookie, "session_expired")
    assert_ends(by_token, "token_revoked")


def test_role_or_town_change_ends_the_stream(app_client: TestClient, db_settings: DatabaseSettings,
                                             admin_headers: dict[str, str]) -> None:
    user_id = make_user(db_settings, "stream-scope", "operator", TOWN_A)
    by_token = open_stream(app_client, token_for(app_client, "stream-scope"))
    api_key = {"Authorization": f"Bearer {make_token(db_settings, 'stream-scope', 'operator', TOWN_A)}"}
    by_key = open_stream(app_client, api_key)
    moved = app_client.patch(f"/api/v1/users/{user_id}", json={"town_code": TOWN_B}, headers=admin_headers)
    assert moved.status_code == 200, moved.text
    assert_ends(by_token, "scope_changed")
    assert_ends(by_key, "scope_changed")
    by_cookie = open_stream(app_client, cookie_for(app_client, "stream-scope"))
    demoted = app_client.patch(f"/api/v1/users/{user_id}", json={"role": "gis"}, headers=admin_headers)
    assert demoted.status_code == 200, demoted.text
    assert_ends(by_cookie, "scope_changed")


def test_token_expiry_ends_the_stream(app_client: TestClient, db_settings: DatabaseSettings) -> None:
    user_id = make_user(db_settings, "stream-exp")
    with connect(db_settings) as c:
        row = c.execute("SELECT token_epoch FROM users WHERE id = %s", (user_id,)).fetchone()
    assert row is not None
    token, _ = tokens.issue(user_id=user_id, epoch=int(row[0]), key=keys().jwt, lifetime_s=4)
    stream = open_stream(app_client, {"Authorization": f"Bearer {token}"})
    assert_ends(stream, "token_expired")


def last_seen(db: DatabaseSettings, username: str) -> object:
    with connect(db) as c:
        row = c.execute("SELECT s.last_seen_at FROM user_sessions s JOIN users u ON u.id = s.user_id"
                        " WHERE u.username = %s", (username,)).fetchone()
    assert row is not None
    return row[0]


@pytest.fixture
def short_idle(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """Sessions end after 3 s without activity (the server reads the cached security settings per request)."""
    monkeypatch.setattr(security_settings(), "session_idle_s", 3)
    yield 3


def test_a_stream_alone_does_not_keep_a_session_alive(app_client: TestClient, db_settings: DatabaseSettings,
                                                      short_idle: int) -> None:
    make_user(db_settings, "stream-idle")
    cookie = cookie_for(app_client, "stream-idle")
    stream = open_stream(app_client, cookie)
    opened = last_seen(db_settings, "stream-idle")  # the stream's own request was the last activity
    assert_ends(stream, "session_expired")
    assert last_seen(db_settings, "stream-idle") == opened  # its re-checks did not count as activity
    idle = TestClient(app_client.app).get("/api/v1/auth/me", headers=cookie)
    assert idle.status_code == 401 and idle.json()["error"]["reason"] == "session_expired"


def test_the_gis_role_gets_no_case_or_order_events(app_client: TestClient, db_settings: DatabaseSettings) -> None:
    gis = {"Authorization": f"Bearer {make_token(db_settings, 'stream-gis', 'gis')}"}
    operator = {"Authorization": f"Bearer {make_token(db_settings, 'stream-county-op', 'operator')}"}
    with connect(db_settings) as c:
        first = c.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()
        for kind, town in (("case.created", None), ("case.transition", TOWN_A), ("dispatch.status", None),
                           ("boundaries.activated", None)):
            c.execute("INSERT INTO events (kind, town_code, payload) VALUES (%s, %s, %s)",
                      (kind, town, json.dumps({"marker": "gis-stream"})))
        c.commit()
    assert first is not None
    params = {"once": "true", "after": str(first[0])}
    seen_by_gis = app_client.get("/api/v1/events", params=params, headers=gis).text
    seen_by_operator = app_client.get("/api/v1/events", params=params, headers=operator).text
    kinds = [line[7:] for line in seen_by_gis.splitlines() if line.startswith("event: ")]
    assert kinds == ["boundaries.activated"]
    operator_kinds = [line[7:] for line in seen_by_operator.splitlines() if line.startswith("event: ")]
    assert operator_kinds == ["case.created", "case.transition", "dispatch.status", "boundaries.activated"]
    # the policy says the same as the database (schema 147), whichever filters first
    gis_scope = Scope(RULES["events.read"], User(1, "gis-user", "gis", None))
    assert [k for k in ("case.created", "dispatch.status", "staff.position", "boundaries.activated", "other.kind")
            if gis_scope.sees_event(kind=k, town_code=None, payload={})] == ["boundaries.activated"]


def test_an_open_stream_is_not_a_time_limit(app_client: TestClient, db_settings: DatabaseSettings) -> None:
    """Nothing changed: several re-checks pass and the stream stays open (the checks only end changed streams)."""
    make_user(db_settings, "stream-steady")
    bearer = token_for(app_client, "stream-steady")
    stream = open_stream(app_client, bearer)
    time.sleep(1.5)  # several 0.2 s re-checks
    assert not stream.ended.is_set(), stream.lines
    assert app_client.post("/auth/logout", headers=bearer).status_code == 204
    assert_ends(stream, "token_revoked")
