"""The FastAPI application: create_app(settings) with a lifespan owning the pool and indexes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import error_body, install_error_handlers
from api.live import EventHub
from api.logs import install_redaction
from api.openapi import contract
from api.routers import (
    areas,
    audit,
    auth,
    board,
    boundaries,
    cases,
    dispatch,
    events,
    health,
    hotspots,
    locate,
    maps,
    meta,
    ogc,
    pages,
    parties,
    staff,
    stats,
    tiles,
    users,
)
from api.security import SecurityMiddleware
from gis.crypto import keys
from gis.services import Services
from gis.settings import AppSettings, DatabaseSettings
from gis.storage import roles
from gis.storage.pool import make_pool
from maps import STATIC_DIR

log = logging.getLogger("fengqiao")

# Routers are listed once here; each module owns one resource. Locate first: routes match in order (hot path).
ROUTERS = [
    locate.router, health.router, meta.router, tiles.router, areas.router, cases.router, staff.router,
    dispatch.router, events.router, boundaries.router, auth.router, users.router, audit.router,
    parties.router, board.router, ogc.router, pages.router, hotspots.router, stats.router, maps.router,
]


class DeclaredBodyLimit:
    """Refuse declared bodies over the upload limit before reading them (Starlette has no limit).

    A plain ASGI middleware: ``@app.middleware("http")`` costs a task and a stream per request.
    """

    def __init__(self, app: ASGIApp, *, limit_bytes: int) -> None:
        self.app = app
        self.limit_bytes = limit_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 413 at once for a Content-Length over the limit."""
        if scope["type"] == "http":
            declared = dict(scope["headers"]).get(b"content-length", b"")
            if declared.isascii() and declared.isdigit() and int(declared) > self.limit_bytes:
                body = error_body("too_large", f"request body over {self.limit_bytes // 2**20} MB")
                await JSONResponse(body, 413)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(settings: AppSettings | None = None, db: DatabaseSettings | None = None) -> FastAPI:
    """Build the app; nothing touches the database until the lifespan starts."""
    settings = settings or AppSettings()
    db = db or DatabaseSettings()
    install_redaction()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        keys()  # refuse to start without the keys (the demo and the tests generate them under var/keys/)
        roles.warn_if_not_enforced(db)
        pool = make_pool(db)
        pool.open(wait=False)
        services = Services(pool, db, sweep_every_s=settings.sweep_every_s, audit_key=keys().session,
                            warm_hotspots=settings.warm_hotspots)
        hub = EventHub(asyncio.get_running_loop())
        services.on_event(hub.wake)
        app.state.services, app.state.hub = services, hub
        services.start()
        # Serve once the index is in memory (a few seconds), or after startup_wait_s anyway: /readyz says what
        # is missing.
        await asyncio.to_thread(services.wait_until_built, settings.startup_wait_s)
        try:
            yield
        finally:
            services.stop()
            pool.close()

    app = FastAPI(
        title="Fengqiao",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served below from vendored assets: an intranet has no CDN
        redoc_url=None,
        description="Grid management and dispatch for county social-governance centres",
    )
    app.state.settings = settings
    app.openapi = lambda: contract(app)  # type: ignore[method-assign]
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)

    app.add_middleware(DeclaredBodyLimit, limit_bytes=settings.max_upload_mb * 2**20)

    app.add_middleware(SecurityMiddleware)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(error_body("internal_error", "an unexpected error occurred"), 500)

    return app
