"""Roster and live positions: `/api/v1/staff`."""

from __future__ import annotations

import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Query, Request, UploadFile
from pydantic import BaseModel, Field

from api.deps import ConnDep, UserDep, require_roles
from gis.crs import to_wgs84
from gis.errors import Forbidden, InvalidInput
from gis.locate.service import check_lon_lat
from gis.models import User
from gis.staff.recommend import Scoring, load_scoring, stale_cutoff
from gis.staff.roster import read_roster
from gis.staff.spatial import Metric, StaffPoints, gauss_kruger_epsg
from gis.storage import areas, events
from gis.storage import staff as store
from gis.storage.pool import Conn, Pool

router = APIRouter(prefix="/api/v1/staff", tags=["staff"])
POSITION_ROLES = {"admin", "operator", "supervisor"}
MAX_BATCH = 5000
_points_lock = threading.Lock()


class PositionIn(BaseModel):
    """One GPS fix."""

    lon: float = Field(allow_inf_nan=False)
    lat: float = Field(allow_inf_nan=False)
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000, allow_inf_nan=False)
    recorded_at: datetime | None = None
    crs: str = "wgs84"


class BatchPositionIn(PositionIn):
    """One fix of a batch, naming its staff member."""

    staff_id: int


class BatchIn(BaseModel):
    """Many staff at once (e.g. a gateway forwarding phones' fixes)."""

    positions: list[BatchPositionIn] = Field(min_length=1, max_length=MAX_BATCH)


class StaffPatch(BaseModel):
    """Roster fields an operator may change."""

    duty_status: Literal["on_duty", "off_duty", "busy"] | None = None
    capacity: int | None = Field(default=None, ge=1, le=20)
    skills: list[str] | None = None
    territory: list[str] | None = None
    phone: str | None = Field(default=None, max_length=32)
    organisation: str | None = Field(default=None, max_length=200)


def install(app: FastAPI) -> None:
    """Start-up hook: scoring rules and the staff KD-trees (rebuilt when positions or the roster change)."""
    app.state.scoring = load_scoring()
    app.state.staff_points = None
    app.state.staff_points_built = 0.0
    app.state.staff_dirty = True


def mark_dirty(request: Request) -> None:
    """Positions or roster changed: the next recommendation rebuilds the trees."""
    request.app.state.staff_dirty = True


def staff_points(request: Request, conn: Conn) -> StaffPoints:
    """The current trees; stale ones are rebuilt in the background while requests keep using them.

    So a flood of GPS fixes never delays a dispatch.
    """
    state = request.app.state
    if state.staff_points is None:
        with _points_lock:
            if state.staff_points is None:
                state.staff_points = _build_points(state.scoring, conn)
                state.staff_points_built = time.monotonic()
        return state.staff_points
    age = time.monotonic() - state.staff_points_built
    # positions changed (2 s debounce), or a minute passed (roster edits made outside this process)
    if ((state.staff_dirty and age > 2.0) or age > 60.0) and _points_lock.acquire(False):
        state.staff_dirty = False
        state.staff_points_built = time.monotonic()
        threading.Thread(target=_rebuild_in_background, args=(request.app,), daemon=True).start()
    return state.staff_points


def _build_points(scoring: Scoring, conn: Conn) -> StaffPoints:
    gen = areas.get_generation(conn)
    bbox = areas.generation_extent(conn, generation_id=gen.id) or (114.0, 0.0, 114.0, 0.0)
    metric = Metric(gauss_kruger_epsg((bbox[0] + bbox[2]) / 2))
    return StaffPoints.build(metric, store.located_staff(conn, stale_before=stale_cutoff(scoring)))


def _rebuild_in_background(app: FastAPI) -> None:
    try:
        pool: Pool = app.state.pool
        with pool.connection(timeout=5.0) as conn:
            app.state.staff_points = _build_points(app.state.scoring, conn)
    except Exception:  # the old trees stay in use; the next change retries
        app.state.staff_dirty = True
    finally:
        _points_lock.release()


def rebuild_now(request: Request) -> None:
    """Roster changed (import, removal): the next lookup rebuilds before answering."""
    with _points_lock:
        request.app.state.staff_points = None


@router.post("/import", dependencies=[require_roles("operator")])
async def import_roster(request: Request, conn: ConnDep, file: UploadFile) -> dict[str, Any]:
    """Import a roster CSV (UTF-8 or GB18030) or XLSX: all rows or none, every bad row listed."""
    suffix = Path(file.filename or "roster.csv").suffix.lower()
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        tmp.write(await file.read())
        tmp.flush()
        records = read_roster(Path(tmp.name))
    count = store.upsert_staff(conn, records=records)
    conn.commit()
    rebuild_now(request)
    return {"imported": count}


@router.get("")
def list_staff(conn: ConnDep, user: UserDep, role: str | None = None, town: str | None = None,
               duty: str | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    """Staff by role, town and duty status; positions only for roles allowed to see whereabouts."""
    rows, total = store.list_staff(conn, role=role, town=user.town_code or town, duty=duty, limit=limit,
                                   offset=offset)
    return {"total": total, "items": [_view(r, user) for r in rows]}


def _view(row: dict[str, Any], user: User) -> dict[str, Any]:
    if user.role in POSITION_ROLES:
        return row
    return {k: v for k, v in row.items() if not k.startswith("position") and k != "accuracy_m"}


@router.get("/{staff_id}")
def get_staff(conn: ConnDep, user: UserDep, staff_id: int) -> dict[str, Any]:
    """One staff member."""
    return _view(store.get_staff(conn, staff_id=staff_id), user)


@router.patch("/{staff_id}", dependencies=[require_roles("operator")])
def patch_staff(request: Request, conn: ConnDep, staff_id: int, body: StaffPatch) -> dict[str, Any]:
    """Change duty status, capacity, skills, territory or contact."""
    store.update_staff(conn, staff_id=staff_id, fields=body.model_dump(exclude_none=True))
    conn.commit()
    mark_dirty(request)
    return store.get_staff(conn, staff_id=staff_id)


@router.delete("/{staff_id}", dependencies=[require_roles("operator")], status_code=204)
def deactivate_staff(request: Request, conn: ConnDep, staff_id: int) -> None:
    """Take someone off the roster (kept for history: orders and audit refer to them)."""
    store.update_staff(conn, staff_id=staff_id, fields={"active": False})
    conn.commit()
    rebuild_now(request)


def _fixes(items: list[BatchPositionIn], history_days: float) -> list[tuple[int, float, float, float | None, datetime]]:
    now = datetime.now(UTC)
    rows, problems = [], []
    for i, item in enumerate(items):
        try:
            x, y = to_wgs84(item.lon, item.lat, item.crs)
            lon, lat = float(x), float(y)
            check_lon_lat(lon, lat)
            at = item.recorded_at or now
            if at.tzinfo is None:
                raise InvalidInput("recorded_at needs a time zone", reason="naive_time")
            if at > now + timedelta(minutes=5) or at < now - timedelta(days=history_days):
                raise InvalidInput("recorded_at is in the future or beyond the retention period",
                                   reason="time_out_of_range")
            rows.append((item.staff_id, lon, lat, item.accuracy_m, at))
        except InvalidInput as exc:
            problems.append({"index": i, "reason": exc.reason, "problem": exc.message})
    if problems:
        raise InvalidInput(f"{len(problems)} bad position(s), none stored", reason="bad_positions",
                           problems=problems[:100])
    return rows


def _store_fixes(request: Request, conn: Conn, user: User, items: list[BatchPositionIn]) -> dict[str, Any]:
    scoring: Scoring = request.app.state.scoring
    rows = _fixes(items, scoring.history_days)
    ids = sorted({r[0] for r in rows})
    unknown = sorted(set(ids) - store.known_staff_ids(conn, ids=ids))
    if unknown:
        raise InvalidInput(f"unknown staff id(s) {unknown[:20]}", reason="unknown_staff", staff_ids=unknown[:100])
    stored = store.ingest_positions(conn, rows=rows)
    # One coalesced event per request, not per fix: the live map refreshes these staff.
    events.append_event(conn, kind="staff.position", town_code=None, payload={"count": stored, "staff_ids": ids[:200]})
    conn.commit()
    mark_dirty(request)
    return {"stored": stored}


@router.post("/positions/batch", dependencies=[require_roles("operator")])
def post_positions_batch(request: Request, conn: ConnDep, user: UserDep, body: BatchIn) -> dict[str, Any]:
    """Positions of many staff at once (up to 5,000 per request; all or none)."""
    return _store_fixes(request, conn, user, body.positions)


@router.post("/{staff_id}/positions")
def post_position(request: Request, conn: ConnDep, user: UserDep, staff_id: int, body: PositionIn) -> dict[str, Any]:
    """One fix; field staff may report only their own position."""
    if user.role == "field":
        me = store.get_staff(conn, staff_id=staff_id)
        if me["staff_code"] != user.staff_code:
            raise Forbidden("field staff report only their own position", reason="not_your_position")
    elif user.role not in POSITION_ROLES:
        raise Forbidden("this role may not report positions", reason="role_not_allowed")
    return _store_fixes(request, conn, user, [BatchPositionIn(staff_id=staff_id, **body.model_dump())])


