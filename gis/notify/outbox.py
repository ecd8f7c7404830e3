"""The outbox: enqueue a notice for its recipients (in the caller's transaction), deliver what is due.

Enqueueing happens where the event happens (an order declined, a sweep turning a case red), so the notice
commits or rolls back with it. Delivery runs later (the deadline sweeper's thread, or the CLI): each due row
goes to its channel's sender; a failure is retried with doubling back-off until ``max_attempts``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gis.notify.kinds import CHANNELS, Notice
from gis.notify.senders import Sender
from gis.storage import notifications as store
from gis.storage.pool import Conn


def enqueue(conn: Conn, notice: Notice, *, user_ids: list[int], channels: tuple[str, ...] = ("console",),
            exclude: int | None = None) -> int:
    """One row per recipient and channel (``exclude``: the person who caused it); how many were new."""
    people = [u for u in user_ids if u != exclude]
    made = 0
    for channel in channels:
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
        made += store.insert(conn, user_ids=people, kind=notice.kind, title=notice.title, body=notice.body,
                             case_id=notice.case_id, town_code=notice.town_code, channel=channel,
                             dedup_key=notice.dedup_key)
    return made


def notify_operators(conn: Conn, notice: Notice, *, also: tuple[int, ...] = (), exclude: int | None = None) -> int:
    """The operators whose region covers the notice's town, plus ``also`` (e.g. who dispatched)."""
    people = store.operators_of(conn, town_code=notice.town_code) + list(also)
    return enqueue(conn, notice, user_ids=people, exclude=exclude)


@dataclass(frozen=True)
class Delivery:
    """One delivery run: rows sent, rows to retry, rows given up."""

    sent: int
    retrying: int
    failed: int


def backoff(attempts: int, base_s: float) -> timedelta:
    """Wait before the next try after ``attempts`` failures: base, 2 x base, 4 x base, ... (at most a day)."""
    return timedelta(seconds=min(base_s * 2 ** max(attempts - 1, 0), 86400))


def deliver_due(conn: Conn, *, senders: Mapping[str, Sender], max_attempts: int, backoff_s: float,
                now: datetime | None = None, limit: int = 200) -> Delivery:
    """Send the pending rows that are due (call inside a transaction; rows are locked while sent)."""
    now = now or datetime.now(UTC)
    sent = retrying = failed = 0
    for row in store.due(conn, now=now, limit=limit):
        sender = senders.get(row["channel"])
        try:
            if sender is None:
                raise LookupError(f"no sender for channel {row['channel']}")
            sender.send(row)
        except Exception as exc:  # any sender failure is retried; the error is kept on the row
            tries = int(row["attempts"]) + 1
            retry_at = now + backoff(tries, backoff_s) if tries < max_attempts else None
            store.attempt_failed(conn, notification_id=row["id"], error=f"{type(exc).__name__}: {exc}",
                                 retry_at=retry_at)
            retrying, failed = (retrying + 1, failed) if retry_at else (retrying, failed + 1)
            continue
        store.delivered(conn, notification_id=row["id"], at=now)
        sent += 1
    return Delivery(sent, retrying, failed)
