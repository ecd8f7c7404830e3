"""Device sign-in for field staff: one-time codes exchanged for long-lived device sessions.

The centre issues a one-time code (a QR code on the console) that a phone exchanges for a device session.
Codes are good once, for ``device_code_s``; only keyed hashes are stored; a password change or disabling the
account voids unused codes (token epoch) and ends device sessions (they are sessions). Every issue, use and
revoke is audited; the code itself never is.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gis.accounts import keys as key_gen
from gis.accounts.sessions import Client
from gis.crypto import Keys, keyed_hash
from gis.errors import Forbidden, NotFound, Unauthorized
from gis.models import User
from gis.settings import SecuritySettings
from gis.storage import access
from gis.storage import devices as store
from gis.storage.pool import Conn

# One-time codes carry a prefix so logs can redact them wherever they appear (see api/logs.py).
PREFIX = "fqd_"
CODE_SHAPE = re.compile(r"^fqd_[A-Za-z0-9_-]{32,64}$")


@dataclass(frozen=True)
class DeviceCode:
    """A freshly issued code (shown once) and when it stops working."""

    code: str
    expires_at: datetime
    valid_s: int


def looks_like_code(value: str) -> bool:
    """True for a string of a device code's shape (checked before any database work)."""
    return bool(CODE_SHAPE.match(value))


def _target(conn: Conn, *, actor: User, user_id: int) -> dict[str, Any]:
    """The field account a device link is for; a town operator only reaches their town's (or county-wide) staff."""
    row = store.account_row(conn, user_id=user_id)
    if row is None or row["disabled"] or row["role"] != "field":
        raise NotFound(f"no enabled field account {user_id}", reason="user_not_found")
    if actor.role != "admin" and actor.town_code is not None and row["town_code"] not in (None, actor.town_code):
        raise Forbidden("the account belongs to another town", reason="out_of_region")
    return row


def field_accounts(conn: Conn, *, actor: User) -> list[dict[str, Any]]:
    """The field accounts an operator may issue device links for, each with its live device count."""
    return store.field_accounts(conn, town_code=None if actor.role == "admin" else actor.town_code)


def issue_code(conn: Conn, *, actor: User, user_id: int, label: str, keys: Keys,
               settings: SecuritySettings) -> DeviceCode:
    """A one-time device code for a field account (the caller commits)."""
    _target(conn, actor=actor, user_id=user_id)
    code = PREFIX + secrets.token_urlsafe(32)
    expires = store.create_code(conn, code_hash=keyed_hash(code, key=keys.session), user_id=user_id,
                                issued_by=actor.id, label=label[:100], valid_s=settings.device_code_s)
    access.audit(conn, user=actor, action="device.link_issue", object_type="user", object_id=str(user_id),
                 detail={"label": label[:100], "valid_s": settings.device_code_s})
    return DeviceCode(code, expires, settings.device_code_s)


def exchange(conn: Conn, *, code: str, keys: Keys, client: Client, settings: SecuritySettings) -> tuple[str, str]:
    """Use a code once: a new device session's cookie value and the user's role; Unauthorized otherwise."""
    row = store.take_code(conn, code_hash=keyed_hash(code, key=keys.session)) if looks_like_code(code) else None
    if row is None:
        access.audit(conn, user=None, action="device.sign_in", client_ip=client.ip, result="refused")
        conn.commit()
        raise Unauthorized("the device link is used, expired or revoked; ask the centre for a new one",
                           reason="device_link_invalid")
    session_id = key_gen.new_session_id()
    store.create_device_session(conn, id_hash=keyed_hash(session_id, key=keys.session), user_id=row["user_id"],
                                lifetime_s=settings.device_session_s, label=row["label"], client_ip=client.ip,
                                user_agent=client.user_agent)
    access.audit(conn, user=None, action="device.sign_in", object_type="user", object_id=str(row["user_id"]),
                 detail={"username": row["username"], "label": row["label"]}, client_ip=client.ip)
    conn.commit()
    return session_id, str(row["role"])


def list_sessions(conn: Conn, *, actor: User, user_id: int) -> list[dict[str, Any]]:
    """A user's live device sessions (one's own, or a field account's for an operator of its region)."""
    if actor.id != user_id:
        _target(conn, actor=actor, user_id=user_id)
    return store.device_sessions(conn, user_id=user_id)


def revoke_session(conn: Conn, *, actor: User, user_id: int, session_id: str) -> None:
    """End one device session (NotFound when it is not a live device session of that user)."""
    if actor.id != user_id:
        _target(conn, actor=actor, user_id=user_id)
    if store.revoke_device_session(conn, user_id=user_id, session_id=session_id) == 0:
        raise NotFound("no such live device session", reason="device_session_not_found")
    access.audit(conn, user=actor, action="device.revoke", object_type="user", object_id=str(user_id))


def session_times(conn: Conn, *, session_id: str, keys: Keys, settings: SecuritySettings) -> dict[str, Any] | None:
    """When the caller's session ends, read without touching it (for the pages' warning before it ends)."""
    return store.session_times(conn, id_hash=keyed_hash(session_id, key=keys.session), idle_s=settings.session_idle_s)


def profile(conn: Conn, *, user: User) -> dict[str, Any]:
    """Who is signed in, for the pages' header."""
    row = store.profile(conn, user_id=user.id) or {}
    return {"id": user.id, "username": user.username, "name": row.get("display") or user.username,
            "role": user.role, "town_code": user.town_code, "town_name": row.get("town_name"),
            "staff_code": user.staff_code, "staff_id": row.get("staff_id"), "staff_name": row.get("staff_name")}
