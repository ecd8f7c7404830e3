"""Live events as Server-Sent Events (sse-starlette), with replay from Last-Event-ID.

Streams never poll for events: the process's one LISTEN connection wakes them (api/live.py) and each reads
the event log from its cursor, under its caller's scope. Event ids commit in order (gis/storage/events.py),
so a reconnecting client that sends Last-Event-ID misses nothing.

Every ``stream_check_s`` an open stream re-checks the credential it was opened with (gis/accounts/recheck.py:
a read that does not keep a session alive) and ends with an ``end`` event naming the reason when the
caller signed out, changed password, expired, was disabled or got another role or town.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from api.deps import SESSION_COOKIE, PoolDep, SettingsDep, allow, bearer, security_settings
from api.live import EventHub
from gis.accounts.recheck import Credential, recheck
from gis.crypto import keys as crypto_keys
from gis.models import User
from gis.policy import Scope
from gis.storage.events import Event, events_after, latest_event_id
from gis.storage.pool import Pool

router = APIRouter(prefix="/api/v1", tags=["events"])
HEARTBEAT_S = 15
RECHECK_S = 2.0  # a missed wake-up (listener reconnecting) delays an event by at most this


def _fetch(pool: Pool, after: int, scope: Scope) -> list[Event]:
    with pool.session(scope.database) as conn:  # the database shows this subscriber its rows only
        return events_after(conn, after_id=after)


def _ended(pool: Pool, credential: Credential, user: User) -> str | None:
    """Why the stream's credential no longer signs in its user with the same scope (None: it still does)."""
    with pool.connection(timeout=5.0) as conn:
        return recheck(conn, credential=credential, user=user, keys=crypto_keys(), settings=security_settings())


async def _credential(request: Request) -> Credential:
    """The credential the caller was identified by (api.deps.current_user's order: bearer first, then cookie)."""
    credentials = await bearer(request)
    if credentials is not None and credentials.credentials:
        return Credential("bearer", credentials.credentials)
    return Credential("session", request.cookies.get(SESSION_COOKIE, ""))


def _latest(pool: Pool, scope: Scope) -> int:
    with pool.session(scope.database) as conn:
        return latest_event_id(conn)


def message(event: Event) -> ServerSentEvent:
    """One event in the text/event-stream format."""
    data = json.dumps({"at": event.at.isoformat(), **event.payload}, ensure_ascii=False, default=str)
    return ServerSentEvent(data=data, event=event.kind, id=str(event.id))


@router.get("/events", response_class=EventSourceResponse,
            responses={200: {"content": {"text/event-stream": {}}, "description": "a stream of events"}})
async def stream_events(
    request: Request, pool: PoolDep, settings: SettingsDep, scope: Annotated[Scope, allow("events.read")],
    last_event_id: Annotated[str | None, Header(max_length=32)] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="replay events after this id")] = None,
    max_events: Annotated[int | None, Query(ge=1, le=100_000)] = None,
    once: bool = False,
) -> EventSourceResponse:
    """New cases, transitions, dispatch steps and staff positions the caller may see.

    ``Last-Event-ID`` (sent by browsers on reconnect) or ``after`` replays what was missed;
    ``once`` ends after the backlog and ``max_events`` after that many events (for scripts and tests).
    """
    start = after
    if start is None and last_event_id is not None and last_event_id.isascii() and last_event_id.isdigit():
        start = int(last_event_id)
    if start is None:  # a new subscriber starts from now
        start = await run_in_threadpool(_latest, pool, scope)
    hub: EventHub = request.app.state.hub
    watch = Watch(await _credential(request), scope.require_user(), settings.stream_check_s)
    return EventSourceResponse(_events(request, hub, pool, scope, watch, start, max_events, once),
                               ping=HEARTBEAT_S, headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@dataclass(frozen=True)
class Watch:
    """What an open stream re-checks, and how often."""

    credential: Credential
    user: User
    every_s: float


def ended(reason: str) -> ServerSentEvent:
    """The last message of a stream whose caller's credential or scope changed (then the server closes it)."""
    return ServerSentEvent(data=json.dumps({"reason": reason}), event="end")


async def _events(request: Request, hub: EventHub, pool: Pool, scope: Scope, watch: Watch, cursor: int,
                  max_events: int | None, once: bool) -> AsyncIterator[ServerSentEvent]:
    flag = hub.subscribe()
    sent = 0
    checked = time.monotonic()
    try:
        yield ServerSentEvent(retry=3000, comment="connected")
        while True:
            flag.clear()
            if time.monotonic() - checked >= watch.every_s:
                checked = time.monotonic()
                reason = await run_in_threadpool(_ended, pool, watch.credential, watch.user)
                if reason is not None:
                    yield ended(reason)
                    return
            batch = await run_in_threadpool(_fetch, pool, cursor, scope)
            for event in batch:
                cursor = event.id
                if scope.sees_event(kind=event.kind, town_code=event.town_code, payload=event.payload):
                    yield message(event)
                    sent += 1
                    if max_events is not None and sent >= max_events:
                        return
            if batch:
                continue  # more may be waiting beyond this page
            if once or await request.is_disconnected():
                return
            try:
                await asyncio.wait_for(flag.wait(), min(RECHECK_S, watch.every_s))
            except TimeoutError:
                pass
    finally:
        hub.unsubscribe(flag)
