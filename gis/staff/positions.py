"""GPS fixes as field phones and gateways send them: validated all together, stored all or none."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gis.crs import to_wgs84
from gis.errors import InvalidInput
from gis.locate.service import check_lon_lat
from gis.storage import events
from gis.storage import staff as store
from gis.storage.pool import Conn


@dataclass(frozen=True)
class Fix:
    """One position report as received."""

    staff_id: int
    lon: float
    lat: float
    accuracy_m: float | None = None
    recorded_at: datetime | None = None
    crs: str = "wgs84"


Row = tuple[int, float, float, float | None, datetime]


def validate_fixes(fixes: list[Fix], *, history_days: float, now: datetime | None = None) -> list[Row]:
    """WGS84 rows ready to store, or InvalidInput listing every bad fix (none is stored then).

    A fix must convert to WGS84 inside China, carry a time zone, and lie between the retention
    period's start and five minutes ahead (phone clocks drift).
    """
    now = now or datetime.now(UTC)
    rows: list[Row] = []
    problems = []
    for i, fix in enumerate(fixes):
        try:
            x, y = to_wgs84(fix.lon, fix.lat, fix.crs)
            lon, lat = float(x), float(y)
            check_lon_lat(lon, lat)
            at = fix.recorded_at or now
            if at.tzinfo is None:
                raise InvalidInput("recorded_at needs a time zone", reason="naive_time")
            if at > now + timedelta(minutes=5) or at < now - timedelta(days=history_days):
                raise InvalidInput("recorded_at is in the future or beyond the retention period",
                                   reason="time_out_of_range")
            rows.append((fix.staff_id, lon, lat, fix.accuracy_m, at))
        except InvalidInput as exc:
            problems.append({"index": i, "reason": exc.reason, "problem": exc.message})
    if problems:
        raise InvalidInput(f"{len(problems)} bad position(s), none stored", reason="bad_positions",
                           problems=problems[:100])
    return rows


def record_fixes(conn: Conn, *, fixes: list[Fix], history_days: float, allowed_ids: set[int]) -> int:
    """Validate and store fixes of staff the caller may report for; one coalesced live event per call.

    ``allowed_ids`` are the staff (of those named) inside the caller's region: any other id is reported
    as unknown, exactly like an id that does not exist.
    """
    rows = validate_fixes(fixes, history_days=history_days)
    ids = sorted({r[0] for r in rows})
    unknown = sorted(set(ids) - allowed_ids)
    if unknown:
        raise InvalidInput(f"unknown staff id(s) {unknown[:20]}", reason="unknown_staff", staff_ids=unknown[:100])
    stored = store.ingest_positions(conn, rows=rows)
    events.append_event(conn, kind="staff.position", town_code=None, payload={"count": stored, "staff_ids": ids[:200]})
    return stored
