"""The append-only event log (live stream and replay)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.rows import class_row

from gis.storage.pool import Conn, translate_pg_errors

EVENT_CHANNEL = "fq_events"  # NOTIFY channel: listeners wake up and read new rows by id
# Event ids must become visible in id order, or a reader whose cursor passed id 11 would never see an id 10
# committed later. Writers take this transaction-scoped lock before drawing an id, so ids commit in order;
# append_event is the last write of a transaction, so the lock is held only for the commit itself.
EVENT_ORDER_LOCK = 727_202


@dataclass(frozen=True)
class Event:
    """One stored event."""

    id: int
    at: datetime
    kind: str
    town_code: str | None
    payload: dict[str, Any]


def append_event(conn: Conn, *, kind: str, town_code: str | None, payload: dict[str, Any]) -> int:
    """Record an event in the caller's transaction (it becomes visible when that commits)."""
    with translate_pg_errors():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (EVENT_ORDER_LOCK,))
        # No RETURNING: the writer may append an event its own scope does not show (row-level security).
        conn.execute(
            "INSERT INTO events (kind, town_code, payload) VALUES (%s, %s, %s)",
            (kind, town_code, json.dumps(payload, ensure_ascii=False, default=str)),
        )
        row = conn.execute("SELECT currval(pg_get_serial_sequence('events', 'id'))").fetchone()
        conn.execute("SELECT pg_notify(%s, '')", (EVENT_CHANNEL,))
    assert row is not None
    return int(row[0])


def events_after(conn: Conn, *, after_id: int, limit: int = 500) -> list[Event]:
    """Events with id > after_id that the connection's scope may see (``fq_sees_event``, schema 110/150)."""
    with translate_pg_errors(), conn.cursor(row_factory=class_row(Event)) as cur:
        return cur.execute("SELECT id, at, kind, town_code, payload FROM events WHERE id > %s ORDER BY id LIMIT %s",
                           (after_id, limit)).fetchall()


def latest_event_id(conn: Conn) -> int:
    """The newest event id (a new subscriber starts after it)."""
    with translate_pg_errors():
        row = conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()
    return int(row[0]) if row else 0
