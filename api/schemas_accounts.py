"""Response models of accounts, sign-in, devices, the audit log and revealed personal data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from api.schemas import Model
from gis.policy import Role


class AccessToken(Model):
    """An OAuth2 bearer token from the password flow."""

    access_token: str
    token_type: str = Field(description="always bearer")
    expires_in: int = Field(description="seconds the token is valid")


class SessionTimes(Model):
    """How long a cookie session has left, read without extending it."""

    kind: str = Field(description="browser or device")
    idle_s: int = Field(description="seconds left before it ends unused")
    max_s: int = Field(description="seconds left before it ends anyway")
    idle_limit_s: int


class Profile(Model):
    """Who the caller is, for the pages' header."""

    id: int
    username: str
    name: str
    role: Role
    role_label: str
    town_code: str | None
    town_name: str | None
    staff_code: str | None
    staff_id: int | None
    staff_name: str | None
    session: SessionTimes | None = Field(description="cookie sessions only")


class DeviceSession(Model):
    """A live device session (``id`` is the handle a revoke takes, never the session itself)."""

    id: str
    label: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    client_ip: str
    user_agent: str


class DeviceSessions(Model):
    """An account's live device sessions, newest first."""

    sessions: list[DeviceSession]


class FieldAccount(Model):
    """A field account a device link can be issued for."""

    id: int
    username: str
    display: str
    town_code: str | None
    staff_code: str | None
    staff_name: str | None
    devices: int = Field(description="live device sessions")


class FieldAccounts(Model):
    """Field accounts of the caller's region and how long a device session lasts."""

    accounts: list[FieldAccount]
    device_session_s: int


class DeviceLink(Model):
    """A one-time device sign-in link and its QR code."""

    url: str
    qr_svg: str
    expires_at: datetime
    valid_s: int
    device_session_s: int


class UserRow(Model):
    """An account as the administrator lists it (no password hashes)."""

    id: int
    username: str
    role: Role
    town_code: str | None
    staff_code: str | None
    display: str
    disabled: bool
    created_at: datetime
    has_password: bool
    locked: bool
    api_keys: int


class Users(Model):
    """Every account."""

    items: list[UserRow]


class TownChoice(Model):
    """A town of the active boundaries."""

    code: str
    name: str


class StaffChoice(Model):
    """An active staff member and the accounts linked to them (comma-separated)."""

    staff_code: str
    name: str
    role: str
    organisation: str
    town_code: str | None
    accounts: str | None


class UserChoices(Model):
    """What an account can be bound to."""

    towns: list[TownChoice]
    staff: list[StaffChoice]


class LiveSession(Model):
    """A live sign-in, browser or device, with its account."""

    id: str
    kind: str
    label: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    client_ip: str
    user_agent: str
    user_id: int
    username: str
    display: str
    role: Role
    town_code: str | None
    staff_code: str | None


class LiveSessions(Model):
    """Who is signed in now (at most 500, newest activity first)."""

    items: list[LiveSession]


class UserCreated(Model):
    """The account made."""

    id: int
    username: str
    role: Role
    town_code: str | None


class UserUpdated(Model):
    """The account changed and the fields that changed."""

    id: int
    updated: list[str]


class KeyCreated(Model):
    """A new API key, shown this once."""

    name: str
    key: str


class KeyRow(Model):
    """An API key by name (never the key)."""

    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class Keys(Model):
    """An account's API keys."""

    items: list[KeyRow]


class AuditRow(Model):
    """One audit record and its place in the hash chain."""

    id: int
    at: datetime
    user_id: int | None
    username: str | None
    action: str
    object_type: str | None
    object_id: str | None
    detail: Any
    client_ip: str
    result: str
    chain_seq: int | None


class AuditPage(Model):
    """A page of audit records, newest first."""

    total: int
    limit: int
    offset: int
    items: list[AuditRow]


class AuditHead(Model):
    """The signed head kept outside the database."""

    seq: int
    at: str
    path: str


class AuditVerification(Model):
    """The hash chain recomputed and compared with the signed head."""

    ok: bool
    checked: int
    purged_upto: int | None
    unsealed_older_than_a_minute: int
    head: AuditHead | None
    problems: list[dict[str, Any]] = Field(description="reason, Chinese message, seq (at most 100)")


class RevealedParty(Model):
    """A party's unmasked ID number and phone (audited)."""

    party_id: int
    case_id: int
    name: str
    id_number: str | None
    phone: str | None
