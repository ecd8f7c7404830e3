"""Case search: filters as typed fields, turned into SQL conditions inside the caller's region."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gis.cases.models import Case
from gis.cases.privacy import id_number_hash, phone_hash
from gis.crypto import keys as crypto_keys
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
    text: str | None = None  # the one search box: case number, party name, phone, ID number, village or grid name
    personal: bool = False  # the caller may search by parties' names, phones and ID numbers


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
    if query.text and query.text.strip():
        where.append(text_condition(query.text.strip(), personal=query.personal, key=crypto_keys().party))
    if query.bbox:
        # Candidates by the spatial index (fq_case_ids_in_box, schema 110), the rows under the region's policy.
        where.append(("c.id IN (SELECT fq_case_ids_in_box(ST_MakeEnvelope(%s, %s, %s, %s, 4326)))", query.bbox))
    return where


ID_NUMBER = re.compile(r"^[0-9]{15}$|^[0-9]{17}[0-9Xx]$")
PHONE = re.compile(r"^[+0-9][0-9 -]{5,18}$")
CASE_NO = re.compile(r"^[A-Za-z]{1,4}[0-9]{1,12}$")
AREA_NAME = ("c.{col} IN (SELECT a.code FROM areas a JOIN generations g ON g.id = a.generation_id AND g.is_active"
             " WHERE a.tier = {tier} AND a.name LIKE %s ESCAPE '\\')")
PARTY = "EXISTS (SELECT 1 FROM case_parties p WHERE p.case_id = c.id AND {})"


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def text_condition(text: str, *, personal: bool, key: bytes) -> tuple[str, tuple[Any, ...]]:
    """One search box: a case number (or its digits), a village or grid name.

    For callers who see personal data also a party's name (part of it), phone or ID number (exact, by keyed hash:
    the numbers are kept encrypted).
    """
    clauses = ["c.case_no = upper(%s)", AREA_NAME.format(col="village_code", tier=3),
               AREA_NAME.format(col="grid_code", tier=4)]
    params: list[Any] = [text, _like(text), _like(text)]
    if CASE_NO.match(text) is None and text.isdigit() and len(text) <= 12:  # the number without its letters
        clauses.append("c.case_no LIKE %s")
        params.append("%" + text)
    if personal:
        clauses.append(PARTY.format("p.name LIKE %s ESCAPE '\\'"))
        params.append(_like(text))
        if ID_NUMBER.match(text.replace(" ", "")):
            clauses.append(PARTY.format("p.id_hash = %s"))
            params.append(id_number_hash(text, key=key))
        elif PHONE.match(text) and (hashed := phone_hash(text, key=key)) is not None:
            clauses.append(PARTY.format("p.phone_hash = %s"))
            params.append(hashed)
    return "(" + " OR ".join(clauses) + ")", tuple(params)


def search_cases(conn: Conn, *, query: CaseQuery, region: RegionFilter, pending_states: list[str], limit: int,
                 offset: int) -> tuple[list[Case], int]:
    """Cases matching the query inside the region, newest first, and how many match in all."""
    return store.list_cases(conn, where=conditions(query, region=region, pending_states=pending_states),
                            limit=limit, offset=offset)
