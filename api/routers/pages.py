"""The web pages: the console (`/`), the field page, the accounts page (`/admin/users`), the audit page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse

from api.deps import SettingsDep, allow
from api.schemas import ConsoleConfig
from maps import STATIC_DIR

router = APIRouter(include_in_schema=False, dependencies=[allow("public")])
NO_STORE = {"Cache-Control": "no-cache"}


@router.get("/")
def console() -> FileResponse:
    """The operator console (ES modules under /static/console/)."""
    return FileResponse(STATIC_DIR / "console" / "index.html", headers=NO_STORE)


@router.get("/docs", include_in_schema=False)
def docs() -> FileResponse:
    """Swagger UI over /openapi.json, from vendored assets (an intranet has no CDN)."""
    return FileResponse(STATIC_DIR / "docs" / "index.html")


@router.get("/field")
def field() -> FileResponse:
    """The phone page of field staff."""
    return FileResponse(STATIC_DIR / "field" / "index.html", headers=NO_STORE)


@router.get("/field/sw.js")
def field_worker() -> FileResponse:
    """The field page's service worker, served under /field so that it may control the page (scope /field)."""
    return FileResponse(STATIC_DIR / "field" / "sw.js", media_type="text/javascript",
                        headers={**NO_STORE, "Service-Worker-Allowed": "/field"})


@router.get("/field/manifest.webmanifest")
def field_manifest() -> FileResponse:
    """What makes the field page installable on a phone's home screen."""
    return FileResponse(STATIC_DIR / "field" / "manifest.webmanifest", media_type="application/manifest+json",
                        headers=NO_STORE)


@router.get("/admin/users")
def admin_users() -> FileResponse:
    """The administrator's accounts page (reads /api/v1/users; an admin's session is needed for the data)."""
    return FileResponse(STATIC_DIR / "admin" / "index.html", headers=NO_STORE)


@router.get("/boundaries")
def boundaries_page() -> FileResponse:
    """The GIS officer's page: upload a boundary file, read the check, compare maps, commit and activate."""
    return FileResponse(STATIC_DIR / "boundaries" / "index.html", headers=NO_STORE)


@router.get("/audit")
def audit_page() -> FileResponse:
    """The auditor's page: search the audit log, verify the chain, export CSV."""
    return FileResponse(STATIC_DIR / "audit" / "index.html", headers=NO_STORE)


@router.get("/maps/van")
def van_page() -> FileResponse:
    """The mobile mediation van's day plan: a map and a printable timetable (reads /api/v1/forecast/van-route)."""
    return FileResponse(STATIC_DIR / "van" / "index.html", headers=NO_STORE)


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """The site icon (browsers ask for it on every page; a 404 would be a console error)."""
    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml",
                        headers={"Cache-Control": "max-age=86400"})


@router.get("/console/config.json", response_model=ConsoleConfig)
def console_config(settings: SettingsDep) -> dict[str, Any]:
    """What the pages need from the server's settings: the optional base map and its datum."""
    basemap = None
    if settings.basemap_url:
        basemap = {"url": settings.basemap_url, "attribution": settings.basemap_attribution,
                   "crs": settings.basemap_crs}
    return {"basemap": basemap}
