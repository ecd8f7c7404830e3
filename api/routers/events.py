"""Live events as Server-Sent Events (sse-starlette), with replay from Last-Event-ID.

Streams never poll: the process's one LISTEN connection wakes them (api/live.py) and each reads the
event log from its cursor, under its caller's scope. Event ids commit in order (gis/storage/events.py),
so a reconnecting client that sends Last-Event-ID misses nothing.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from api.deps import PoolDep, allow
from api.live import EventHub
from gis.policy import Scope
from gis.storage.accounts import user_enabled
from gis.storage.events import Event, events_after, latest_event_id
from gis.storage.pool import Pool

router = APIRouter(prefix="/api/v1", tags=["events"])
HEARTBEAT_S = 15
RECHECK_S = 2.0  # a missed wake-up (listener reconnecting) delays an event by at most this
ACCOUNT_CHECK_S = 2.0  # how often an open stream checks that its account is still enabled


def _fetch(pool: Pool, after: int, scope: Scope) -> list[Event]:
    with pool.scoped_connection(scope.database) as conn:  # the database shows this subscriber its rows only
        return events_after(conn, after_id=after, town_code=scope.town_code)


def _enabled(pool: Pool, user_id: int) -> bool:
    with pool.connection(timeout=5.0) as conn:
        return user_enabled(conn, user_id=user_id)


def _latest(pool: Pool, scope: Scope) -> int:
    with pool.scoped_connection(scope.database) as conn:
        return latest_event_id(conn)


def message(event: Event) -> ServerSentEvent:
    """One event in the text/event-stream format."""
    data = json.dumps({"at": event.at.isoformat(), **event.payload}, ensure_ascii=False, default=str)
    return ServerSentEvent(data=data, event=event.kind, id=str(event.id))


@router.get("/events", response_class=EventSourceResponse,
            responses={200: {"content": {"text/event-stream": {}}, "description": "a stream of events"}})
async def stream_events(
    request: Request, pool: PoolDep, scope: Annotated[Scope, allow("events.read")],
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
    return EventSourceResponse(_events(request, hub, pool, scope, start, max_events, once), ping=HEARTBEAT_S,
                               headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def _events(request: Request, hub: EventHub, pool: Pool, scope: Scope, cursor: int, max_events: int | None,
                  once: bool) -> AsyncIterator[ServerSentEvent]:
    flag = hub.subscribe()
    sent = 0
    user_id = scope.require_user().id
    checked = time.monotonic()
    try:
        yield ServerSentEvent(retry=3000, comment="connected")
        while True:
            flag.clear()
            if time.monotonic() - checked >= ACCOUNT_CHECK_S:  # a disabled account's stream ends within seconds
                checked = time.monotonic()
                if not await run_in_threadpool(_enabled, pool, user_id):
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
                await asyncio.wait_for(flag.wait(), RECHECK_S)
            except TimeoutError:
                pass
    finally:
        hub.unsubscribe(flag)
