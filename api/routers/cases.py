"""Cases: intake, search, detail with timeline, transitions, related cases."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ActableCase, ConnDep, LocateDep, ReadableCase, RulesDep, allow, client_of
from api.errors import error_responses
from api.schemas import (
    CaseCreated,
    CaseDetail,
    CaseList,
    CaseSummary,
    Categories,
    Related,
    WorkflowDoc,
)
from gis.cases.book import CaseRules
from gis.cases.duplicates import Draft, duplicate_suggestions
from gis.cases.intake import CaseInput, register_case
from gis.cases.loop import TransitionRequest, apply_transition, related_cases
from gis.cases.models import Case, Party
from gis.cases.privacy import mask_name
from gis.cases.search import CaseQuery, parse_bbox, search_cases
from gis.crypto import keys as crypto_keys
from gis.errors import InvalidInput, PreconditionRequired
from gis.policy import Scope
from gis.storage import access
from gis.storage import cases as store
from gis.storage.pool import Conn

router = APIRouter(prefix="/api/v1", tags=["cases"])


class PartyIn(BaseModel):
    """A party to the dispute (personal data)."""

    model_config = ConfigDict(extra="forbid")  # unknown fields are a 422, never silently dropped

    name: str = Field(min_length=1, max_length=100)
    role: Literal["applicant", "respondent", "other"] = "applicant"
    id_number: str | None = Field(default=None, max_length=32)
    phone: str | None = Field(default=None, max_length=32)
    village_code: str | None = Field(default=None, max_length=32)


class CaseIn(BaseModel):
    """A new case: a point (lon/lat with its crs) or a grid code, and what happened."""

    model_config = ConfigDict(extra="forbid")  # unknown fields are a 422, never silently dropped

    category: str = Field(max_length=16)
    source_channel: str = Field(max_length=32)
    description: str = Field(min_length=1, max_length=2_000_000)  # the county limit is checked in gis.cases
    severity: str = Field(default="medium", max_length=16)
    title: str = Field(default="", max_length=200)
    lon: float | None = Field(default=None, allow_inf_nan=False)
    lat: float | None = Field(default=None, allow_inf_nan=False)
    crs: str = Field(default="wgs84", max_length=64)
    grid_code: str | None = Field(default=None, max_length=32)
    parties: list[PartyIn] = Field(default_factory=list, max_length=50)


class TransitionIn(BaseModel):
    """An action on a case."""

    model_config = ConfigDict(extra="forbid")  # unknown fields are a 422, never silently dropped

    action: str = Field(max_length=40)
    note: str = Field(default="", max_length=5000)
    satisfaction: int | None = Field(default=None, ge=-(2**31), le=2**31)
    duplicate_of: int | None = Field(default=None, ge=1, le=2**62)
    duplicate_of_case_no: str | None = Field(default=None, max_length=32, description="the original, by case number")


class DraftParty(BaseModel):
    """A party as typed into the intake form (nothing is stored)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(default="", max_length=100)
    id_number: str | None = Field(default=None, max_length=32)
    phone: str | None = Field(default=None, max_length=32)


class DraftIn(BaseModel):
    """The intake form before saving: category, place, parties."""

    model_config = ConfigDict(extra="forbid")
    category: str = Field(max_length=16)
    lon: float | None = Field(default=None, allow_inf_nan=False, ge=-180, le=180)
    lat: float | None = Field(default=None, allow_inf_nan=False, ge=-90, le=90)
    parties: list[DraftParty] = Field(default_factory=list, max_length=50)


class DuplicateCandidate(BaseModel):
    """An open case the draft may repeat, and why (codes and Chinese labels)."""

    id: int
    case_no: str
    status: str
    status_label: str
    category_code: str
    category_name: str
    created_at: datetime
    lon: float | None
    lat: float | None
    distance_m: float | None
    reasons: list[str]
    reason_labels: list[str]


class Duplicates(BaseModel):
    """Open cases a draft may repeat, nearest first."""

    candidates: list[DuplicateCandidate]


def case_summary(case: Case, rules: CaseRules, *, overdue: bool = False) -> dict[str, Any]:
    """A case as listed (no personal data); ``overdue`` as the database decides it (fq_is_overdue)."""
    body = asdict(case)
    body.pop("extra")
    body["status_label"] = rules.workflow.states[case.status].get("label", case.status)
    body["category_name"] = rules.taxonomy.get(case.category_code).name
    body["overdue"] = overdue
    return body


def summaries(conn: Conn, cases: list[Case], rules: CaseRules) -> list[dict[str, Any]]:
    """Summaries of several cases, each flagged overdue or not by the one definition."""
    late = store.overdue_among(conn, ids=[c.id for c in cases], pending_states=rules.workflow.pending_states())
    return [case_summary(c, rules, overdue=c.id in late) for c in cases]


def _party_view(party: dict[str, Any], full: bool) -> dict[str, Any]:
    """ID numbers and phones are stored masked for display; names are masked for roles without personal data."""
    return party if full else {**party, "name": mask_name(party["name"])}


@router.get("/categories", dependencies=[allow("public")])
def categories(rules: RulesDep) -> Categories:
    """The dispute taxonomy (classes and items)."""
    return Categories(version=rules.taxonomy.version,
                      categories=[asdict(c) for c in rules.taxonomy.categories.values()])


@router.get("/workflow", dependencies=[allow("public")])
def workflow(rules: RulesDep) -> WorkflowDoc:
    """States and actions of the case loop."""
    return WorkflowDoc(initial=rules.workflow.initial, states=rules.workflow.states,
                       actions=[asdict(a) for a in rules.workflow.actions.values()])


@router.post("/cases", status_code=201, responses=error_responses(409, 422, 428))
def create_case(
    response: Response, conn: ConnDep, scope: Annotated[Scope, allow("cases.create")], rules: RulesDep,
    index: LocateDep, body: CaseIn, idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> CaseCreated:
    """Register a case; ``Idempotency-Key`` is required (428 without it).

    A retry with the same key and body returns the first case (200); the same key with another body is a 409.
    """
    if not idempotency_key or not idempotency_key.strip():
        raise PreconditionRequired("send an Idempotency-Key header (e.g. a UUID per new case) so a retry cannot"
                                   " register the case twice", reason="idempotency_key_required")
    data = CaseInput(
        category_code=body.category, source_channel=body.source_channel, description=body.description,
        severity=body.severity, title=body.title, lon=body.lon, lat=body.lat, crs=body.crs,
        grid_code=body.grid_code, parties=tuple(Party(**p.model_dump()) for p in body.parties))
    intake = register_case(conn, rules=rules, index=index, user=scope.require_user(), data=data,
                           idempotency_key=idempotency_key)
    if not intake.created:
        response.status_code = 200
    case = store.get_case(conn, case_id=intake.case_id)
    related = related_cases(conn, rules=rules, case=case)
    return CaseCreated.model_validate({**case_summary(case, rules), "created": intake.created, "related": related})


@router.post("/cases/duplicates", responses=error_responses(422))
def duplicates(conn: ConnDep, scope: Annotated[Scope, allow("cases.create")], rules: RulesDep, body: DraftIn
               ) -> Duplicates:
    """Before saving: open cases in the caller's region that the draft may repeat.

    Those with the same phone or ID number, or a party of the same name nearby in the same category class within the
    configured window (nothing is stored; a POST keeps the
    numbers out of addresses and logs).
    """
    draft = Draft(category_code=body.category, lon=body.lon, lat=body.lat,
                  names=tuple(p.name for p in body.parties), phones=tuple(p.phone or "" for p in body.parties),
                  id_numbers=tuple(p.id_number or "" for p in body.parties))
    found = duplicate_suggestions(conn, rules=rules, keys=crypto_keys(), draft=draft)
    return Duplicates.model_validate({"candidates": found})


@router.get("/cases")
def list_cases(
    conn: ConnDep, scope: Annotated[Scope, allow("cases.read")], rules: RulesDep,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat", max_length=200)] = None,
    status: Annotated[list[str] | None, Query(max_length=20)] = None,
    warning: Annotated[list[Literal["none", "yellow", "red"]] | None, Query()] = None,
    category: Annotated[str | None, Query(max_length=16)] = None,
    channel: Annotated[str | None, Query(max_length=32)] = None,
    grid: Annotated[str | None, Query(max_length=32)] = None,
    village: Annotated[str | None, Query(max_length=32)] = None,
    town: Annotated[str | None, Query(max_length=32)] = None,
    since: datetime | None = None, until: datetime | None = None, overdue: bool | None = None,
    search: Annotated[str | None, Query(max_length=64, description=(
        "one search box: case number, village or grid name; for roles that see personal data also a party's"
        " name, phone or ID number"))] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> CaseList:
    """Search cases in the caller's region, newest first, with paging."""
    query = CaseQuery(status=tuple(status or ()), warning=tuple(warning or ()), category=category, channel=channel,
                      grid=grid, village=village, town=town, since=since, until=until, overdue=overdue,
                      bbox=parse_bbox(bbox) if bbox else None, text=search,
                      personal=scope.sees_personal_data)
    rows, total = search_cases(conn, query=query, pending_states=rules.workflow.pending_states(), limit=limit,
                               offset=offset)
    return CaseList.model_validate({"total": total, "limit": limit, "offset": offset,
                                    "items": summaries(conn, rows, rules)})


@router.get("/cases/{case_id}", responses=error_responses(404))
def get_case(request: Request, conn: ConnDep, scope: Annotated[Scope, allow("cases.read")], rules: RulesDep,
             case: ReadableCase) -> CaseDetail:
    """One case with parties and its full timeline; every read is audited."""
    full = scope.sees_personal_data
    access.audit(conn, user=scope.user, action="case.read", object_type="case", object_id=str(case.id),
                 detail={"parties": "full" if full else "masked"}, client_ip=client_of(request).ip)
    return CaseDetail.model_validate({
        **summaries(conn, [case], rules)[0],
        "parties": [_party_view(p, full) for p in store.parties(conn, case_id=case.id)],
        "timeline": store.timeline(conn, case_id=case.id),
        "allowed_actions": rules.workflow.allowed(case.status)})


@router.post("/cases/{case_id}/transitions", responses=error_responses(404, 409, 422))
def transition(conn: ConnDep, scope: Annotated[Scope, allow("cases.act")], rules: RulesDep, case: ActableCase,
               body: TransitionIn) -> CaseSummary:
    """Move a case along the loop; an illegal move is a 409 naming the state and the allowed actions."""
    fields = body.model_dump(exclude={"duplicate_of_case_no"})
    if body.duplicate_of_case_no:  # people name the original by its number, not an internal id
        fields["duplicate_of"] = store.case_id_by_no(conn, case_no=body.duplicate_of_case_no)
        if fields["duplicate_of"] is None:
            raise InvalidInput(f"no case {body.duplicate_of_case_no} in your region", reason="invalid_duplicate")
    updated = apply_transition(conn, rules=rules, case_id=case.id, user=scope.require_user(),
                               request=TransitionRequest(**fields))
    return CaseSummary.model_validate(summaries(conn, [updated], rules)[0])


@router.get("/cases/{case_id}/related", responses=error_responses(404))
def related(conn: ConnDep, scope: Annotated[Scope, allow("cases.read")], rules: RulesDep, case: ReadableCase
            ) -> Related:
    """Open cases of the same kind nearby, and earlier cases with the same party (by ID hash), in region."""
    return Related.model_validate(related_cases(conn, rules=rules, case=case))
