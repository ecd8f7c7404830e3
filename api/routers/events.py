"""Live events as Server-Sent Events, with replay from Last-Event-ID."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.deps import UserDep
from gis.models import User
from gis.storage.events import Event, events_after
from gis.storage.pool import Pool

router = APIRouter(prefix="/api/v1", tags=["events"])
WHEREABOUTS_ROLES = {"admin", "operator", "supervisor"}
HEARTBEAT_S = 15.0


def visible(event: Event, user: User) -> bool:
    """Town users see their town's events; staff positions only for roles allowed to see whereabouts."""
    if event.kind.startswith("staff.position"):
        return user.role in WHEREABOUTS_ROLES and user.town_code is None
    return True


def _fetch(pool: Pool, after: int, town: str | None) -> list[Event]:
    with pool.connection(timeout=5.0) as conn:
        return events_after(conn, after_id=after, town_code=town)


def sse(event: Event) -> str:
    """One event in the text/event-stream format."""
    data = json.dumps({"at": event.at.isoformat(), **event.payload}, ensure_ascii=False, default=str)
    return f"id: {event.id}\nevent: {event.kind}\ndata: {data}\n\n"


@router.get("/events")
async def stream_events(
    request: Request, user: UserDep,
    last_event_id: Annotated[str | None, Header()] = None,
    after: Annotated[int | None, Query(ge=0, description="replay events after this id")] = None,
    max_events: Annotated[int | None, Query(ge=1, le=100_000)] = None,
    once: bool = False, poll_s: Annotated[float, Query(ge=0.05, le=10)] = 0.5,
) -> StreamingResponse:
    """New cases, transitions, dispatch steps and staff positions the caller may see.

    ``Last-Event-ID`` (sent by browsers on reconnect) or ``after`` replays what was missed;
    ``once`` ends after the backlog and ``max_events`` after that many events (for scripts and tests).
    """
    start = after
    if start is None and last_event_id is not None and last_event_id.isascii() and last_event_id.isdigit():
        start = int(last_event_id)
    pool: Pool = request.app.state.pool
    if start is None:  # a new subscriber starts from now
        latest = await run_in_threadpool(_fetch_latest_id, pool)
        start = latest

    async def body() -> AsyncIterator[str]:
        cursor, sent, idle = start, 0, 0.0
        yield "retry: 3000\n\n"
        while True:
            batch = await run_in_threadpool(_fetch, pool, cursor, user.town_code)
            for event in batch:
                cursor = event.id
                if not visible(event, user):
                    continue
                yield sse(event)
                sent += 1
                if max_events is not None and sent >= max_events:
                    return
            if once and not batch:
                return
            if batch:
                idle = 0.0
                continue
            if await request.is_disconnected():
                return
            await asyncio.sleep(poll_s)
            idle += poll_s
            if idle >= HEARTBEAT_S:
                idle = 0.0
                yield ": keep-alive\n\n"

    return StreamingResponse(body(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _fetch_latest_id(pool: Pool) -> int:
    with pool.connection(timeout=5.0) as conn:
        row = conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()
    return int(row[0]) if row else 0
