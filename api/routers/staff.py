"""Roster and live positions: `/api/v1/staff`. Town users see their town's staff; see gis/policy.py."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path, PurePath
from typing import Annotated, Literal

from fastapi import APIRouter, Query, UploadFile
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.deps import ConnDep, ScoringDep, allow
from api.errors import error_responses
from api.schemas import Model, StaffView
from gis.errors import Forbidden, NotFound
from gis.policy import Scope
from gis.staff.positions import Fix, record_fixes
from gis.staff.privacy import staff_views
from gis.staff.roster import read_roster
from gis.storage import staff as store

router = APIRouter(prefix="/api/v1/staff", tags=["staff"])
MAX_BATCH = 5000
ShortText = Annotated[str, Field(max_length=100)]


class PositionIn(BaseModel):
    """One GPS fix (WGS84 from phones; other CRSs by name); an unknown field is refused (422)."""

    model_config = {"extra": "forbid"}

    lon: float = Field(allow_inf_nan=False)
    lat: float = Field(allow_inf_nan=False)
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000, allow_inf_nan=False)
    recorded_at: datetime | None = None
    crs: str = Field(default="wgs84", max_length=64)


class BatchPositionIn(PositionIn):
    """One fix of a batch, naming its staff member."""

    staff_id: int = Field(ge=1, le=2**62)


class BatchIn(BaseModel):
    """Many staff at once (e.g. a gateway forwarding phones' fixes)."""

    model_config = {"extra": "forbid"}

    positions: list[BatchPositionIn] = Field(min_length=1, max_length=MAX_BATCH)


class StaffPatch(BaseModel):
    """Roster fields an operator may change."""

    model_config = {"extra": "forbid"}

    duty_status: Literal["on_duty", "off_duty", "busy"] | None = None
    capacity: int | None = Field(default=None, ge=1, le=20)
    skills: list[ShortText] | None = Field(default=None, max_length=50)
    territory: list[ShortText] | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    organisation: str | None = Field(default=None, max_length=200)


class StaffList(Model):
    """One page of the roster."""

    total: int
    items: list[StaffView]


class Imported(Model):
    """How many roster lines were imported."""

    imported: int


class Stored(Model):
    """How many fixes were stored."""

    stored: int


@router.post("/import", responses=error_responses(403, 422))
async def import_roster(conn: ConnDep, scope: Annotated[Scope, allow("staff.write")], file: UploadFile) -> Imported:
    """Import a roster CSV (UTF-8 or GB18030) or XLSX: all rows or none, every bad row listed (county centre)."""
    if scope.town_code is not None:  # the roster is the county's: town users edit their staff one by one
        raise Forbidden("the roster is imported by the county centre", reason="county_only")
    shown = PurePath(file.filename or "roster.csv").name or "roster.csv"
    with tempfile.NamedTemporaryFile(suffix=Path(shown).suffix.lower()) as tmp:
        tmp.write(await file.read())
        tmp.flush()  # reading a spreadsheet takes CPU: off the event loop
        records = await run_in_threadpool(read_roster, Path(tmp.name))
    count = store.upsert_staff(conn, records=records)
    return Imported(imported=count)


@router.get("")
def list_staff(conn: ConnDep, scope: Annotated[Scope, allow("staff.read")],
               role: Annotated[str | None, Query(max_length=32)] = None,
               town: Annotated[str | None, Query(max_length=32)] = None,
               duty: Annotated[str | None, Query(max_length=16)] = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> StaffList:
    """Staff in the caller's region by role, town and duty status, as gis/staff/privacy.py lets the caller see them.

    A town user sees county-level staff's phone and position only while they serve the town, their home never.
    """
    rows, total = store.list_staff(conn, role=role, town=town, duty=duty, limit=limit, offset=offset)
    return StaffList.model_validate({"total": total, "items": staff_views(conn, scope, rows)})


@router.get("/{staff_id}", responses=error_responses(404))
def get_staff(conn: ConnDep, scope: Annotated[Scope, allow("staff.read")], staff_id: int) -> StaffView:
    """One staff member in the caller's region."""
    row = store.get_staff(conn, staff_id=staff_id)
    return StaffView.model_validate(staff_views(conn, scope, [row])[0])


@router.patch("/{staff_id}", responses=error_responses(403, 404, 422))
def patch_staff(conn: ConnDep, scope: Annotated[Scope, allow("staff.write")], staff_id: int, body: StaffPatch
                ) -> StaffView:
    """Change duty status, capacity, skills, territory or contact of staff the caller manages."""
    scope.check_staff(store.get_staff(conn, staff_id=staff_id), manage=True)
    store.update_staff(conn, staff_id=staff_id, fields=body.model_dump(exclude_none=True))
    return StaffView.model_validate(staff_views(conn, scope, [store.get_staff(conn, staff_id=staff_id)])[0])


@router.delete("/{staff_id}", status_code=204, responses=error_responses(403, 404))
def deactivate_staff(conn: ConnDep, scope: Annotated[Scope, allow("staff.write")], staff_id: int) -> None:
    """Take someone off the roster (kept for history: orders and audit refer to them)."""
    scope.check_staff(store.get_staff(conn, staff_id=staff_id), manage=True)
    store.update_staff(conn, staff_id=staff_id, fields={"active": False})


@router.post("/positions/batch", responses=error_responses(422))
def post_positions_batch(conn: ConnDep, scope: Annotated[Scope, allow("positions.write")], scoring: ScoringDep,
                         body: BatchIn) -> Stored:
    """Positions of many staff at once (up to 5,000 per request; all or none)."""
    return _store(conn, scope, scoring.history_days, [Fix(**p.model_dump()) for p in body.positions])


@router.post("/{staff_id}/positions", responses=error_responses(404, 422))
def post_position(conn: ConnDep, scope: Annotated[Scope, allow("positions.write")], scoring: ScoringDep,
                  staff_id: int, body: PositionIn) -> Stored:
    """One fix; field staff report only their own position."""
    if staff_id not in store.known_staff_ids(conn, ids=[staff_id], managed=True):
        raise NotFound(f"staff {staff_id} not found", reason="staff_not_found")
    return _store(conn, scope, scoring.history_days, [Fix(staff_id=staff_id, **body.model_dump())])


def _store(conn: ConnDep, scope: Scope, history_days: float, fixes: list[Fix]) -> Stored:
    ids = sorted({f.staff_id for f in fixes})
    allowed = store.known_staff_ids(conn, ids=ids, managed=True)
    stored = record_fixes(conn, fixes=fixes, history_days=history_days, allowed_ids=allowed)
    return Stored(stored=stored)
