"""The field worker's phone: the order card, progress notes, and the history of completed orders."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ActableCase, ConnDep, ReadableCase, RulesDep, allow, client_of
from api.errors import error_responses
from api.schemas import Model
from gis.cases.notes import add_note, notes_of_case
from gis.policy import Scope
from gis.staff.card import history, order_card

router = APIRouter(prefix="/api/v1", tags=["field"])


class OrderCard(Model):
    """One order as the phone shows it: the job, the team, the parties, the way there, notes and photos."""

    order: dict[str, Any]
    case: dict[str, Any]
    team: list[dict[str, Any]]
    parties: list[dict[str, Any]]
    navigation: dict[str, Any] | None
    notes: list[dict[str, Any]]
    attachments: list[dict[str, Any]]


class History(Model):
    """Completed orders, the latest first."""

    orders: list[dict[str, Any]]


class NoteIn(BaseModel):
    """A progress note (from the phone's queue: ``client_key`` makes a retry safe)."""

    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=2000)
    dispatch_id: int | None = Field(default=None, ge=1, le=2**62)
    client_key: str | None = Field(default=None, min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    written_at: datetime | None = None


class Note(Model):
    """A stored progress note."""

    id: int
    case_id: int
    dispatch_id: int | None
    author_id: int | None
    author_name: str
    body: str
    written_at: datetime | None
    created_at: datetime


class Notes(Model):
    """A case's progress notes, oldest first."""

    notes: list[Note]


@router.get("/dispatches/{dispatch_id}/card", responses=error_responses(404))
def card(request: Request, conn: ConnDep, scope: Annotated[Scope, allow("dispatch.read")], rules: RulesDep,
         dispatch_id: Annotated[int, Path(ge=1, le=2**62)]) -> OrderCard:
    """Category, description, severity, deadline, the team and their roles, the parties, navigation links.

    The staff member the order sends sees the parties' phones in full (each such view is audited); everyone
    else sees them masked. Navigation links carry the point converted to GCJ-02 (高德) and BD-09 (百度).
    """
    shown = order_card(conn, order_id=dispatch_id, user=scope.require_user(), taxonomy=rules.taxonomy,
                       client_ip=client_of(request).ip)
    return OrderCard.model_validate(shown)


@router.get("/field/history")
def completed(conn: ConnDep, scope: Annotated[Scope, allow("dispatch.read")],
              limit: Annotated[int, Query(ge=1, le=500)] = 50) -> History:
    """The caller's completed orders (of the staff member their account is linked to), the latest first."""
    return History(orders=history(conn, user=scope.require_user(), limit=limit))


@router.post("/cases/{case_id}/notes", status_code=201, responses=error_responses(404, 409, 422))
def write_note(response: Response, conn: ConnDep, scope: Annotated[Scope, allow("cases.act")], case: ActableCase,
               body: NoteIn) -> Note:
    """Add a progress note; a retry with the same ``client_key`` answers 200 with the first note."""
    note, created = add_note(conn, case_id=case.id, dispatch_id=body.dispatch_id, user=scope.require_user(),
                             body=body.body, client_key=body.client_key, written_at=body.written_at)
    if not created:
        response.status_code = 200
    return Note.model_validate(note)


@router.get("/cases/{case_id}/notes", responses=error_responses(404))
def list_notes(conn: ConnDep, scope: Annotated[Scope, allow("cases.read")], case: ReadableCase) -> Notes:
    """The case's progress notes."""
    return Notes(notes=[Note.model_validate(n) for n in notes_of_case(conn, case_id=case.id)])
