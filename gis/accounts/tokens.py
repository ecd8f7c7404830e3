"""Short-lived access tokens for API clients (OAuth2 password flow): JWT, HS256 pinned, exp/sub required."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import jwt

from gis.errors import Unauthorized

ALGORITHM = "HS256"
ISSUER = "fengqiao"


@dataclass(frozen=True)
class AccessClaims:
    """What an access token says: whose it is, which token epoch, its id and expiry."""

    user_id: int
    epoch: int
    jti: str
    expires_at: int


def issue(*, user_id: int, epoch: int, key: bytes, lifetime_s: int, now: float | None = None
          ) -> tuple[str, AccessClaims]:
    """A signed token and its claims."""
    issued = int(now if now is not None else time.time())
    claims = AccessClaims(user_id, epoch, secrets.token_urlsafe(12), issued + lifetime_s)
    token = jwt.encode({"sub": str(user_id), "ep": epoch, "jti": claims.jti, "iat": issued, "exp": claims.expires_at,
                        "iss": ISSUER}, key, algorithm=ALGORITHM)
    return token, claims


def looks_like_jwt(token: str) -> bool:
    """Access tokens are three base64url parts starting with a JSON header; API keys are not."""
    return token.startswith("eyJ") and token.count(".") == 2


def decode(token: str, *, key: bytes) -> AccessClaims:
    """The claims of a valid token; Unauthorized for a bad signature, another algorithm or an expired token."""
    try:
        body = jwt.decode(token, key, algorithms=[ALGORITHM], issuer=ISSUER,
                          options={"require": ["exp", "sub", "iat", "jti", "iss"]})
        return AccessClaims(int(body["sub"]), int(body.get("ep", 0)), str(body["jti"]), int(body["exp"]))
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("the access token has expired", reason="token_expired") from exc
    except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
        raise Unauthorized("invalid access token", reason="invalid_token") from exc
