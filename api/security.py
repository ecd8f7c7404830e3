"""HTTP hardening as plain ASGI middleware: NUL bytes refused, security headers on every response.

Content-Security-Policy: the console, the sign-in page and the API get a strict policy (scripts and
everything else only from this origin, no framing, no plugins; ``style-src`` also admits inline style
attributes, which map libraries set and which cannot run script). The API docs at ``/docs`` are
vendored Swagger UI started by an external script, so they live under the same strict policy.
Responses under ``/api/`` and ``/auth/``, the OGC case items and the hotspot map page (personal data or
figures scoped to the caller) are ``Cache-Control: no-store`` unless a route set its own. Under HTTPS (the
request's scheme, or ``FENGQIAO_SECURE_COOKIES`` behind a TLS-terminating proxy) every response carries HSTS.
"""

from __future__ import annotations

import json
import re
from typing import Any, cast
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.errors import RETRY_AFTER_S, error_body

STRICT_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:;"
              " connect-src 'self'; worker-src 'self' blob:; font-src 'self' data:; object-src 'none';"
              " base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)
BODY_CLASS_KEY = "fengqiao.body_class"  # set by api.bodylimit.BodyLimit (outermost)
NO_STORE_PREFIXES = ("/api/", "/auth/", "/ogc/collections/cases/", "/maps/hotspots/render")
HSTS = (b"strict-transport-security", b"max-age=31536000")
COMMON = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
          (b"referrer-policy", b"no-referrer"), (b"cross-origin-opener-policy", b"same-origin")]


def client_address(scope: Scope) -> str:
    """The client's address for rate limits, audit rows and logs: the peer, or what a trusted proxy forwarded."""
    client = scope.get("client")
    return str(client[0]) if client else ""


def proxy_list(proxies: str) -> list[str]:
    """``FENGQIAO_TRUSTED_PROXIES`` as a list (ValueError for ``*``: anyone could choose their own address)."""
    hosts = [h.strip() for h in proxies.split(",") if h.strip()]
    if "*" in hosts:
        raise ValueError("FENGQIAO_TRUSTED_PROXIES cannot be '*': anyone could choose their own address")
    return hosts


def trusted_proxies(app: ASGIApp, proxies: str) -> ASGIApp:
    """Believe ``X-Forwarded-For``/``-Proto`` only from the listed proxies (addresses or CIDRs, comma-separated).

    uvicorn's ProxyHeadersMiddleware semantics: the client is the right-most forwarded address that is not itself
    a trusted proxy. With no proxies listed the headers are ignored and the client is the connection's peer.
    Servers are started with their own proxy handling off (``proxy_headers=False``), so this is the only one.
    """
    return cast(ASGIApp, ProxyHeadersMiddleware(app, trusted_hosts=proxy_list(proxies)))  # type: ignore[arg-type]


def _has_nul(scope: Scope) -> bool:
    raw_path = scope.get("raw_path") or scope.get("path", "").encode()
    if b"\x00" in unquote_to_bytes(raw_path) or "\x00" in scope.get("path", ""):
        return True
    if b"\x00" in unquote_to_bytes(scope.get("query_string", b"")):
        return True
    return any(b"\x00" in value for _, value in scope.get("headers", []))


class SecurityMiddleware:
    """Refuses NUL bytes in the path, query or headers (400 ``nul_byte``) and adds security headers."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts  # HTTPS is terminated in front of the server: HSTS whatever the request's scheme

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check, then pass on with headers added to the response start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if _has_nul(scope):
            await _refuse(send)
            return
        if _checks_body(scope) and scope.get(BODY_CLASS_KEY) != "upload":  # uploads are files, never buffered
            body, receive = await _buffered(receive)
            if _body_has_nul(scope, body):
                await _refuse(send)
                return
        csp = STRICT_CSP
        no_store = path.startswith(NO_STORE_PREFIXES)
        hsts = self.hsts or scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers.extend(h for h in COMMON if h[0] not in names)
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", csp.encode()))
                if no_store and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                if hsts and HSTS[0] not in names:
                    headers.append(HSTS)
                if message.get("status") == 503 and b"retry-after" not in names:  # every 503 says when to retry
                    headers.append((b"retry-after", RETRY_AFTER_S.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def _content_type(scope: Scope) -> bytes:
    return next((v for k, v in scope.get("headers", []) if k == b"content-type"), b"").split(b";")[0].strip().lower()


def _is_json(content_type: bytes) -> bool:
    """``application/json`` and every ``+json`` type (FastAPI parses both as JSON)."""
    return content_type == b"application/json" or (content_type.startswith(b"application/")
                                                    and content_type.endswith(b"+json"))


def _checks_body(scope: Scope) -> bool:
    content_type = _content_type(scope)
    return scope.get("method") in ("POST", "PUT", "PATCH") and (
        _is_json(content_type) or content_type == b"application/x-www-form-urlencoded")


def _body_has_nul(scope: Scope, body: bytes) -> bool:
    """JSON writes NUL as an escape (backslash, u0000); forms as %00; either is refused before parsing."""
    if b"\x00" in body:
        return True
    if _is_json(_content_type(scope)):
        return bool(JSON_NUL.search(body))
    return b"\x00" in unquote_to_bytes(body.replace(b"+", b" "))


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole body once and hand the app a receive that replays it."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"", receive
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _refuse(send: Send) -> None:
    body = json.dumps(error_body("nul_byte", "NUL bytes are not accepted in the path, query or headers"),
                      ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 400,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *COMMON, (b"content-security-policy", STRICT_CSP.encode())]})
    await send({"type": "http.response.body", "body": body})
