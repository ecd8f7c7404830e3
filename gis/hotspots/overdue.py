"""The overdue and 督办 board: pending cases with a warning or past due, oldest due first; supervision records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gis.cases.workflow import Workflow
from gis.errors import InvalidInput
from gis.hotspots.filters import CaseFilter
from gis.storage import stats
from gis.storage.pool import Conn

ALL_TIME = (datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC))
MAX_PAGE = 500


@dataclass(frozen=True)
class Page:
    """One page of a board and the total across pages (``overdue``: how many of them are overdue)."""

    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int
    overdue: int = 0


def pending_states(workflow: Workflow) -> list[str]:
    """Open states a case is in before it is resolved (from the workflow file, not typed here)."""
    return workflow.pending_states()


def board_filter(*, town: str | None, category: str | None, tiers: tuple[int, ...]) -> CaseFilter:
    """Board filters over all time: nothing drops off because it is old."""
    return CaseFilter(*ALL_TIME, category=category or None, handling_tiers=tiers, town_code=town or None)


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise InvalidInput(f"limit must be 1-{MAX_PAGE} and offset >= 0", reason="bad_page")


def overdue_board(conn: Conn, *, workflow: Workflow, flt: CaseFilter, limit: int = 50, offset: int = 0,
                  now: datetime | None = None) -> Page:
    """Warning (yellow/red) and overdue pending cases in the connection's scope, sorted by due time."""
    _check_page(limit, offset)
    items, total, overdue = stats.overdue_board(conn, flt=flt,
                                                pending_states=pending_states(workflow),
                                                now=now or datetime.now(UTC), limit=limit, offset=offset)
    return Page(items, total, limit, offset, overdue)


def supervision_list(conn: Conn, *, flt: CaseFilter, limit: int = 50, offset: int = 0) -> Page:
    """Supervision records (督办) with their case in the connection's scope, newest first."""
    _check_page(limit, offset)
    items, total = stats.supervisions(conn, flt=flt, limit=limit, offset=offset)
    return Page(items, total, limit, offset)
