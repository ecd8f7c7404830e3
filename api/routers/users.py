"""Accounts administration (admin only): users, passwords, disabling, API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ConnDep, allow, security_settings
from api.errors import error_responses
from api.schemas_accounts import KeyCreated, Keys, LiveSessions, UserChoices, UserCreated, Users, UserUpdated
from gis.accounts import admin
from gis.policy import Role, Scope

router = APIRouter(prefix="/api/v1/users", tags=["users"])
Username = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")]


class UserIn(BaseModel):
    """A new account (unknown fields are refused: 422)."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)
    username: Username
    role: Role
    town_code: str | None = Field(default=None, max_length=32, pattern=r"^[0-9]+$")
    staff_code: str | None = Field(default=None, max_length=32)
    display: str = Field(default="", max_length=100)
    password: str | None = Field(default=None, min_length=10, max_length=256)


class UserPatch(BaseModel):
    """Changes to an account (unknown fields are refused: 422); an empty town or staff code unbinds it."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)
    role: Role | None = None
    town_code: str | None = Field(default=None, max_length=32, pattern=r"^[0-9]*$")
    staff_code: str | None = Field(default=None, max_length=32)
    disabled: bool | None = None
    password: str | None = Field(default=None, min_length=10, max_length=256)


class KeyIn(BaseModel):
    """A new API key's name."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")


UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Manage = Annotated[Scope, allow("users.manage")]


@router.get("", response_model=Users)
def list_users(conn: ConnDep, scope: Manage) -> dict[str, object]:
    """Every account with its role, region, state and number of live API keys."""
    return {"items": admin.list_users(conn)}


@router.get("/choices", response_model=UserChoices)
def user_choices(conn: ConnDep, scope: Manage) -> dict[str, object]:
    """What an account can be bound to: the towns of the active boundaries and the roster's active staff."""
    return {**admin.choices(conn)}


@router.get("/sessions", response_model=LiveSessions)
def live_sessions(conn: ConnDep, scope: Manage) -> dict[str, object]:
    """Who is signed in now: browser and device sessions with account, address and last activity."""
    return {"items": admin.live_sessions(conn, idle_s=security_settings().session_idle_s)}


@router.post("", status_code=201, response_model=UserCreated, responses=error_responses(409, 422))
def create_user(conn: ConnDep, scope: Manage, body: UserIn) -> dict[str, object]:
    """Create an account (a password is optional: machine accounts use API keys).

    A town not in the active boundaries (``unknown_town``) or a staff code not on the roster
    (``unknown_staff``) is refused with 422.
    """
    user = admin.create_user(conn, actor=scope.require_user(), checked=True, **body.model_dump())
    return {"id": user.id, "username": user.username, "role": user.role, "town_code": user.town_code}


@router.patch("/{user_id}", response_model=UserUpdated, responses=error_responses(404, 422))
def update_user(conn: ConnDep, scope: Manage, user_id: UserId, body: UserPatch) -> dict[str, object]:
    """Change role, region or password, or disable (ends sessions, tokens and event streams)."""
    admin.update_user(conn, actor=scope.require_user(), user_id=user_id, **body.model_dump(exclude_unset=True))
    return {"id": user_id, "updated": sorted(body.model_dump(exclude_unset=True))}


@router.post("/{user_id}/keys", status_code=201, response_model=KeyCreated, responses=error_responses(404, 422))
def create_key(conn: ConnDep, scope: Manage, user_id: UserId, body: KeyIn) -> dict[str, object]:
    """A new API key for the account; the key is shown once (only its hash is kept)."""
    key = admin.create_key(conn, actor=scope.require_user(), user_id=user_id, name=body.name)
    return {"name": body.name, "key": key}


@router.get("/{user_id}/keys", response_model=Keys, responses=error_responses(404))
def list_keys(conn: ConnDep, scope: Manage, user_id: UserId) -> dict[str, object]:
    """The account's API keys by name (never the keys)."""
    return {"items": admin.list_keys(conn, user_id=user_id)}


@router.delete("/{user_id}/keys/{name}", status_code=204, responses=error_responses(404))
def revoke_key(conn: ConnDep, scope: Manage, user_id: UserId,
               name: Annotated[str, Path(max_length=64)]) -> None:
    """Revoke the account's keys of that name."""
    admin.revoke_key(conn, actor=scope.require_user(), user_id=user_id, name=name)
