"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.errors import RETRY_AFTER_S
from gis.errors import GisError
from gis.storage import areas
from gis.storage.database import ping
from gis.storage.pool import Pool, translate_pg_errors

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive (no dependency is checked)."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Ready when PostGIS answers within about 1.5 s and the active boundaries are loaded."""
    pool: Pool = request.app.state.pool
    checks: dict[str, Any] = {}
    try:
        with translate_pg_errors(), pool.request_connection(probe=True) as conn:
            ping(conn)
            checks["database"] = "ok"
            generation = areas.get_generation(conn)
            checks["generation"] = generation.name
    except GisError as exc:
        checks.setdefault("database", "ok" if "database" in checks else exc.reason)
        return JSONResponse({"status": "unavailable", "checks": checks, "reason": exc.reason}, 503,
                            headers={"Retry-After": RETRY_AFTER_S})
    for name, probe in request.app.state.readiness.items():
        ok, detail = probe()
        checks[name] = detail
        if not ok:
            return JSONResponse(
                {"status": "unavailable", "checks": checks, "reason": f"{name}_not_ready"}, 503
            )
    return JSONResponse({"status": "ok", "checks": checks})
