"""Absolute links for documents other clients store (TileJSON, OGC API): from the configured public URL."""

from __future__ import annotations

from fastapi import Request

from gis.settings import AppSettings


def public_base(request: Request, settings: AppSettings) -> str:
    """``FENGQIAO_PUBLIC_URL`` (behind a reverse proxy), else the address this server answers on.

    Never the request's ``Host`` header: a client chooses it, and these links are stored and followed by others.
    """
    if settings.public_url:
        return settings.public_url.rstrip("/")
    scheme = request.url.scheme
    host, port = request.scope.get("server") or (settings.host, settings.port)
    host = f"[{host}]" if ":" in str(host) else str(host)
    default_port = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" + ("" if port in (None, default_port) else f":{port}")
