"""Re-checking a credential that stays open (a live event stream): still valid, same user, same scope.

A stream is authorised once, when it opens; it may then run for hours. Every few seconds the stream asks
``recheck`` again with the credential it was opened with. The check only reads: it never counts as
activity, so an open stream does not keep an idle session alive. Any change ends the stream: sign-out,
password change, expiry (session idle or lifetime, access token ``exp``), revocation, disabling, and a new
role, town or staff code (the stream's filters were built for the old ones).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gis.accounts import sessions
from gis.crypto import Keys, keyed_hash
from gis.errors import Unauthorized
from gis.models import User
from gis.settings import SecuritySettings
from gis.storage.pool import Conn
from gis.storage.session_check import live_session_user


@dataclass(frozen=True)
class Credential:
    """What a long-lived request was signed in with: a session cookie or a bearer credential."""

    kind: Literal["session", "bearer"]
    value: str


def recheck(conn: Conn, *, credential: Credential, user: User, keys: Keys, settings: SecuritySettings) -> str | None:
    """None while ``credential`` still signs in exactly ``user``; else the reason code it no longer does."""
    if credential.kind == "session":
        now = live_session_user(conn, id_hash=keyed_hash(credential.value, key=keys.session),
                                idle_s=settings.session_idle_s)
        if now is None:
            return "session_expired"
    else:
        try:
            now = sessions.bearer_user(conn, token=credential.value, keys=keys)
        except Unauthorized as exc:
            return exc.reason
    return None if now == user else "scope_changed"
