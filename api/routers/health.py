"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import ServicesDep, allow
from api.errors import RETRY_AFTER_S
from api.schemas import Health, Readiness
from gis.errors import GisError
from gis.policy import ANONYMOUS
from gis.storage import areas, roles
from gis.storage.database import ping
from gis.storage.pool import translate_pg_errors

router = APIRouter(tags=["health"])


@router.get("/healthz", dependencies=[allow("public")])
async def healthz() -> Health:
    """The process is alive (no dependency is checked)."""
    return Health(status="ok")


@router.get("/readyz", dependencies=[allow("public")], response_class=JSONResponse,
            responses={200: {"model": Readiness}, 503: {"model": Readiness, "description": "not ready"}})
def readyz(services: ServicesDep) -> JSONResponse:
    """Ready when PostGIS answers within about 1.5 s and the in-memory services are built."""
    pool = services.pool
    checks: dict[str, Any] = {}
    try:
        with translate_pg_errors(), pool.session(ANONYMOUS, probe=True) as conn:
            ping(conn)
            checks["database"] = "ok"
            generation = areas.get_generation(conn)
            checks["generation"] = generation.name
            checks["row_security"] = "enforced" if roles.enforced(conn) else "not enforced (owner or superuser role)"
    except GisError as exc:
        checks.setdefault("database", "ok" if "database" in checks else exc.reason)
        return JSONResponse({"status": "unavailable", "checks": checks, "reason": exc.reason}, 503,
                            headers={"Retry-After": RETRY_AFTER_S})
    for name, (ok, detail) in services.readiness().items():
        checks[name] = detail
        if not ok:
            return JSONResponse(
                {"status": "unavailable", "checks": checks, "reason": f"{name}_not_ready"}, 503
            )
    return JSONResponse({"status": "ok", "checks": checks})
