"""Absolute links for documents other clients store (TileJSON, OGC API): from the configured public URL."""

from __future__ import annotations

from fastapi import Request

from gis.settings import AppSettings


def public_base(request: Request, settings: AppSettings) -> str:
    """``FENGQIAO_PUBLIC_URL`` (behind a reverse proxy), or in development the request's own base URL."""
    return (settings.public_url or str(request.base_url)).rstrip("/")
