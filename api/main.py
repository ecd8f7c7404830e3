"""The FastAPI application: create_app(settings) with a lifespan owning the pool and indexes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from api.errors import error_body, install_error_handlers
from api.routers import (
    areas,
    boundaries,
    cases,
    dispatch,
    events,
    health,
    hotspots,
    locate,
    maps,
    staff,
    stats,
    tiles,
)
from gis.settings import AppSettings, DatabaseSettings
from gis.storage.pool import make_pool
from maps import STATIC_DIR

log = logging.getLogger("fengqiao")

# Routers are listed once here; each module owns one resource.
ROUTERS = [
    health.router, tiles.router, areas.router, locate.router, cases.router, staff.router, dispatch.router,
    events.router, boundaries.router, hotspots.router, stats.router, maps.router,
]
# Called at start-up with the app (after the pool opens): load in-memory indexes, register probes.
STARTUP_HOOKS: list[Callable[[FastAPI], None]] = [locate.install, cases.install, staff.install, hotspots.install]


def create_app(settings: AppSettings | None = None, db: DatabaseSettings | None = None) -> FastAPI:
    """Build the app; nothing touches the database until the lifespan starts."""
    settings = settings or AppSettings()
    db = db or DatabaseSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = make_pool(db)
        pool.open(wait=False)
        app.state.pool = pool
        try:
            for hook in STARTUP_HOOKS:
                hook(app)
            yield
        finally:
            pool.close()

    app = FastAPI(
        title="Fengqiao",
        version="0.1.0",
        lifespan=lifespan,
        description="Grid management and dispatch for county social-governance centres",
    )
    app.state.settings = settings
    app.state.db_settings = db
    app.state.readiness = {}
    # Called with the app after a boundary generation is activated (e.g. rebuild the locate index).
    app.state.generation_listeners = []
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

    @app.get("/", include_in_schema=False)
    def console() -> FileResponse:
        return FileResponse(STATIC_DIR / "console" / "index.html")

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(error_body("internal_error", "an unexpected error occurred"), 500)

    return app
