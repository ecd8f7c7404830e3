"""What a case search asks for: typed values (storage turns them into SQL inside the caller's scope)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gis.errors import InvalidInput


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
    id_hash: bytes | None = None  # the keyed hash of ``text`` when it reads as an ID number (set by search_cases)
    phone_hash: bytes | None = None  # the keyed hash of ``text`` when it reads as a phone (set by search_cases)


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
