"""Domain errors. They know nothing of HTTP: api/errors.py maps each to a status code.

Every error carries a machine-readable ``reason`` (a short snake_case code) and a human
message. ``InvalidInput`` also inherits ValueError so library callers can catch that.
"""

from __future__ import annotations

from typing import Any


class GisError(Exception):
    """Base class of all Fengqiao domain errors."""

    reason = "error"

    def __init__(self, message: str, *, reason: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason
        self.details = details


class NotFound(GisError):
    """The thing asked for does not exist (or is outside the caller's scope)."""

    reason = "not_found"


class InvalidInput(GisError, ValueError):
    """The input is malformed or out of range."""

    reason = "invalid_input"


class Conflict(GisError):
    """The request conflicts with the current state (duplicate, illegal transition, double booking)."""

    reason = "conflict"


class TooLarge(InvalidInput):
    """The input exceeds a configured size limit."""

    reason = "too_large"


class OutsideCoverage(GisError):
    """A location lies outside every loaded boundary."""

    reason = "outside_coverage"


class Forbidden(GisError):
    """The caller is authenticated but may not do this."""

    reason = "forbidden"


class Unauthorized(GisError):
    """The caller did not prove who they are."""

    reason = "unauthorized"


class Unavailable(GisError):
    """A dependency (the database, an index) is not ready."""

    reason = "unavailable"


class TooManyRequests(GisError):
    """The caller went over a rate limit or an account is locked for a while."""

    reason = "rate_limited"


class PreconditionRequired(GisError):
    """The request lacks a header the operation requires (e.g. Idempotency-Key)."""

    reason = "precondition_required"
