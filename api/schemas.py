"""Response models: the OpenAPI document is the contract for the console, the field page and other clients."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Model(BaseModel):
    """Base of every response model (extra fields are kept so additions never break clients)."""

    model_config = ConfigDict(extra="allow")


class ErrorDetail(Model):
    """What went wrong, for machines (``reason``) and people (``message``)."""

    reason: str = Field(description="machine-readable code, e.g. case_not_found, illegal_transition")
    message: str


class ErrorBody(Model):
    """The one error shape every route returns."""

    error: ErrorDetail


class Meta(Model):
    """Labels and sets clients read instead of re-typing them."""

    states: list[dict[str, Any]]
    initial_state: str
    open_states: list[str]
    actions: list[dict[str, Any]]
    order_statuses: list[dict[str, Any]]
    order_roles: dict[str, str]
    roles: dict[str, str]
    rules: list[dict[str, Any]]
    tiers: list[dict[str, Any]]
    severities: dict[str, str]
    warning_levels: dict[str, str]
    yellow_fraction: float
    party_roles: dict[str, str]
    staff_roles: dict[str, str]
    duty_statuses: dict[str, str]
    channels: list[dict[str, Any]]
    channel_groups: dict[str, str]
    taxonomy_version: str


class CaseSummary(Model):
    """A case as listed: no personal data."""

    id: int
    case_no: str
    status: str
    status_label: str
    lon: float | None
    lat: float | None
    grid_code: str
    village_code: str
    town_code: str
    county_code: str
    generation_id: int
    located_by: str
    category_code: str
    category_name: str
    source_channel: str
    title: str
    description: str
    severity: str
    handling_tier: int
    handling_unit: str
    due_at: datetime
    warning_level: str
    satisfaction: int | None
    duplicate_of: int | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    created_by: int


class RelatedCase(Model):
    """Another case worth a look: same kind nearby, or a shared party."""

    id: int
    case_no: str
    status: str
    category_code: str
    created_at: datetime
    distance_m: float | None = None


class Related(Model):
    """Related cases inside the caller's region."""

    nearby: list[RelatedCase]
    same_party: list[RelatedCase]


class CaseCreated(CaseSummary):
    """The answer to an intake: the case, whether this call created it, and related cases."""

    created: bool
    related: Related


class CaseList(Model):
    """One page of a search."""

    total: int
    limit: int
    offset: int
    items: list[CaseSummary]


class PartyView(Model):
    """A party as shown: ID number and phone always masked (``reveal`` shows them); names masked for some roles."""

    id: int
    role: str
    name: str
    id_masked: str | None
    phone: str | None
    village_code: str | None


class CaseDetail(CaseSummary):
    """One case with parties, timeline and the actions allowed now."""

    parties: list[PartyView]
    timeline: list[dict[str, Any]]
    allowed_actions: list[str]


class Categories(Model):
    """The dispute taxonomy."""

    version: str
    categories: list[dict[str, Any]]


class WorkflowDoc(Model):
    """States and actions of the case loop."""

    initial: str
    states: dict[str, dict[str, Any]]
    actions: list[dict[str, Any]]
