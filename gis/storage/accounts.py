"""Accounts: passwords and lock-out state, server-side sessions, revoked access tokens, rate counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.rows import class_row, dict_row

from gis.models import User
from gis.storage.pool import Conn, translate_pg_errors

USER_COLUMNS = "u.id, u.username, u.role, u.town_code, u.staff_code"


def account(conn: Conn, *, username: str) -> dict[str, Any] | None:
    """A user's sign-in record (password hash, failures, lock, disabled, token epoch), or None."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"SELECT {USER_COLUMNS}, u.password_hash, u.failed_logins, u.disabled, u.token_epoch,"
            " u.locked_until > now() AS locked FROM users u WHERE u.username = %s", (username,)).fetchone()


def address_locked(conn: Conn, *, user_id: int, client_ip: str) -> bool:
    """True while sign-ins to this account from this address are locked."""
    with translate_pg_errors():
        row = conn.execute("SELECT locked_until > now() FROM sign_in_failures WHERE user_id = %s AND client_ip = %s",
                           (user_id, client_ip[:64])).fetchone()
    return bool(row and row[0])


def count_failure(conn: Conn, *, user_id: int, client_ip: str, forget_after_s: int) -> int:
    """Count a failed sign-in to this account from this address; the failures in a row.

    Failures older than ``forget_after_s`` are forgotten.
    """
    with translate_pg_errors():
        row = conn.execute(
            "INSERT INTO sign_in_failures AS f (user_id, client_ip, failures) VALUES (%s, %s, 1)"
            " ON CONFLICT (user_id, client_ip) DO UPDATE SET last_at = now(), failures = CASE"
            " WHEN f.last_at < now() - make_interval(secs => %s) THEN 1 ELSE f.failures + 1 END"
            " RETURNING failures", (user_id, client_ip[:64], forget_after_s)).fetchone()
    return int(row[0]) if row else 1


def lock_address(conn: Conn, *, user_id: int, client_ip: str, lock_s: int) -> None:
    """Lock sign-ins to this account from this address for ``lock_s`` seconds."""
    with translate_pg_errors():
        conn.execute("UPDATE sign_in_failures SET locked_until = now() + make_interval(secs => %s)"
                     " WHERE user_id = %s AND client_ip = %s", (lock_s, user_id, client_ip[:64]))


def record_success(conn: Conn, *, user_id: int, client_ip: str, new_hash: str | None = None) -> None:
    """Forget this address's failures (and store a re-hashed password)."""
    with translate_pg_errors():
        conn.execute("DELETE FROM sign_in_failures WHERE user_id = %s AND client_ip = %s", (user_id, client_ip[:64]))
        if new_hash is not None:
            conn.execute("UPDATE users SET password_hash = %s WHERE id = %s", (new_hash, user_id))


def set_password(conn: Conn, *, user_id: int, password_hash: str) -> None:
    """Store a new password hash; existing sessions, access tokens and API keys end, and lock-outs are lifted."""
    with translate_pg_errors():
        conn.execute("UPDATE users SET password_hash = %s, password_changed_at = now(), failed_logins = 0,"
                     " locked_until = NULL, token_epoch = token_epoch + 1 WHERE id = %s", (password_hash, user_id))
        conn.execute("UPDATE user_sessions SET revoked_at = now() WHERE user_id = %s AND revoked_at IS NULL",
                     (user_id,))
        conn.execute("UPDATE api_tokens SET revoked_at = now() WHERE user_id = %s AND revoked_at IS NULL",
                     (user_id,))
        conn.execute("DELETE FROM sign_in_failures WHERE user_id = %s", (user_id,))


def set_disabled(conn: Conn, *, user_id: int, disabled: bool) -> None:
    """Disable (or enable) an account; disabling ends its sessions, access tokens and API keys at once."""
    with translate_pg_errors():
        conn.execute("UPDATE users SET disabled = %s, token_epoch = token_epoch + 1 WHERE id = %s",
                     (disabled, user_id))
        if disabled:
            conn.execute("UPDATE user_sessions SET revoked_at = now() WHERE user_id = %s AND revoked_at IS NULL",
                         (user_id,))


def list_users(conn: Conn) -> list[dict[str, Any]]:
    """Every account with its state (no hashes)."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"SELECT {USER_COLUMNS}, u.display, u.disabled, u.created_at, u.password_hash IS NOT NULL AS has_password,"
            " EXISTS (SELECT 1 FROM sign_in_failures f WHERE f.user_id = u.id AND f.locked_until > now()) AS locked,"
            " (SELECT count(*) FROM api_tokens t WHERE t.user_id = u.id AND t.revoked_at IS NULL) AS api_keys"
            " FROM users u ORDER BY u.username").fetchall()


def user_by_id(conn: Conn, *, user_id: int) -> User | None:
    """An enabled user by id."""
    with translate_pg_errors(), conn.cursor(row_factory=class_row(User)) as cur:
        return cur.execute(f"SELECT {USER_COLUMNS} FROM users u WHERE u.id = %s AND NOT u.disabled",
                           (user_id,)).fetchone()


def user_enabled(conn: Conn, *, user_id: int) -> bool:
    """True while the account exists and is not disabled (open event streams ask this)."""
    with translate_pg_errors():
        row = conn.execute("SELECT NOT disabled FROM users WHERE id = %s", (user_id,)).fetchone()
    return bool(row and row[0])


# -- sessions -----------------------------------------------------------------------------------------------

def create_session(conn: Conn, *, id_hash: bytes, user_id: int, max_s: int, client_ip: str, user_agent: str) -> None:
    """Store a new session (its id only as a keyed hash)."""
    with translate_pg_errors():
        conn.execute("INSERT INTO user_sessions (id_hash, user_id, expires_at, client_ip, user_agent)"
                     " VALUES (%s, %s, now() + make_interval(secs => %s), %s, %s)",
                     (id_hash, user_id, max_s, client_ip[:64], user_agent[:300]))


def session_user(conn: Conn, *, id_hash: bytes, idle_s: int, touch: bool = True) -> User | None:
    """The user of a live session (not revoked, not idle past its own limit or ``idle_s``, not expired).

    ``touch`` slides the session (the person's own request); a page's background poll does not.
    """
    slide = "last_seen_at = now()" if touch else "last_seen_at = s.last_seen_at"
    with translate_pg_errors(), conn.cursor(row_factory=class_row(User)) as cur:
        return cur.execute(
            f"UPDATE user_sessions s SET {slide} FROM users u WHERE s.id_hash = %s AND u.id = s.user_id"
            " AND s.revoked_at IS NULL AND s.expires_at > now()"
            " AND s.last_seen_at > now() - make_interval(secs => coalesce(s.idle_s, %s))"
            f" AND NOT u.disabled RETURNING {USER_COLUMNS}", (id_hash, idle_s)).fetchone()


def revoke_session(conn: Conn, *, id_hash: bytes) -> None:
    """End a session (logout)."""
    with translate_pg_errors():
        conn.execute("UPDATE user_sessions SET revoked_at = now() WHERE id_hash = %s AND revoked_at IS NULL",
                     (id_hash,))


# -- access tokens ------------------------------------------------------------------------------------------

def user_for_access(conn: Conn, *, user_id: int, epoch: int, jti: str) -> User | None:
    """The enabled user of an access token whose epoch is current and which was not revoked."""
    with translate_pg_errors(), conn.cursor(row_factory=class_row(User)) as cur:
        return cur.execute(
            f"SELECT {USER_COLUMNS} FROM users u WHERE u.id = %s AND NOT u.disabled AND u.token_epoch = %s"
            " AND NOT EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = %s)", (user_id, epoch, jti)).fetchone()


def revoke_access_token(conn: Conn, *, jti: str, expires_at: datetime) -> None:
    """Refuse an access token until it would have expired anyway (logout)."""
    with translate_pg_errors():
        conn.execute("DELETE FROM revoked_tokens WHERE expires_at < now()")
        conn.execute("INSERT INTO revoked_tokens (jti, expires_at) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                     (jti, expires_at))


# -- API keys -----------------------------------------------------------------------------------------------

def list_keys(conn: Conn, *, user_id: int) -> list[dict[str, Any]]:
    """A user's API keys by name (never the keys)."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT label AS name, created_at, expires_at, revoked_at, last_used_at FROM api_tokens"
                           " WHERE user_id = %s ORDER BY created_at, label", (user_id,)).fetchall()


def revoke_key(conn: Conn, *, user_id: int, name: str) -> int:
    """Revoke a user's keys of that name; the number revoked."""
    with translate_pg_errors():
        cur = conn.execute("UPDATE api_tokens SET revoked_at = now() WHERE user_id = %s AND label = %s"
                           " AND revoked_at IS NULL", (user_id, name))
    return cur.rowcount


# -- rate limits --------------------------------------------------------------------------------------------

def rate_hit(conn: Conn, *, bucket: str, window_s: int) -> int:
    """Record one hit in ``bucket`` and return the hits within the window (this one included)."""
    with translate_pg_errors():
        conn.execute("DELETE FROM rate_events WHERE bucket = %s AND at < now() - make_interval(secs => %s)",
                     (bucket, window_s))
        conn.execute("INSERT INTO rate_events (bucket) VALUES (%s)", (bucket,))
        row = conn.execute("SELECT count(*) FROM rate_events WHERE bucket = %s", (bucket,)).fetchone()
    return int(row[0]) if row else 0
