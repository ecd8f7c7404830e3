"""Fan-out of new events to every open stream of this process.

The process's change listener (a thread) calls ``wake()`` when the event log grows; each open stream
waits on its own asyncio.Event and then reads the log from its cursor under its caller's scope. No
stream polls the database while nothing happens.
"""

from __future__ import annotations

import asyncio


class EventHub:
    """Wakes subscribed streams from any thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._waiters: set[asyncio.Event] = set()

    def subscribe(self) -> asyncio.Event:
        """A new stream's wake-up flag (set at once, so it reads its backlog)."""
        flag = asyncio.Event()
        flag.set()
        self._waiters.add(flag)
        return flag

    def unsubscribe(self, flag: asyncio.Event) -> None:
        """A stream ended."""
        self._waiters.discard(flag)

    def wake(self) -> None:
        """Thread-safe: new events are in the log."""
        self._loop.call_soon_threadsafe(self._set_all)

    def _set_all(self) -> None:
        for flag in self._waiters:
            flag.set()

    @property
    def subscribers(self) -> int:
        """Open streams in this process."""
        return len(self._waiters)
