"""Sign-in: the login form (session cookie), the OAuth2 password flow (access tokens), logout, who am I."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import SESSION_COOKIE, ConnDep, allow, bearer, client_of, security_settings
from api.errors import error_responses
from gis.accounts import sessions, tokens
from gis.crypto import keys as crypto_keys
from gis.errors import Forbidden, GisError, InvalidInput
from gis.policy import Scope
from gis.storage import access
from gis.storage import accounts as store
from maps import STATIC_DIR

router = APIRouter(tags=["auth"])
# A form field longer than this is refused before any hashing work.
FIELD_MAX = 256


@router.get("/login", include_in_schema=False, dependencies=[allow("public")])
def login_page() -> FileResponse:
    """The sign-in form (plain HTML, no inline script)."""
    return FileResponse(STATIC_DIR / "login" / "index.html")


def _safe_next(target: str) -> str:
    """Only paths on this site (no scheme, no //host) are followed after sign-in."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def _refuse_cross_site(request: Request) -> None:
    """Login CSRF: a sign-in form posted from another site would sign the victim into the attacker's account.

    ``Sec-Fetch-Site`` decides where browsers send it. ``Origin: null`` is not evidence either way: under this
    site's ``Referrer-Policy: no-referrer`` browsers send it for our own form too.
    """
    fetch_site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    own = {f"{request.url.scheme}://{request.url.netloc}"}
    public_url = request.app.state.settings.public_url
    if public_url:
        scheme, _, rest = public_url.partition("://")
        own.add(f"{scheme}://{rest.split('/')[0]}")
    if fetch_site in ("cross-site", "same-site") or (origin not in (None, "null") and origin not in own):
        raise Forbidden("a sign-in form posted from another site is refused", reason="cross_site")


@router.post("/auth/login", include_in_schema=False, dependencies=[allow("public")])
def login_form(request: Request, conn: ConnDep, username: Annotated[str, Form(max_length=FIELD_MAX)],
               password: Annotated[str, Form(max_length=FIELD_MAX)],
               next_path: Annotated[str, Form(alias="next", max_length=FIELD_MAX)] = "/") -> Response:
    """Check the password and set the session cookie (HttpOnly, SameSite=Strict, Secure over TLS)."""
    _refuse_cross_site(request)
    settings = security_settings()
    try:
        user = sessions.sign_in(conn, username=username, password=password, client=client_of(request),
                                settings=settings, via="form")
    except GisError as exc:
        return RedirectResponse(f"/login?error={exc.reason}", status_code=303)
    session_id = sessions.start_session(conn, user=user, keys=crypto_keys(), client=client_of(request),
                                        settings=settings)
    response = RedirectResponse(_safe_next(next_path), status_code=303)
    response.set_cookie(SESSION_COOKIE, session_id, httponly=True, samesite="strict", path="/",
                        secure=settings.secure_cookies or request.url.scheme == "https")
    return response


@router.post("/auth/logout", status_code=204, dependencies=[allow("public")])
async def logout(request: Request, conn: ConnDep) -> Response:
    """End the session cookie and revoke the bearer access token the request carries (if any)."""
    keys = crypto_keys()
    credentials = await bearer(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        sessions.end_session(conn, session_id=cookie, keys=keys)
    if credentials is not None and tokens.looks_like_jwt(credentials.credentials):
        claims = tokens.decode(credentials.credentials, key=keys.jwt)
        store.revoke_access_token(conn, jti=claims.jti, expires_at=datetime.fromtimestamp(claims.expires_at, UTC))
    access.audit(conn, user=getattr(request.state, "user", None), action="auth.sign_out",
                 client_ip=client_of(request).ip)
    conn.commit()
    wants_page = "text/html" in request.headers.get("accept", "")
    response: Response = RedirectResponse("/login", status_code=303) if wants_page else Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.post("/api/v1/auth/token", dependencies=[allow("public")], responses=error_responses(401, 422, 429))
def token(request: Request, conn: ConnDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]
          ) -> dict[str, object]:
    """OAuth2 password flow: a short-lived access token (HS256 JWT) for API clients."""
    if len(form.username) > FIELD_MAX or len(form.password) > FIELD_MAX:
        raise InvalidInput("user name or password too long", reason="too_long")
    settings = security_settings()
    user = sessions.sign_in(conn, username=form.username, password=form.password, client=client_of(request),
                            settings=settings, via="token")
    value, lifetime = sessions.issue_access_token(conn, user=user, keys=crypto_keys(), settings=settings)
    return {"access_token": value, "token_type": "bearer", "expires_in": lifetime}


@router.get("/api/v1/auth/me")
def me(scope: Annotated[Scope, allow("account.self")]) -> dict[str, object]:
    """Who the caller is: name, role and region."""
    user = scope.require_user()
    return {"id": user.id, "username": user.username, "role": user.role, "town_code": user.town_code,
            "staff_code": user.staff_code}
