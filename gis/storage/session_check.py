"""Read-only session look-up for open event streams: who a session belongs to now, without touching it.

``accounts.session_user`` serves requests and moves the idle clock; a stream's periodic check must not,
or an open stream alone would keep an idle session alive.
"""

from __future__ import annotations

from psycopg.rows import class_row

from gis.models import User
from gis.storage.accounts import USER_COLUMNS
from gis.storage.pool import Conn, translate_pg_errors


def live_session_user(conn: Conn, *, id_hash: bytes, idle_s: int) -> User | None:
    """The user of a session that is not revoked, expired or idle past ``idle_s`` (None otherwise); a read."""
    with translate_pg_errors(), conn.cursor(row_factory=class_row(User)) as cur:
        return cur.execute(
            f"SELECT {USER_COLUMNS} FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = %s"
            " AND s.revoked_at IS NULL AND s.expires_at > now() AND s.last_seen_at > now() - make_interval(secs => %s)"
            " AND NOT u.disabled", (id_hash, idle_s)).fetchone()
