"""Account administration shared by the API (admins) and the CLI (``fengqiao users``); each change audited."""

from __future__ import annotations

from typing import Any

from gis.accounts import keys as key_gen
from gis.accounts import passwords
from gis.errors import NotFound
from gis.models import User
from gis.storage import access
from gis.storage import accounts as store
from gis.storage.pool import Conn


def _audit(conn: Conn, actor: User | None, action: str, user_id: int, **detail: Any) -> None:
    access.audit(conn, user=actor, action=action, object_type="user", object_id=str(user_id),
                 detail={"by": actor.username if actor else "cli", **detail})


def _known(conn: Conn, user_id: int) -> dict[str, Any]:
    for row in store.list_users(conn):
        if row["id"] == user_id:
            return row
    raise NotFound(f"user {user_id} not found", reason="user_not_found")


def list_users(conn: Conn) -> list[dict[str, Any]]:
    """Every account (no hashes)."""
    return store.list_users(conn)


def create_user(conn: Conn, *, actor: User | None, username: str, role: str, town_code: str | None = None,
                staff_code: str | None = None, display: str = "", password: str | None = None) -> User:
    """Create or update an account; with ``password`` it can sign in with a form or the token flow."""
    user = access.upsert_user(conn, username=username, role=role, town_code=town_code, staff_code=staff_code,
                              display=display)
    if password is not None:
        store.set_password(conn, user_id=user.id, password_hash=passwords.hash_password(password))
    _audit(conn, actor, "user.create", user.id, role=role, town_code=town_code, password=password is not None)
    return user


def update_user(conn: Conn, *, actor: User | None, user_id: int, role: str | None = None,
                town_code: str | None = None, disabled: bool | None = None, password: str | None = None) -> None:
    """Change an account; disabling ends its sessions, access tokens and open event streams."""
    row = _known(conn, user_id)
    if role is not None or town_code is not None:
        access.upsert_user(conn, username=row["username"], role=role or row["role"],
                           town_code=town_code if town_code is not None else row["town_code"],
                           staff_code=row["staff_code"], display=row["display"])
    if password is not None:
        store.set_password(conn, user_id=user_id, password_hash=passwords.hash_password(password))
    if disabled is not None:
        store.set_disabled(conn, user_id=user_id, disabled=disabled)
    _audit(conn, actor, "user.update", user_id, role=role, town_code=town_code, disabled=disabled,
           password=password is not None)


def create_key(conn: Conn, *, actor: User | None, user_id: int, name: str) -> str:
    """A new named API key for an account; returned once, only its hash is stored."""
    _known(conn, user_id)
    key = key_gen.new_api_key()
    access.add_token(conn, user_id=user_id, token=key, label=name)
    _audit(conn, actor, "user.key_create", user_id, name=name)
    return key


def list_keys(conn: Conn, *, user_id: int) -> list[dict[str, Any]]:
    """An account's keys by name."""
    _known(conn, user_id)
    return store.list_keys(conn, user_id=user_id)


def revoke_key(conn: Conn, *, actor: User | None, user_id: int, name: str) -> None:
    """Revoke an account's keys of that name (NotFound when none was live)."""
    if store.revoke_key(conn, user_id=user_id, name=name) == 0:
        raise NotFound(f"no live key named {name!r}", reason="key_not_found")
    _audit(conn, actor, "user.key_revoke", user_id, name=name)


def user_id_of(conn: Conn, username: str) -> int:
    """The id of an account by name (NotFound otherwise)."""
    row = store.account(conn, username=username)
    if row is None:
        raise NotFound(f"no user named {username!r}", reason="user_not_found")
    return int(row["id"])
