"""The FastAPI application: create_app(settings) with a lifespan owning the pool and indexes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp

from api.bodylimit import BodyLimit
from api.errors import error_body, install_error_handlers
from api.live import EventHub
from api.logs import install_redaction
from api.memory import limit_malloc_arenas
from api.openapi import contract
from api.routers import (
    areas,
    attachments,
    audit,
    auth,
    board,
    boundaries,
    cases,
    dispatch,
    events,
    field,
    forecast,
    health,
    hotspots,
    locate,
    maps,
    meta,
    notifications,
    ogc,
    pages,
    parties,
    staff,
    stats,
    tiles,
    users,
    van,
)
from api.security import SecurityMiddleware, proxy_list, trusted_proxies
from api.strict_query import refuse_unknown_query
from gis.crypto import keys
from gis.services import Services
from gis.settings import AppSettings, DatabaseSettings, SecuritySettings
from gis.storage import roles
from gis.storage.pool import make_pool
from maps import STATIC_DIR

log = logging.getLogger("fengqiao")

# Routers are listed once here; each module owns one resource. Locate first: routes match in order (hot path).
ROUTERS = [
    locate.router, health.router, meta.router, tiles.router, areas.router, cases.router, staff.router,
    dispatch.router, events.router, boundaries.router, auth.router, users.router, audit.router,
    parties.router, board.router, ogc.router, pages.router, hotspots.router, stats.router, maps.router,
    forecast.router, van.router, attachments.router, field.router, notifications.router,
]


class Fengqiao(FastAPI):
    """FastAPI with an outer edge around Starlette's whole stack (its error middleware included).

    Outermost first: the trusted-proxy rewrite (so everything inside sees the real client address and scheme),
    then the streaming body limit (nothing inside may buffer more than it allows).
    """

    settings: AppSettings

    def build_middleware_stack(self) -> ASGIApp:
        """Starlette's stack wrapped in the edge guards."""
        inner = BodyLimit(super().build_middleware_stack(), settings=self.settings, state=self.state)
        return trusted_proxies(inner, self.settings.trusted_proxies)


def create_app(settings: AppSettings | None = None, db: DatabaseSettings | None = None) -> FastAPI:
    """Build the app; nothing touches the database until the lifespan starts."""
    limit_malloc_arenas()  # also for servers started as `uvicorn --factory` (memory levels off under load)
    settings = settings or AppSettings()
    db = db or DatabaseSettings()
    install_redaction()
    proxy_list(settings.trusted_proxies)  # a bad setting stops the start, not the first request

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        keys()  # refuse to start without the keys (the demo and the tests generate them under var/keys/)
        roles.warn_if_not_enforced(db)
        pool = make_pool(db)
        pool.open(wait=False)
        services = Services(pool, db, sweep_every_s=settings.sweep_every_s, audit_key=keys().session,
                            warm_hotspots=settings.warm_hotspots, figures_refresh_s=settings.figures_refresh_s)
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

    app = Fengqiao(
        title="Fengqiao",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served below from vendored assets: an intranet has no CDN
        redoc_url=None,
        description="Grid management and dispatch for county social-governance centres",
        dependencies=[Depends(refuse_unknown_query)],  # /api/v1 only: unknown query keys are a 422
    )
    app.state.settings = app.settings = settings
    app.openapi = lambda: contract(app)  # type: ignore[method-assign]
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)

    app.add_middleware(SecurityMiddleware, hsts=SecuritySettings().secure_cookies)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, ClientDisconnect):  # the client left (or was answered 413 mid-body): nothing to fix
            log.info("client disconnected before the request was read")
            return JSONResponse(error_body("client_disconnected", "the client disconnected"), 400)
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(error_body("internal_error", "an unexpected error occurred"), 500)

    return app
