"""One table from domain errors to HTTP status, and one JSON error shape everywhere.

Shape: ``{"error": {"reason": "<machine code>", "message": "<human text>", ...details}}``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.reasons_zh import chinese_message
from gis import errors

STATUS_BY_ERROR: dict[type[errors.GisError], int] = {
    errors.TooLarge: 413,
    errors.InvalidInput: 422,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.OutsideCoverage: 422,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.Unavailable: 503,
    errors.TooManyRequests: 429,
    errors.PreconditionRequired: 428,
}
# Seconds a client should wait before retrying while a dependency (the database) is away.
RETRY_AFTER_S = "2"


def status_for(exc: errors.GisError) -> int:
    """The status of the most specific mapped class."""
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


ERROR_DESCRIPTIONS = {400: "bad request", 401: "not signed in", 403: "role not allowed", 404: "not found",
                      409: "conflicts with the current state", 413: "too large", 422: "invalid input",
                      428: "precondition required", 429: "too many requests", 503: "unavailable"}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error statuses a route returns (always the one error shape)."""
    from api.schemas import ErrorBody

    return {s: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS.get(s, "error")} for s in statuses}


def error_body(reason: str, message: str, **details: Any) -> dict[str, Any]:
    """The JSON error document: ``message`` in Chinese for people, the technical text as ``detail``."""
    readable, technical = chinese_message(reason, message)
    extra = {"detail": technical} if technical is not None else {}
    return {"error": {"reason": reason, "message": readable, **extra, **details}}


def _details(details: dict[str, Any]) -> dict[str, Any]:
    """Details as JSON (paths, dates, dataclasses by FastAPI's encoder; anything else as text)."""
    try:
        return dict(jsonable_encoder(details))
    except (TypeError, ValueError):
        return {k: str(v) for k, v in details.items()}


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on an app."""

    @app.exception_handler(errors.GisError)
    async def gis_error(_: Request, exc: errors.GisError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, errors.Unauthorized) else None
        if isinstance(exc, errors.Unavailable):
            headers = {"Retry-After": RETRY_AFTER_S}
        body = error_body(exc.reason, exc.message, **_details(exc.details))
        return JSONResponse(body, status_code=status_for(exc), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ())),
                "problem": e.get("msg", ""),
                "type": e.get("type", ""),
            }
            for e in exc.errors()
        ]
        return JSONResponse(error_body("validation_failed", "request is not valid", problems=problems), 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        reason = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            exc.status_code, "http_error"
        )
        return JSONResponse(error_body(reason, str(exc.detail)), exc.status_code, headers=exc.headers)
