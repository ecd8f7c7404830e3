"""Case search: filters as typed fields, turned into SQL conditions inside the caller's region."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gis.cases.models import Case
from gis.errors import InvalidInput
from gis.policy import RegionFilter
from gis.storage import cases as store
from gis.storage.pool import Conn


@dataclass(frozen=True)
class CaseQuery:
    """What a list of cases is filtered by (every field optional)."""

    status: tuple[str, ...] = ()
    warning: tuple[str, ...] = ()
    category: str | None = None
    channel: str | None = None
    grid: str | None = None
    village: str | None = None
    town: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    overdue: bool | None = None
    bbox: tuple[float, float, float, float] | None = None


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``minlon,minlat,maxlon,maxlat`` (WGS84) as floats, or InvalidInput."""
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 4 or not values[0] < values[2] or not values[1] < values[3]:
        raise InvalidInput("bbox is minlon,minlat,maxlon,maxlat", reason="invalid_bbox")
    if values[2] - values[0] > 20 or values[3] - values[1] > 20:
        raise InvalidInput("bbox spans more than 20 degrees", reason="bbox_too_large")
    return values[0], values[1], values[2], values[3]


def conditions(query: CaseQuery, *, region: RegionFilter, pending_states: list[str]
               ) -> list[tuple[str, tuple[Any, ...]]]:
    """SQL conditions on ``cases c``, the caller's region first.

    ``overdue`` is the one definition (``fq_is_overdue``, schema 126): before resolution and past the deadline now.
    """
    where: list[tuple[str, tuple[Any, ...]]] = [(region.sql, region.params)]
    simple = {"c.town_code = %s": query.town, "c.village_code = %s": query.village, "c.grid_code = %s": query.grid,
              "c.source_channel = %s": query.channel, "c.created_at >= %s": query.since,
              "c.created_at < %s": query.until}
    where += [(clause, (value,)) for clause, value in simple.items() if value is not None]
    if query.category:
        where.append(("left(c.category_code, length(%s)) = %s", (query.category, query.category)))
    if query.status:
        where.append(("c.status = ANY(%s)", (list(query.status),)))
    if query.warning:
        where.append(("c.warning_level = ANY(%s)", (list(query.warning),)))
    if query.overdue is not None:
        clause = "fq_is_overdue(c.status, c.due_at, now(), %s)"
        where.append((clause if query.overdue else f"NOT {clause}", (pending_states,)))
    if query.bbox:
        # Candidates by the spatial index (fq_case_ids_in_box, schema 110), the rows under the region's policy.
        where.append(("c.id IN (SELECT fq_case_ids_in_box(ST_MakeEnvelope(%s, %s, %s, %s, 4326)))", query.bbox))
    return where


def search_cases(conn: Conn, *, query: CaseQuery, region: RegionFilter, pending_states: list[str], limit: int,
                 offset: int) -> tuple[list[Case], int]:
    """Cases matching the query inside the region, newest first, and how many match in all."""
    return store.list_cases(conn, where=conditions(query, region=region, pending_states=pending_states),
                            limit=limit, offset=offset)
