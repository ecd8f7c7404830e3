"""Which cases a statistic counts: time window, category, channel, status, handling tier, town."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from gis.errors import InvalidInput

_RELATIVE = re.compile(r"^(\d{1,4})([dw])$")
LOCAL_TZ_OFFSET = timedelta(hours=8)  # China Standard Time: days and weeks start at local midnight


@dataclass(frozen=True)
class CaseFilter:
    """A half-open window ``[since, until)`` and optional equality filters (empty = all)."""

    since: datetime
    until: datetime
    category: str | None = None  # a class ("03") or an item ("0303") code: prefix match
    channels: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    handling_tiers: tuple[int, ...] = ()
    town_code: str | None = None

    def __post_init__(self) -> None:
        if self.since.tzinfo is None or self.until.tzinfo is None:
            raise InvalidInput("since and until must carry a time zone", reason="bad_window")
        if self.until <= self.since:
            raise InvalidInput("until must be after since", reason="bad_window")
        if self.category is not None and not self.category.isdigit():
            raise InvalidInput(f"category must be a class or item code, got {self.category!r}",
                               reason="unknown_category")

    @property
    def days(self) -> float:
        """Length of the window in days."""
        return (self.until - self.since).total_seconds() / 86400

    def within(self, town_code: str | None) -> CaseFilter:
        """The same filter counting only ``town_code``'s cases (None: as it is).

        For statistics computed on the county-wide connection: a town user's figures come from their own
        town's cases only (the region itself is the connection's scope, never a parameter).
        """
        return self if town_code is None else replace(self, town_code=town_code)

    def spanning(self, since: datetime, until: datetime) -> CaseFilter:
        """The same filters over another window."""
        return replace(self, since=since, until=until)

    def previous(self) -> CaseFilter:
        """The window of the same length just before this one, with the same filters."""
        span = self.until - self.since
        return CaseFilter(self.since - span, self.since, self.category, self.channels, self.statuses,
                          self.handling_tiers, self.town_code)


def local_midnight(day: date) -> datetime:
    """Midnight China time of a calendar day, as an aware UTC datetime."""
    return datetime.combine(day, time(), tzinfo=UTC) - LOCAL_TZ_OFFSET


def local_day(moment: datetime) -> date:
    """The China-time calendar day of an aware datetime."""
    return (moment.astimezone(UTC) + LOCAL_TZ_OFFSET).date()


def parse_when(value: str | None, *, now: datetime, default: datetime) -> datetime:
    """``30d`` / ``8w`` (before ``now``), an ISO date (local midnight) or an ISO datetime; None: ``default``."""
    if value is None or value == "":
        return default
    match = _RELATIVE.match(value)
    if match:
        amount, unit = int(match[1]), match[2]
        return now - timedelta(days=amount * (7 if unit == "w" else 1))
    try:
        if len(value) == 10:
            return local_midnight(date.fromisoformat(value))
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"cannot read {value!r} as a date: use 2026-11-01, an ISO datetime, 30d or 8w",
                           reason="bad_window") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC) - LOCAL_TZ_OFFSET


def iso_week_window(week: str) -> tuple[datetime, datetime]:
    """``2026-W47`` -> (Monday local midnight, next Monday local midnight)."""
    match = re.fullmatch(r"(\d{4})-W(\d{2})", week)
    if not match:
        raise InvalidInput(f"week must look like 2026-W47, got {week!r}", reason="bad_week")
    try:
        monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError as exc:
        raise InvalidInput(f"no such week {week!r}: {exc}", reason="bad_week") from None
    start = local_midnight(monday)
    return start, start + timedelta(days=7)
