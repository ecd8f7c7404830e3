"""The signed-in person's notifications (the console's bell): list, mark read, sound setting.

Rows are per person (row-level security: each reads only their own); outside channels are delivered by the
outbox (gis/notify/outbox.py) and never listed here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ConnDep, allow
from api.errors import error_responses
from gis.notify.kinds import KIND_LABELS
from gis.policy import Scope
from gis.storage import notifications as store

router = APIRouter(prefix="/api/v1", tags=["notifications"])


class Notification(BaseModel):
    """One notification: kind (and its Chinese label), title and body, the case it is about, delivery state."""

    id: int
    kind: str
    kind_label: str
    title: str
    body: str
    case_id: int | None
    case_no: str | None
    town_code: str | None
    channel: str
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    read_at: datetime | None


class NotificationList(BaseModel):
    """A page of the person's notifications, newest first; ``unread`` counts all unread ones."""

    total: int
    unread: int
    limit: int
    offset: int
    items: list[Notification]


class ReadIn(BaseModel):
    """Which notifications to mark read (``ids`` omitted: all)."""

    model_config = ConfigDict(extra="forbid")
    ids: list[Annotated[int, Field(ge=1, le=2**62)]] | None = Field(default=None, max_length=500)


class Marked(BaseModel):
    """How many notifications changed, and how many stay unread."""

    marked: int
    unread: int


class Prefs(BaseModel):
    """The person's notification settings: a sound on new notifications (off until turned on)."""

    model_config = ConfigDict(extra="forbid")
    sound: bool = False


Me = Annotated[Scope, allow("account.self")]


@router.get("/notifications")
def list_notifications(
    conn: ConnDep, scope: Me, unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> NotificationList:
    """The caller's console notifications, newest first (``unread=true``: only the unread ones)."""
    user = scope.require_user()
    rows, total, unread_count = store.mine(conn, user_id=user.id, unread_only=unread, limit=limit, offset=offset)
    items = [Notification.model_validate({**r, "kind_label": KIND_LABELS.get(r["kind"], r["kind"])}) for r in rows]
    return NotificationList(total=total, unread=unread_count, limit=limit, offset=offset, items=items)


@router.post("/notifications/read", responses=error_responses(422))
def mark_read(conn: ConnDep, scope: Me, body: ReadIn) -> Marked:
    """Mark some (``ids``) or all of the caller's notifications read; another person's ids change nothing."""
    user = scope.require_user()
    marked = store.mark_read(conn, user_id=user.id, ids=body.ids)
    return Marked(marked=marked, unread=store.mine(conn, user_id=user.id, unread_only=True, limit=1, offset=0)[2])


@router.get("/notifications/preferences")
def get_preferences(conn: ConnDep, scope: Me) -> Prefs:
    """The caller's notification settings."""
    return Prefs.model_validate(store.get_prefs(conn, user_id=scope.require_user().id))


@router.put("/notifications/preferences", responses=error_responses(422))
def put_preferences(conn: ConnDep, scope: Me, body: Prefs) -> Prefs:
    """Save the caller's notification settings (kept per person, on every device)."""
    user = scope.require_user()
    store.set_prefs(conn, user_id=user.id, sound=body.sound)
    return Prefs.model_validate(store.get_prefs(conn, user_id=user.id))
