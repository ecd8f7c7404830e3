"""Signing in: password check with lock-out, server-side sessions, access tokens; every attempt audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gis.accounts import keys as key_gen
from gis.accounts import lockout, passwords, tokens
from gis.crypto import Keys, keyed_hash
from gis.crypto import keys as crypto_keys
from gis.errors import TooManyRequests, Unauthorized
from gis.models import User
from gis.settings import SecuritySettings
from gis.storage import access
from gis.storage import accounts as store
from gis.storage.pool import Conn


@dataclass(frozen=True)
class Client:
    """Where a request came from (for the audit log and rate limits)."""

    ip: str = ""
    user_agent: str = ""


def sign_in(conn: Conn, *, username: str, password: str, client: Client, settings: SecuritySettings,
            via: str) -> User:
    """Check a password; the outcome is audited and committed whatever it is.

    Unknown names, wrong passwords and accounts locked from this address get the same answer (401
    ``invalid_credentials``, same body) and cost the same argon2 verification, so no answer tells whether a
    name exists. Lock-out is per (account, address) with back-off (see gis.accounts.lockout).
    """
    row: dict[str, Any] | None = None
    why = "invalid_credentials"  # what the audit row records; the caller is told only "wrong name or password"
    try:
        lockout.limit_sign_in(conn, client_ip=client.ip)  # per address, whatever the name: reveals nothing
        row = store.account(conn, username=username)
        ok = passwords.verify_password(row["password_hash"] if row else None, password)
        if row is None or row["disabled"]:
            raise _refused()
        if lockout.locked(conn, user_id=row["id"], client_ip=client.ip):
            why = "account_locked"  # attempts during a lock neither count nor renew it
            raise _refused()
        if not ok:
            if lockout.record_failure(conn, user_id=row["id"], client_ip=client.ip, settings=settings):
                why = "locked_now"
            raise _refused()
        rehash = passwords.hash_password(password) if passwords.needs_rehash(row["password_hash"]) else None
        lockout.record_success(conn, user_id=row["id"], client_ip=client.ip, new_hash=rehash)
        user = User(row["id"], row["username"], row["role"], row["town_code"], row["staff_code"])
        access.audit(conn, user=user, action="auth.sign_in", detail={"via": via}, client_ip=client.ip)
        conn.commit()
        return user
    except (Unauthorized, TooManyRequests) as exc:
        # What was typed as a name is often a password: it is kept only when it names an account.
        named = row["username"] if row else _unknown_name(username)
        access.audit(conn, user=None, action="auth.sign_in", object_type="user", object_id=named,
                     detail={"via": via, "reason": why if isinstance(exc, Unauthorized) else exc.reason},
                     client_ip=client.ip, result="refused")
        conn.commit()
        raise


def _refused() -> Unauthorized:
    return Unauthorized("wrong user name or password", reason="invalid_credentials")


def _unknown_name(typed: str) -> str:
    """A stand-in for a name that is no account: a keyed hash (repeats are visible, the text is not)."""
    return "unknown:" + keyed_hash(typed, key=crypto_keys().session).hex()[:16]


def start_session(conn: Conn, *, user: User, keys: Keys, client: Client, settings: SecuritySettings) -> str:
    """A new session for a signed-in user; returns the cookie value (only its keyed hash is stored)."""
    session_id = key_gen.new_session_id()
    store.create_session(conn, id_hash=keyed_hash(session_id, key=keys.session), user_id=user.id,
                         max_s=settings.session_max_s, client_ip=client.ip, user_agent=client.user_agent)
    conn.commit()
    return session_id


def session_user(conn: Conn, *, session_id: str, keys: Keys, settings: SecuritySettings, touch: bool = True) -> User:
    """The user of a live session cookie, or Unauthorized (expired, idle, revoked, disabled).

    ``touch=False`` (a page's background poll) checks the session without keeping it alive.
    """
    user = store.session_user(conn, id_hash=keyed_hash(session_id, key=keys.session), idle_s=settings.session_idle_s,
                              touch=touch)
    if user is None:
        raise Unauthorized("the session has ended; sign in again", reason="session_expired")
    return user


def end_session(conn: Conn, *, session_id: str, keys: Keys) -> None:
    """Revoke a session (logout)."""
    store.revoke_session(conn, id_hash=keyed_hash(session_id, key=keys.session))


def issue_access_token(conn: Conn, *, user: User, keys: Keys, settings: SecuritySettings) -> tuple[str, int]:
    """A short-lived access token for the OAuth2 password flow and its lifetime in seconds."""
    row = store.account(conn, username=user.username)
    token, _ = tokens.issue(user_id=user.id, epoch=int(row["token_epoch"]) if row else 0, key=keys.jwt,
                            lifetime_s=settings.access_token_s)
    return token, settings.access_token_s


def bearer_user(conn: Conn, *, token: str, keys: Keys) -> User:
    """The user of a bearer credential: an access token (JWT) or an API key."""
    if tokens.looks_like_jwt(token):
        claims = tokens.decode(token, key=keys.jwt)
        user = store.user_for_access(conn, user_id=claims.user_id, epoch=claims.epoch, jti=claims.jti)
        if user is None:
            raise Unauthorized("the access token was revoked", reason="token_revoked")
        return user
    return access.user_for_token(conn, token=token)
