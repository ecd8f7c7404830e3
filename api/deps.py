"""Annotated dependencies: each validates and returns an object, or raises a domain error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gis.errors import Forbidden, Unauthorized, Unavailable
from gis.models import User
from gis.settings import AppSettings
from gis.storage import access
from gis.storage.pool import Conn, Pool, translate_pg_errors

bearer = HTTPBearer(auto_error=False)


def get_pool(request: Request) -> Pool:
    """The app's connection pool."""
    return request.app.state.pool


def get_settings(request: Request) -> AppSettings:
    """The app's settings."""
    return request.app.state.settings


def get_conn(pool: Annotated[Pool, Depends(get_pool)]) -> Iterator[Conn]:
    """A pooled connection for one request; committed when the route returns without error."""
    with translate_pg_errors(), pool.request_connection() as conn:
        yield conn


ConnDep = Annotated[Conn, Depends(get_conn, scope="function")]
SettingsDep = Annotated[AppSettings, Depends(get_settings)]


def current_user(
    conn: ConnDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> User:
    """The caller named by the bearer token."""
    if credentials is None or not credentials.credentials:
        raise Unauthorized("an Authorization: Bearer <token> header is required", reason="missing_token")
    return access.user_for_token(conn, token=credentials.credentials)


UserDep = Annotated[User, Depends(current_user)]



def require_roles(*roles: str) -> Any:
    """A dependency that admits only the given roles (admin always passes)."""

    def check(user: UserDep) -> User:
        if user.role != "admin" and user.role not in roles:
            raise Forbidden(
                f"role {user.role!r} may not do this; needs one of {sorted(roles)}", reason="role_not_allowed"
            )
        return user

    return Depends(check)


def require_ready(request: Request) -> None:
    """Fail fast with 503 while the database is unreachable."""
    if getattr(request.app.state, "pool", None) is None:
        raise Unavailable("database pool not open", reason="not_ready")
