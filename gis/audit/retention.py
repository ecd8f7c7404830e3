"""Retention: purge whole sealed periods older than the retention, leaving a signed checkpoint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gis.audit.chain import seal_once, sign
from gis.errors import InvalidInput
from gis.storage import audit as store
from gis.storage.pool import Conn

MIN_RETENTION_DAYS = 183  # Cybersecurity Law art. 21: network logs kept at least six months


def purge_older_than(conn: Conn, *, key: bytes, days: int, now: datetime | None = None) -> tuple[int, int | None]:
    """Remove sealed periods whose rows are all older than ``days``; (rows removed, chain position purged to).

    Refuses a retention under six months. Rows are sealed first, so nothing unsealed is ever removed.
    """
    if days < MIN_RETENTION_DAYS:
        raise InvalidInput(f"audit logs are kept at least {MIN_RETENTION_DAYS} days (asked: {days})",
                           reason="retention_too_short")
    seal_once(conn, key=key)
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    with conn.transaction():
        upto = store.purgeable_seq(conn, before=cutoff)
        head = store.link_hash(conn, seq=upto) if upto is not None else None
        if upto is None or head is None:
            return 0, None
        removed = store.purge(conn, upto_seq=upto, head=head, signature=sign(key, "purge", upto, head))
    return removed, upto
