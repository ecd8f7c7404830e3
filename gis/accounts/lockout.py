"""Rate limits and lock-out: counters kept in the database, so every server process shares them."""

from __future__ import annotations

from gis.errors import TooManyRequests
from gis.storage import accounts as store
from gis.storage.pool import Conn

SIGN_IN_PER_ADDRESS = 30  # attempts per client address per 5 minutes, whatever the account named
SIGN_IN_WINDOW_S = 300


def limit(conn: Conn, *, bucket: str, most: int, window_s: int, what: str) -> None:
    """Count one hit in ``bucket``; TooManyRequests (429) past ``most`` in ``window_s``."""
    if store.rate_hit(conn, bucket=bucket, window_s=window_s) > most:
        raise TooManyRequests(f"too many {what}; try again in a few minutes", reason="rate_limited",
                              retry_after_s=window_s)


def limit_sign_in(conn: Conn, *, client_ip: str) -> None:
    """Sign-in attempts per client address."""
    limit(conn, bucket=f"sign-in:{client_ip}", most=SIGN_IN_PER_ADDRESS, window_s=SIGN_IN_WINDOW_S,
          what="sign-in attempts from this address")
