"""Named, revocable API keys for machine clients (gateways, the simulator, load tests); only a hash is kept."""

from __future__ import annotations

import secrets

PREFIX = "fqk_"


def new_api_key() -> str:
    """A fresh key (256 random bits), shown once."""
    return PREFIX + secrets.token_urlsafe(32)


def new_session_id() -> str:
    """A fresh session cookie value (256 random bits)."""
    return secrets.token_urlsafe(32)
