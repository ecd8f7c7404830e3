"""Sign-in: the login form (session cookie), the OAuth2 password flow (access tokens), logout, who am I."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, ConfigDict, Field

from api.deps import SESSION_COOKIE, ConnDep, allow, bearer, client_of, security_settings
from api.errors import error_responses
from api.schemas_accounts import AccessToken, DeviceLink, DeviceSessions, FieldAccounts, Profile, SessionTimes
from gis.accounts import devices, sessions, tokens
from gis.crypto import keys as crypto_keys
from gis.errors import Forbidden, GisError, InvalidInput, Unauthorized
from gis.policy import ROLE_LABELS, Role, Scope
from gis.storage import access
from gis.storage import accounts as store
from maps import STATIC_DIR
from maps.qr import qr_svg

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


@router.post("/auth/login", include_in_schema=False, response_class=RedirectResponse, dependencies=[allow("public")])
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
    response = RedirectResponse(landing(user.role, _safe_next(next_path)), status_code=303)
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
    wants_page = "text/html" in request.headers.get("accept", "")
    response: Response = RedirectResponse("/login", status_code=303) if wants_page else Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.post("/api/v1/auth/token", response_model=AccessToken, dependencies=[allow("public")],
             responses=error_responses(401, 422, 429))
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




# -- who is signed in, and for how long ------------------------------------------------------------------

# Where each role starts after sign-in when no page asked to be returned to (pages for the others come later).
LANDING = {"field": "/field", "supervisor": "/maps/workspace", "auditor": "/audit", "gis": "/boundaries"}


def landing(role: str, next_path: str) -> str:
    """The page asked for, or the role's own page when the form was opened without one."""
    return LANDING.get(role, "/") if next_path == "/" else next_path


def _session_times(conn: ConnDep, request: Request) -> dict[str, object] | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    row = devices.session_times(conn, session_id=cookie, keys=crypto_keys(), settings=security_settings())
    if row is None:
        return None
    return {"kind": row["kind"], "idle_s": int((row["idle_until"] - row["now"]).total_seconds()),
            "max_s": int((row["expires_at"] - row["now"]).total_seconds()),
            "idle_limit_s": security_settings().session_idle_s}


@router.get("/api/v1/auth/me", response_model=Profile, responses=error_responses(401))
def me(request: Request, conn: ConnDep, scope: Annotated[Scope, allow("account.self")]) -> dict[str, object]:
    """Who the caller is: name, role and its Chinese label, town, linked staff member.

    For a cookie session also how long it lasts: ``idle_s`` left before it ends unused, ``max_s`` before it
    ends anyway.
    """
    user = scope.require_user()
    body = devices.profile(conn, user=user)
    body["role_label"] = ROLE_LABELS.get(Role(user.role), user.role)
    body["session"] = _session_times(conn, request)
    return body


@router.get("/api/v1/auth/session", response_model=SessionTimes, dependencies=[allow("public")],
            responses=error_responses(401))
def session_left(request: Request, conn: ConnDep) -> dict[str, object]:
    """How long the caller's cookie session has left, read WITHOUT extending it (pages warn before it ends)."""
    times = _session_times(conn, request)
    if times is None:
        raise Unauthorized("the session has ended; sign in again", reason="session_expired")
    return times


# -- device sign-in for field staff ------------------------------------------------------------------------

class DeviceLinkIn(BaseModel):
    """A device link for a field account; ``label`` names the phone in the device list."""

    model_config = ConfigDict(extra="forbid")
    user_id: int
    label: str = Field(default="", max_length=100)


@router.get("/device/{code}", include_in_schema=False, dependencies=[allow("public")])
def device_page(code: str) -> HTMLResponse:
    """The page a scanned device link opens: one button exchanges the code.

    A GET alone uses nothing, so link previews cannot spend the code.
    """
    settings = security_settings()
    page = (STATIC_DIR / "device" / "index.html").read_text(encoding="utf-8")
    page = page.replace("{{code}}", html.escape(code if devices.looks_like_code(code) else "", quote=True))
    page = page.replace("{{days}}", str(settings.device_session_s // 86400))
    page = page.replace("{{minutes}}", str(settings.device_code_s // 60))
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


@router.post("/auth/device", include_in_schema=False, response_class=RedirectResponse, dependencies=[allow("public")])
def device_sign_in(request: Request, conn: ConnDep, code: Annotated[str, Form(max_length=FIELD_MAX)] = "") -> Response:
    """Exchange a one-time code for a device session cookie and open the field page."""
    _refuse_cross_site(request)  # a forced sign-in into someone else's device account is login CSRF too
    settings = security_settings()
    try:
        session_id, role = devices.exchange(conn, code=code, keys=crypto_keys(), client=client_of(request),
                                            settings=settings)
    except GisError as exc:
        return RedirectResponse(f"/login?error={exc.reason}", status_code=303)
    response = RedirectResponse(LANDING.get(role, "/"), status_code=303)
    response.set_cookie(SESSION_COOKIE, session_id, httponly=True, samesite="strict", path="/",
                        max_age=settings.device_session_s,
                        secure=settings.secure_cookies or request.url.scheme == "https")
    return response


@router.get("/api/v1/devices/accounts", response_model=FieldAccounts, tags=["devices"],
            responses=error_responses(401, 403))
def device_accounts(conn: ConnDep, scope: Annotated[Scope, allow("devices.manage")]) -> dict[str, object]:
    """Field accounts of the caller's region that a device link can be issued for, with live device counts."""
    return {"accounts": devices.field_accounts(conn, actor=scope.require_user()),
            "device_session_s": security_settings().device_session_s}


@router.post("/api/v1/devices/links", status_code=201, response_model=DeviceLink, tags=["devices"],
             responses=error_responses(401, 403, 404, 422))
def device_link(request: Request, conn: ConnDep, body: DeviceLinkIn,
                scope: Annotated[Scope, allow("devices.manage")]) -> dict[str, object]:
    """A one-time device sign-in link and its QR code (SVG): good once, for ``valid_s`` seconds."""
    settings = security_settings()
    issued = devices.issue_code(conn, actor=scope.require_user(), user_id=body.user_id, label=body.label,
                                keys=crypto_keys(), settings=settings)
    url = str(request.base_url).rstrip("/") + "/device/" + issued.code
    return {"url": url, "qr_svg": qr_svg(url), "expires_at": issued.expires_at, "valid_s": issued.valid_s,
            "device_session_s": settings.device_session_s}


@router.get("/api/v1/devices/accounts/{user_id}/sessions", response_model=DeviceSessions, tags=["devices"],
            responses=error_responses(401, 403, 404))
def device_sessions(conn: ConnDep, user_id: int, scope: Annotated[Scope, allow("devices.manage")]
                    ) -> dict[str, object]:
    """A field account's live device sessions."""
    return {"sessions": devices.list_sessions(conn, actor=scope.require_user(), user_id=user_id)}


@router.delete("/api/v1/devices/accounts/{user_id}/sessions/{session_id}", status_code=204, tags=["devices"],
               responses=error_responses(401, 403, 404))
def device_revoke(conn: ConnDep, user_id: int, session_id: Annotated[str, Path(max_length=64)],
                  scope: Annotated[Scope, allow("devices.manage")]) -> Response:
    """End one device session of a field account at once."""
    devices.revoke_session(conn, actor=scope.require_user(), user_id=user_id, session_id=session_id)
    return Response(status_code=204)


@router.get("/api/v1/auth/devices", response_model=DeviceSessions, responses=error_responses(401))
def my_devices(conn: ConnDep, scope: Annotated[Scope, allow("account.self")]) -> dict[str, object]:
    """The caller's own live device sessions."""
    user = scope.require_user()
    return {"sessions": devices.list_sessions(conn, actor=user, user_id=user.id)}


@router.delete("/api/v1/auth/devices/{session_id}", status_code=204, responses=error_responses(401, 404))
def my_device_revoke(conn: ConnDep, session_id: Annotated[str, Path(max_length=64)],
                     scope: Annotated[Scope, allow("account.self")]) -> Response:
    """End one of the caller's own device sessions."""
    user = scope.require_user()
    devices.revoke_session(conn, actor=user, user_id=user.id, session_id=session_id)
    return Response(status_code=204)
