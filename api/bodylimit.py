"""Request bodies are limited while they stream in, before anything buffers them (the outermost middleware).

Three classes of route, each with its own limit (see ``body_class``):

- upload routes (``UPLOAD_ROUTES``): the upload limit, and the caller is identified from the ``Authorization``
  header or the session cookie *before* the body is read; a caller the route's rule does not admit is answered
  401/403 without reading a byte of it;
- the residents' public intake (``PUBLIC_INTAKE_PREFIX``): anonymous, so a small limit of its own and writes
  limited per client address and in all per hour (checked before the body is read);
- everything else (JSON, forms, any content type, chunked or not): the small body limit.

A declared ``Content-Length`` over the limit is answered 413 at once; a body without one (chunked) is counted as
``receive()`` yields it, and the moment it passes the limit the client gets 413 and the application sees a
client disconnect (what it already handles), so no more than the limit is ever held.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import SESSION_COOKIE, security_settings
from api.errors import RETRY_AFTER_S, error_body, status_for
from api.security import BODY_CLASS_KEY, COMMON, STRICT_CSP
from gis.accounts import lockout, sessions
from gis.crypto import keys as crypto_keys
from gis.errors import Forbidden, GisError, Unauthorized
from gis.models import User
from gis.policy import ANONYMOUS
from gis.policy import rule as policy_rule
from gis.settings import AppSettings
from gis.storage.pool import Pool, translate_pg_errors

# Routes whose bodies are files: (method, path) -> the policy rule the route declares (a test keeps them in step).
UPLOAD_ROUTES: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/boundaries/uploads"): "boundaries.write",
    ("POST", "/api/v1/staff/import"): "staff.write",
    ("POST", "/api/v1/locate/batch"): "boundaries.read",
    ("POST", "/api/v1/cases/{case_id}/attachments"): "cases.act",
}
# Upload routes with the (small) attachment limit instead of the boundary files' one.
ATTACHMENT_ROUTES = frozenset({("POST", "/api/v1/cases/{case_id}/attachments")})


def _pattern(template: str) -> re.Pattern[str]:
    """A route's path template as a pattern: each path parameter is one segment of digits."""
    return re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[0-9]+", re.escape(template)) + "$")


_UPLOAD_PATTERNS = [(method, _pattern(path), (method, path)) for method, path in UPLOAD_ROUTES]
# The one anonymous write the platform accepts: residents' reports. Routes go under this prefix and nowhere else.
PUBLIC_INTAKE_PREFIX = "/api/v1/public-intake/"
FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the small form fields around an uploaded file
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HEADERS = [*COMMON, (b"content-security-policy", STRICT_CSP.encode()), (b"cache-control", b"no-store")]


@dataclass(frozen=True)
class BodyClass:
    """How much body a route takes and what is checked before reading it."""

    name: str
    limit_bytes: int
    rule: str | None = None  # upload routes: the caller must be admitted by this rule before the body is read
    intake: bool = False  # public intake: per-address and overall rate limits before the body is read


def body_class(method: str, path: str, settings: AppSettings) -> BodyClass:
    """The class of a request by its method and path."""
    if path.startswith(PUBLIC_INTAKE_PREFIX):
        return BodyClass("public_intake", settings.intake_max_kb * 1024, intake=method not in SAFE_METHODS)
    route = _upload_route(method, path.rstrip("/") or "/")
    if route is not None:
        limit_mb = settings.attachment_max_mb if route in ATTACHMENT_ROUTES else settings.max_upload_mb
        return BodyClass("upload", limit_mb * 2**20 + FORM_OVERHEAD, rule=UPLOAD_ROUTES[route])
    return BodyClass("body", settings.max_body_kb * 1024)


def _upload_route(method: str, path: str) -> tuple[str, str] | None:
    """The upload route (method, path template) a request goes to, or None."""
    return next((route for m, pattern, route in _UPLOAD_PATTERNS if m == method and pattern.match(path)), None)


def _limit_text(limit_bytes: int) -> str:
    return f"{limit_bytes // 2**20} MB" if limit_bytes >= 2**20 else f"{limit_bytes // 1024} KB"


async def _answer(send: Send, status: int, body: dict[str, Any], extra: list[tuple[bytes, bytes]] | None = None
                  ) -> None:
    data = json.dumps(body, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            (b"connection", b"close"), *HEADERS, *(extra or [])]})
    await send({"type": "http.response.body", "body": data})


async def _too_large(send: Send, cls: BodyClass) -> None:
    await _answer(send, 413, error_body("too_large", f"request body over the {_limit_text(cls.limit_bytes)} limit"
                                        f" of this route", limit_bytes=cls.limit_bytes, route_class=cls.name))


async def _refuse(send: Send, exc: GisError) -> None:
    extra = [(b"www-authenticate", b"Bearer")] if isinstance(exc, Unauthorized) else []
    retry = exc.details.get("retry_after_s")
    if retry is not None:
        extra.append((b"retry-after", str(retry).encode()))
    elif status_for(exc) == 503:
        extra.append((b"retry-after", RETRY_AFTER_S.encode()))
    details = {k: v for k, v in exc.details.items() if isinstance(v, str | int | float | bool)}
    await _answer(send, status_for(exc), error_body(exc.reason, exc.message, **details), extra)


def _header(scope: Scope, name: bytes) -> bytes:
    return next((v for k, v in scope.get("headers", []) if k == name), b"")


def _cookie(scope: Scope, name: str) -> str | None:
    for value in (v for k, v in scope.get("headers", []) if k == b"cookie"):
        for part in value.decode("latin-1").split(";"):
            key, _, found = part.strip().partition("=")
            if key == name and found:
                return found
    return None


def _caller(pool: Pool, scope: Scope) -> User:
    """Who sends the request, from its headers alone (the same credentials the routes accept)."""
    authorization = _header(scope, b"authorization").decode("latin-1")
    scheme, _, credentials = authorization.partition(" ")
    cookie = _cookie(scope, SESSION_COOKIE)
    with translate_pg_errors(), pool.session(ANONYMOUS) as conn:
        if scheme.lower() == "bearer" and credentials.strip():
            return sessions.bearer_user(conn, token=credentials.strip(), keys=crypto_keys())
        if cookie:
            return sessions.session_user(conn, session_id=cookie, keys=crypto_keys(), settings=security_settings())
    raise Unauthorized("sign in, or send Authorization: Bearer <access token or API key>", reason="missing_token")


def _admit(pool: Pool, scope: Scope, rule_name: str) -> None:
    """Unauthorized or Forbidden unless the caller may use the rule (checked again by the route itself)."""
    user = _caller(pool, scope)
    if not policy_rule(rule_name).admits(user.role):
        raise Forbidden(f"role {user.role!r} may not send this upload", reason="role_not_allowed")


def _intake_limits(pool: Pool, client_ip: str, settings: AppSettings) -> None:
    """TooManyRequests past the intake's per-address or overall hourly limit (counters shared by every process)."""
    with translate_pg_errors(), pool.session(ANONYMOUS) as conn:
        lockout.limit(conn, bucket=f"intake:{client_ip}", most=settings.intake_per_address_per_hour,
                      window_s=3600, what="reports from this address")
        lockout.limit(conn, bucket="intake:*", most=settings.intake_per_hour, window_s=3600,
                      what="reports in the last hour")


class BodyLimit:
    """The outermost HTTP guard: refuses over-long bodies while they stream and unauthorised uploads unread."""

    def __init__(self, app: ASGIApp, *, settings: AppSettings, state: Any) -> None:
        self.app = app
        self.settings = settings
        self.state = state  # the application's state: ``services`` (with the pool) once the lifespan started

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check what can be checked from the headers, then count the body as it arrives."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cls = body_class(scope.get("method", "GET"), scope.get("path", ""), self.settings)
        scope[BODY_CLASS_KEY] = cls.name
        declared = _header(scope, b"content-length")
        if declared.isascii() and declared.isdigit() and int(declared) > cls.limit_bytes:
            await _too_large(send, cls)
            return
        try:
            await self._check_before_body(scope, cls)
        except GisError as exc:
            await _refuse(send, exc)
            return
        await self._counted(scope, receive, send, cls)

    async def _check_before_body(self, scope: Scope, cls: BodyClass) -> None:
        if cls.rule is None and not cls.intake:
            return
        pool = self.state.services.pool
        if cls.rule is not None:
            await asyncio.to_thread(_admit, pool, scope, cls.rule)
        if cls.intake:
            client = scope.get("client")
            await asyncio.to_thread(_intake_limits, pool, client[0] if client else "", self.settings)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, cls: BodyClass) -> None:
        received = 0
        over = started = False

        async def counting_receive() -> Message:
            nonlocal received, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cls.limit_bytes:
                    over = True
                    if not started:
                        await _too_large(send, cls)
                    return {"type": "http.disconnect"}  # the application stops as for a client that left
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over:
                return  # the 413 was the answer
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not over:
                raise
