"""The FastAPI application: create_app(settings) with a lifespan owning the pool and indexes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from api.errors import error_body, install_error_handlers
from api.live import EventHub
from api.routers import (
    areas,
    board,
    boundaries,
    cases,
    dispatch,
    events,
    health,
    locate,
    meta,
    ogc,
    pages,
    staff,
    tiles,
)
from gis.services import Services
from gis.settings import AppSettings, DatabaseSettings
from gis.storage.listen import ChangeListener
from gis.storage.pool import make_pool
from maps import STATIC_DIR

log = logging.getLogger("fengqiao")

# Routers are listed once here; each module owns one resource.
ROUTERS = [
    health.router, meta.router, tiles.router, areas.router, locate.router, cases.router, staff.router,
    dispatch.router, events.router, boundaries.router, board.router, ogc.router, pages.router,
]


def create_app(settings: AppSettings | None = None, db: DatabaseSettings | None = None) -> FastAPI:
    """Build the app; nothing touches the database until the lifespan starts."""
    settings = settings or AppSettings()
    db = db or DatabaseSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = make_pool(db)
        pool.open(wait=False)
        services = Services(pool)
        hub = EventHub(asyncio.get_running_loop())
        services.on_event(hub.wake)
        listener = ChangeListener(db, on_change=services.changed, on_versions=services.versions_seen,
                                  on_event=services.event_arrived)
        app.state.services, app.state.hub = services, hub
        services.start()
        listener.start()
        # Serve once the index is in memory (a few seconds), or after 30 s anyway: /readyz says what is missing.
        await asyncio.to_thread(services.wait_until_built, 30.0)
        try:
            yield
        finally:
            listener.stop()
            services.stop()
            pool.close()

    app = FastAPI(
        title="Fengqiao",
        version="0.1.0",
        lifespan=lifespan,
        description="Grid management and dispatch for county social-governance centres",
    )
    app.state.settings = settings
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """Refuse declared bodies over the upload limit before reading them (Starlette has no limit)."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > settings.max_upload_mb * 2**20:
            return JSONResponse(error_body("too_large", f"request body over {settings.max_upload_mb} MB"), 413)
        return await call_next(request)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(error_body("internal_error", "an unexpected error occurred"), 500)

    return app
