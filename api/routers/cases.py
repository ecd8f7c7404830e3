"""Cases: intake, search, detail with timeline, transitions, related cases."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from pydantic import BaseModel, Field

from api.deps import ConnDep, UserDep, require_roles
from gis.cases.book import CaseRules, load_rules
from gis.cases.intake import CaseInput, register_case
from gis.cases.loop import TransitionRequest, apply_transition, related_cases
from gis.cases.models import Case, Party
from gis.cases.privacy import mask_name, mask_phone
from gis.errors import InvalidInput, NotFound
from gis.storage import access
from gis.storage import cases as store

router = APIRouter(prefix="/api/v1", tags=["cases"])
FULL_PARTY_ROLES = {"admin", "operator", "supervisor"}


class PartyIn(BaseModel):
    """A party to the dispute (personal data)."""

    name: str = Field(min_length=1, max_length=100)
    role: Literal["applicant", "respondent", "other"] = "applicant"
    id_number: str | None = Field(default=None, max_length=32)
    phone: str | None = Field(default=None, max_length=32)
    village_code: str | None = Field(default=None, max_length=32)


class CaseIn(BaseModel):
    """A new case: a point (lon/lat with its crs) or a grid code, and what happened."""

    category: str = Field(max_length=16)
    source_channel: str = Field(max_length=32)
    description: str = Field(min_length=1)
    severity: str = "medium"
    title: str = Field(default="", max_length=200)
    lon: float | None = Field(default=None, allow_inf_nan=False)
    lat: float | None = Field(default=None, allow_inf_nan=False)
    crs: str = "wgs84"
    grid_code: str | None = Field(default=None, max_length=32)
    parties: list[PartyIn] = Field(default_factory=list, max_length=50)


class TransitionIn(BaseModel):
    """An action on a case."""

    action: str = Field(max_length=40)
    note: str = Field(default="", max_length=5000)
    satisfaction: int | None = None
    duplicate_of: int | None = None


def rules_of(request: Request) -> CaseRules:
    """The case rules loaded at start-up."""
    return request.app.state.case_rules


RulesDep = Annotated[CaseRules, Depends(rules_of)]


def install(app: FastAPI) -> None:
    """Start-up hook: load taxonomy, workflow and routing files once."""
    app.state.case_rules = load_rules()


def case_in_scope(conn: ConnDep, user: UserDep, case_id: int) -> Case:
    """The case, if the caller may see it; other towns' cases are 404 (their existence is not revealed)."""
    case = store.get_case(conn, case_id=case_id)
    if user.town_code and case.town_code != user.town_code:
        raise NotFound(f"case {case_id} not found", reason="case_not_found")
    return case


CaseDep = Annotated[Case, Depends(case_in_scope)]


def case_summary(case: Case, rules: CaseRules) -> dict[str, Any]:
    """A case as listed (no personal data)."""
    body = asdict(case)
    body.pop("extra")
    body["status_label"] = rules.workflow.states[case.status].get("label", case.status)
    body["category_name"] = rules.taxonomy.get(case.category_code).name
    return body


def _party_view(party: dict[str, Any], full: bool) -> dict[str, Any]:
    if full:
        return party
    return {**party, "name": mask_name(party["name"]), "phone": mask_phone(party["phone"])}


@router.get("/categories")
def categories(rules: RulesDep) -> dict[str, Any]:
    """The dispute taxonomy (classes and items)."""
    return {"version": rules.taxonomy.version, "categories": [asdict(c) for c in rules.taxonomy.categories.values()]}


@router.get("/workflow")
def workflow(rules: RulesDep) -> dict[str, Any]:
    """States and actions of the case loop."""
    return {"initial": rules.workflow.initial, "states": rules.workflow.states,
            "actions": [asdict(a) for a in rules.workflow.actions.values()]}


@router.post("/cases", status_code=201, dependencies=[require_roles("operator", "field")])
def create_case(
    request: Request, response: Response, conn: ConnDep, user: UserDep, rules: RulesDep, body: CaseIn,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> dict[str, Any]:
    """Register a case; a retry with the same Idempotency-Key returns the first case (200)."""
    data = CaseInput(
        category_code=body.category, source_channel=body.source_channel, description=body.description,
        severity=body.severity, title=body.title, lon=body.lon, lat=body.lat, crs=body.crs,
        grid_code=body.grid_code, parties=tuple(Party(**p.model_dump()) for p in body.parties))
    intake = register_case(conn, rules=rules, index=getattr(request.app.state, "locator", None), user=user,
                           data=data, idempotency_key=idempotency_key)
    conn.commit()  # 201 means stored
    if not intake.created:
        response.status_code = 200
    case = store.get_case(conn, case_id=intake.case_id)
    return {**case_summary(case, rules), "created": intake.created,
            "related": related_cases(conn, rules=rules, case=case)}


@router.get("/cases")
def list_cases(
    conn: ConnDep, user: UserDep, rules: RulesDep,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    status: Annotated[list[str] | None, Query()] = None, category: str | None = None, grid: str | None = None,
    town: str | None = None, since: datetime | None = None, until: datetime | None = None,
    overdue: bool | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Search cases in the caller's scope, newest first, with paging."""
    where: list[tuple[str, tuple[Any, ...]]] = []
    if user.town_code:
        where.append(("town_code = %s", (user.town_code,)))
    if town:
        where.append(("town_code = %s", (town,)))
    if grid:
        where.append(("grid_code = %s", (grid,)))
    if category:
        where.append(("category_code LIKE %s", (category + "%",)))
    if status:
        where.append(("status = ANY(%s)", (status,)))
    if since:
        where.append(("created_at >= %s", (since,)))
    if until:
        where.append(("created_at < %s", (until,)))
    if overdue is not None:
        clause = "status = ANY(%s) AND due_at < now()" if overdue else "NOT (status = ANY(%s) AND due_at < now())"
        where.append((clause, (rules.workflow.open_states(),)))
    if bbox:
        where.append(("geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)", tuple(_bbox(bbox))))
    rows, total = store.list_cases(conn, where=where, limit=limit, offset=offset)
    return {"total": total, "limit": limit, "offset": offset,
            "items": [case_summary(c, rules) for c in rows]}


def _bbox(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 4 or not values[0] < values[2] or not values[1] < values[3]:
        raise InvalidInput("bbox is minlon,minlat,maxlon,maxlat", reason="invalid_bbox")
    return values


@router.get("/cases/{case_id}")
def get_case(conn: ConnDep, user: UserDep, rules: RulesDep, case: CaseDep) -> dict[str, Any]:
    """One case with parties and its full timeline; every read is audited."""
    full = user.role in FULL_PARTY_ROLES
    access.audit(conn, user=user, action="case.read", object_type="case", object_id=str(case.id),
                 detail={"parties": "full" if full else "masked"})
    conn.commit()
    return {**case_summary(case, rules),
            "parties": [_party_view(p, full) for p in store.parties(conn, case_id=case.id)],
            "timeline": store.timeline(conn, case_id=case.id),
            "allowed_actions": rules.workflow.allowed(case.status)}


@router.post("/cases/{case_id}/transitions", dependencies=[require_roles("operator", "supervisor", "field")])
def transition(conn: ConnDep, user: UserDep, rules: RulesDep, case: CaseDep, body: TransitionIn) -> dict[str, Any]:
    """Move a case along the loop; an illegal move is a 409 naming the state and the allowed actions."""
    updated = apply_transition(conn, rules=rules, case_id=case.id, user=user,
                               request=TransitionRequest(**body.model_dump()))
    conn.commit()
    return case_summary(updated, rules)


@router.get("/cases/{case_id}/related")
def related(conn: ConnDep, rules: RulesDep, case: CaseDep) -> dict[str, Any]:
    """Open cases of the same kind nearby, and earlier cases with the same party (by ID hash)."""
    return related_cases(conn, rules=rules, case=case)


