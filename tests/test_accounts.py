"""Accounts and sign-in: form sessions, the OAuth2 password flow, API keys, lock-out, logout, disabling."""

from __future__ import annotations

import threading
import time

import jwt
import psycopg
import pytest
from fastapi.testclient import TestClient

from api.cli import main as cli
from gis.accounts import admin, passwords
from gis.crypto import keys
from gis.settings import DatabaseSettings
from gis.storage.pool import connect
from tests.conftest import use_database

PASSWORD = "Correct-horse-9"


def make_user(db: DatabaseSettings, username: str, role: str, town: str | None = None,
              password: str = PASSWORD) -> int:
    with connect(db) as c:
        user = admin.create_user(c, actor=None, username=username, role=role, town_code=town, password=password)
        c.commit()
        return user.id


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def test_passwords_are_argon2id_and_checked() -> None:
    stored = passwords.hash_password(PASSWORD)
    assert stored.startswith("$argon2id$")
    assert passwords.verify_password(stored, PASSWORD) and not passwords.verify_password(stored, "wrong-pass-1")
    assert not passwords.verify_password(None, PASSWORD)
    for weak in ("short1!", "allletterslong", "1234567890123"):
        with pytest.raises(ValueError):
            passwords.hash_password(weak)


def test_form_sign_in_sets_a_strict_session_cookie(app_client: TestClient, db_settings: DatabaseSettings) -> None:
    make_user(db_settings, "form-op", "operator")
    client = TestClient(app_client.app, base_url="http://testserver")
    page = client.get("/login")
    assert page.status_code == 200 and 'action="/auth/login"' in page.text and "<script>" not in page.text
    wrong = client.post("/auth/login", data={"username": "form-op", "password": "nope-nope-1"},
                        follow_redirects=False)
    assert wrong.status_code == 303 and wrong.headers["location"] == "/login?error=invalid_credentials"
    ok = client.post("/auth/login", data={"username": "form-op", "password": PASSWORD, "next": "//evil.example"},
                     follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    cookie = ok.headers["set-cookie"]
    assert "fengqiao_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    me = client.get("/api/v1/auth/me")
    assert me.status_code == 200 and me.json()["username"] == "form-op" and me.json()["role"] == "operator"
    # a write from another origin with the cookie is refused
    cross = client.post("/auth/logout", headers={"Origin": "https://evil.example"})
    assert cross.status_code == 204  # logout is public and harmless; a scoped write is not:
    again = client.post("/auth/login", data={"username": "form-op", "password": PASSWORD}, follow_redirects=False)
    assert again.status_code == 303
    foreign = client.post("/api/v1/cases", json={}, headers={"Origin": "https://evil.example", "Idempotency-Key": "x"})
    assert foreign.status_code == 403 and foreign.json()["error"]["reason"] == "cross_origin"
    client.post("/auth/logout")
    after = client.get("/api/v1/auth/me")
    assert after.status_code == 401


def test_session_idle_timeout(app_client: TestClient, db_settings: DatabaseSettings) -> None:
    make_user(db_settings, "idle-op", "operator")
    client = TestClient(app_client.app)
    client.post("/auth/login", data={"username": "idle-op", "password": PASSWORD}, follow_redirects=False)
    assert client.get("/api/v1/auth/me").status_code == 200
    with connect(db_settings) as c:
        c.execute("UPDATE user_sessions SET last_seen_at = now() - interval '31 minutes'"
                  " WHERE user_id = (SELECT id FROM users WHERE username = 'idle-op')")
        c.commit()
    idle = client.get("/api/v1/auth/me")
    assert idle.status_code == 401 and idle.json()["error"]["reason"] == "session_expired"


def test_access_tokens_pin_the_algorithm_and_end_on_logout(app_client: TestClient,
                                                            db_settings: DatabaseSettings) -> None:
    user_id = make_user(db_settings, "api-sup", "supervisor")
    token = sign_in(app_client, "api-sup")
    claims = jwt.decode(token, keys().jwt, algorithms=["HS256"])
    assert claims["sub"] == str(user_id) and claims["exp"] - claims["iat"] == 900
    bearer = {"Authorization": f"Bearer {token}"}
    assert app_client.get("/api/v1/auth/me", headers=bearer).json()["role"] == "supervisor"
    unsigned = jwt.encode({"sub": str(user_id), "exp": claims["exp"], "iat": claims["iat"], "jti": "x",
                           "iss": "fengqiao"}, key="", algorithm="none")
    forged = app_client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {unsigned}"})
    assert forged.status_code == 401 and forged.json()["error"]["reason"] == "invalid_token"
    other_key = jwt.encode({**claims, "jti": "y"}, "another-key-of-enough-length-0123456789", algorithm="HS256")
    assert app_client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {other_key}"}).status_code == 401
    no_exp = jwt.encode({k: v for k, v in claims.items() if k != "exp"}, keys().jwt, algorithm="HS256")
    assert app_client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {no_exp}"}).status_code == 401
    assert app_client.post("/auth/logout", headers=bearer).status_code == 204
    revoked = app_client.get("/api/v1/auth/me", headers=bearer)
    assert revoked.status_code == 401 and revoked.json()["error"]["reason"] == "token_revoked"


def test_lock_out_is_per_address_with_back_off_and_answers_alike(app_client: TestClient, db_settings: DatabaseSettings,
                                                                 conn: psycopg.Connection) -> None:
    make_user(db_settings, "lock-op", "operator")
    attacker = TestClient(app_client.app, client=("203.0.113.7", 40000))
    owner = TestClient(app_client.app, client=("198.51.100.8", 40000))
    url = "/api/v1/auth/token"
    wrong = [attacker.post(url, data={"username": "lock-op", "password": f"wrong-{i}-xyz"}) for i in range(5)]
    assert [w.status_code for w in wrong] == [401] * 5
    locked = attacker.post(url, data={"username": "lock-op", "password": PASSWORD})
    unknown = attacker.post(url, data={"username": "nobody-here", "password": PASSWORD})
    # locked, unknown and wrong answer alike: nothing tells whether the name exists
    assert locked.status_code == unknown.status_code == 401
    assert locked.json() == unknown.json() == wrong[0].json() == wrong[4].json()
    assert locked.json()["error"]["reason"] == "invalid_credentials"
    # the lock binds the attacker's address only: the owner signs in from theirs
    assert owner.post(url, data={"username": "lock-op", "password": PASSWORD}).status_code == 200
    rows = conn.execute("SELECT result, detail->>'reason', client_ip FROM audit_log WHERE action = 'auth.sign_in'"
                        " AND object_id = 'lock-op' ORDER BY id").fetchall()
    attempts = [("refused", "invalid_credentials", "203.0.113.7")] * 4 + [
        ("refused", "locked_now", "203.0.113.7"), ("refused", "account_locked", "203.0.113.7")]
    assert rows == attempts
    lock_s = "SELECT round(extract(epoch FROM f.locked_until - now()) / 60) FROM sign_in_failures f JOIN users u" \
             " ON u.id = f.user_id WHERE u.username = 'lock-op' AND f.client_ip = '203.0.113.7'"
    assert conn.execute(lock_s).fetchone() == (15,)
    # trying during the lock does not renew it; once it ends, the next failure locks twice as long
    conn.execute("UPDATE sign_in_failures SET locked_until = now() - interval '1 second'"
                 " WHERE user_id = (SELECT id FROM users WHERE username = 'lock-op')")
    conn.commit()
    assert attacker.post(url, data={"username": "lock-op", "password": "wrong-6-xyz"}).status_code == 401
    assert conn.execute(lock_s).fetchone() == (30,)


def test_api_keys_are_named_hashed_and_revocable(app_client: TestClient, db_settings: DatabaseSettings,
                                                 admin_headers: dict[str, str], conn: psycopg.Connection) -> None:
    user_id = make_user(db_settings, "gateway-1", "operator")
    created = app_client.post(f"/api/v1/users/{user_id}/keys", json={"name": "gateway"}, headers=admin_headers)
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("fqk_") and len(key) > 40
    stored = conn.execute("SELECT count(*) FROM api_tokens WHERE label = 'gateway' AND position(%s in"
                          " encode(token_sha256, 'escape')) > 0", (key,)).fetchone()
    assert stored == (0,)
    headers = {"Authorization": f"Bearer {key}"}
    assert app_client.get("/api/v1/auth/me", headers=headers).json()["username"] == "gateway-1"
    listed = app_client.get(f"/api/v1/users/{user_id}/keys", headers=admin_headers).json()["items"]
    assert [k["name"] for k in listed] == ["gateway"] and "key" not in listed[0]
    assert app_client.delete(f"/api/v1/users/{user_id}/keys/gateway", headers=admin_headers).status_code == 204
    assert app_client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_user_admin_is_admin_only_and_refuses_extra_fields(app_client: TestClient, db_settings: DatabaseSettings,
                                                           admin_headers: dict[str, str]) -> None:
    make_user(db_settings, "plain-op", "operator")
    op = {"Authorization": f"Bearer {sign_in(app_client, 'plain-op')}"}
    assert app_client.get("/api/v1/users", headers=op).status_code == 403
    made = app_client.post("/api/v1/users", headers=admin_headers, json={
        "username": "auditor-1", "role": "auditor", "password": "Audit-pass-42"})
    assert made.status_code == 201 and made.json()["role"] == "auditor"
    sneaky = app_client.post("/api/v1/users", headers=admin_headers, json={
        "username": "sneaky", "role": "operator", "disabled": False, "token_epoch": 0})
    assert sneaky.status_code == 422
    names = {u["username"] for u in app_client.get("/api/v1/users", headers=admin_headers).json()["items"]}
    assert "auditor-1" in names and "sneaky" not in names


def test_disabling_ends_tokens_and_open_streams(app_client: TestClient, db_settings: DatabaseSettings,
                                                admin_headers: dict[str, str]) -> None:
    user_id = make_user(db_settings, "stream-op", "operator")
    bearer = {"Authorization": f"Bearer {sign_in(app_client, 'stream-op')}"}
    ended = threading.Event()
    lines: list[str] = []

    def listen() -> None:
        with app_client.stream("GET", "/api/v1/events", headers=bearer) as response:
            for line in response.iter_lines():
                lines.append(line)
        ended.set()

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    while not lines:
        time.sleep(0.05)
    patched = app_client.patch(f"/api/v1/users/{user_id}", json={"disabled": True}, headers=admin_headers)
    assert patched.status_code == 200
    assert ended.wait(30), "the disabled user's stream kept running"
    assert lines[0] == "retry: 3000" or ": connected" in lines
    assert app_client.get("/api/v1/auth/me", headers=bearer).status_code == 401


def test_users_cli(db_settings: DatabaseSettings, monkeypatch: pytest.MonkeyPatch,
                   capsys: pytest.CaptureFixture[str]) -> None:
    use_database(monkeypatch, db_settings)
    monkeypatch.setenv("FENGQIAO_NEW_PASSWORD", "Cli-password-7")
    assert cli(["users", "add", "cli-sup", "--role", "supervisor", "--town", "449901001000"]) == 0
    assert cli(["users", "key", "cli-sup", "--name", "loadtest"]) == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert key.startswith("fqk_")
    assert cli(["users", "disable", "cli-sup"]) == 0
    assert cli(["users", "list"]) == 0
    listing = capsys.readouterr().out
    line = next(row for row in listing.splitlines() if row.startswith("cli-sup"))
    assert "supervisor" in line and "449901001000" in line and "disabled" in line and "keys=1" in line
    assert cli(["users", "passwd", "nobody-at-all"]) == 2


def test_locate_names_responsible_staff_for_an_access_token(app_client: TestClient, db_settings: DatabaseSettings,
                                                            ) -> None:
    """The console signed in by the password flow sends a JWT to the public locate: it is a valid caller there too."""
    make_user(db_settings, "locate-jwt-op", "operator", "449901001000")
    token = sign_in(app_client, "locate-jwt-op")
    point = {"lon": 114.6471302, "lat": 24.0688967}  # 坪湾社区第7网格 of 隆联街道, the caller's town
    answer = app_client.get("/api/v1/locate", params=point, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    assert set(answer.json()["responsible"]) == {"grid_workers", "mediators"}
    forged = app_client.get("/api/v1/locate", params=point, headers={"Authorization": f"Bearer {token}x"})
    assert forged.status_code == 401
