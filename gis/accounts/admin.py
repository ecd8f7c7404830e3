"""Account administration shared by the API (admins) and the CLI (``fengqiao users``); each change audited."""

from __future__ import annotations

from typing import Any

from gis.accounts import keys as key_gen
from gis.accounts import passwords
from gis.errors import InvalidInput, NotFound
from gis.models import User
from gis.storage import access
from gis.storage import accounts as store
from gis.storage import user_directory as directory
from gis.storage.pool import Conn


def _audit(conn: Conn, actor: User | None, action: str, user_id: int, **detail: Any) -> None:
    access.audit(conn, user=actor, action=action, object_type="user", object_id=str(user_id),
                 detail={"by": actor.username if actor else "cli", **detail})


def _known(conn: Conn, user_id: int) -> dict[str, Any]:
    for row in store.list_users(conn):
        if row["id"] == user_id:
            return row
    raise NotFound(f"user {user_id} not found", reason="user_not_found")


def check_links(conn: Conn, *, town_code: str | None = None, staff_code: str | None = None) -> None:
    """Refuse a town that is not in the active boundaries and a staff code that is not on the roster.

    An account bound to either would see nothing (or the wrong region) and pass every check silently.
    """
    if town_code is not None and not directory.town_is_active(conn, code=town_code):
        raise InvalidInput(f"乡镇代码 {town_code} 不是现行边界版本中的乡镇（街道），请从列表中选择",
                           reason="unknown_town", town_code=town_code)
    if staff_code is not None and not directory.staff_on_roster(conn, staff_code=staff_code):
        raise InvalidInput(f"人员编号 {staff_code} 不在人员花名册中（或已停用），请从花名册中选择",
                           reason="unknown_staff", staff_code=staff_code)


def choices(conn: Conn) -> dict[str, list[dict[str, Any]]]:
    """What an account may be bound to: the active generation's towns and the roster's staff."""
    return {"towns": directory.active_towns(conn), "staff": directory.roster(conn)}


def live_sessions(conn: Conn, *, idle_s: int) -> list[dict[str, Any]]:
    """Who is signed in now, in a browser or on a device."""
    return directory.live_sessions(conn, idle_s=idle_s)


def list_users(conn: Conn) -> list[dict[str, Any]]:
    """Every account (no hashes)."""
    return store.list_users(conn)


def create_user(conn: Conn, *, actor: User | None, username: str, role: str, town_code: str | None = None,
                staff_code: str | None = None, display: str = "", password: str | None = None,
                checked: bool = False) -> User:
    """Create or update an account; with ``password`` it can sign in with a form or the token flow.

    ``checked``: refuse an unknown town or staff code first (the API and the CLI always check).
    """
    if checked:
        check_links(conn, town_code=town_code, staff_code=staff_code)
    user = access.upsert_user(conn, username=username, role=role, town_code=town_code, staff_code=staff_code,
                              display=display)
    if password is not None:
        store.set_password(conn, user_id=user.id, password_hash=passwords.hash_password(password))
    _audit(conn, actor, "user.create", user.id, role=role, town_code=town_code, staff_code=staff_code,
           password=password is not None)
    return user


def update_user(conn: Conn, *, actor: User | None, user_id: int, role: str | None = None,
                town_code: str | None = None, disabled: bool | None = None, password: str | None = None,
                staff_code: str | None = None) -> None:
    """Change an account; disabling ends its sessions, access tokens and open event streams.

    A new town or staff code must exist (``check_links``); an empty string unbinds it (county-wide, no staff).
    """
    row = _known(conn, user_id)
    check_links(conn, town_code=town_code or None, staff_code=staff_code or None)
    if role is not None or town_code is not None or staff_code is not None:
        access.upsert_user(conn, username=row["username"], role=role or row["role"],
                           town_code=(town_code or None) if town_code is not None else row["town_code"],
                           staff_code=(staff_code or None) if staff_code is not None else row["staff_code"],
                           display=row["display"])
    if password is not None:
        store.set_password(conn, user_id=user_id, password_hash=passwords.hash_password(password))
    if disabled is not None:
        store.set_disabled(conn, user_id=user_id, disabled=disabled)
    _audit(conn, actor, "user.update", user_id, role=role, town_code=town_code, staff_code=staff_code,
           disabled=disabled, password=password is not None)


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
