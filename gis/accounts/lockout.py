"""Rate limits and lock-out: counters kept in the database, so every server process shares them.

Lock-out is per (account, client address) with exponential back-off: ``lockout_failures`` wrong passwords
in a row from one address lock that account *from that address* for ``lockout_s``, each further failure
after a lock ends doubles it (at most ``MAX_LOCK_S``). Nobody elsewhere is locked out, a lock cannot be
renewed by trying during it, and failures are forgotten after a quiet ``FORGET_AFTER_S``.
"""

from __future__ import annotations

from gis.errors import TooManyRequests
from gis.settings import SecuritySettings
from gis.storage import accounts as store
from gis.storage.pool import Conn

SIGN_IN_PER_ADDRESS = 30  # attempts per client address per 5 minutes, whatever the account named
SIGN_IN_WINDOW_S = 300
MAX_LOCK_S = 24 * 3600
FORGET_AFTER_S = 24 * 3600


def limit(conn: Conn, *, bucket: str, most: int, window_s: int, what: str) -> None:
    """Count one hit in ``bucket``; TooManyRequests (429) past ``most`` in ``window_s``."""
    if store.rate_hit(conn, bucket=bucket, window_s=window_s) > most:
        raise TooManyRequests(f"too many {what}; try again in a few minutes", reason="rate_limited",
                              retry_after_s=window_s)


def limit_sign_in(conn: Conn, *, client_ip: str) -> None:
    """Sign-in attempts per client address."""
    limit(conn, bucket=f"sign-in:{client_ip}", most=SIGN_IN_PER_ADDRESS, window_s=SIGN_IN_WINDOW_S,
          what="sign-in attempts from this address")


def locked(conn: Conn, *, user_id: int, client_ip: str) -> bool:
    """True while this account is locked for sign-ins from this address."""
    return store.address_locked(conn, user_id=user_id, client_ip=client_ip)


def lock_seconds(failures: int, settings: SecuritySettings) -> int:
    """How long ``failures`` wrong passwords in a row lock the account from that address (0: not locked)."""
    over = failures - settings.lockout_failures
    return 0 if over < 0 else min(settings.lockout_s * 2 ** min(over, 20), MAX_LOCK_S)


def record_failure(conn: Conn, *, user_id: int, client_ip: str, settings: SecuritySettings) -> int:
    """Count a wrong password from this address, locking it when due; the lock's length in seconds (0: none)."""
    failures = store.count_failure(conn, user_id=user_id, client_ip=client_ip, forget_after_s=FORGET_AFTER_S)
    seconds = lock_seconds(failures, settings)
    if seconds:
        store.lock_address(conn, user_id=user_id, client_ip=client_ip, lock_s=seconds)
    return seconds


def record_success(conn: Conn, *, user_id: int, client_ip: str, new_hash: str | None = None) -> None:
    """A correct password from this address: its failures are forgotten."""
    store.record_success(conn, user_id=user_id, client_ip=client_ip, new_hash=new_hash)
