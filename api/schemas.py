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
    personal_data_roles: list[str] = Field(description="roles that may see parties' full phone and ID number")
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
    hotspot_levels: list[dict[str, str]] = []  # 蓝黄红 risk levels of the hotspot layer: code, label, colour


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
    overdue: bool = Field(default=False, description="before resolution and past its deadline (one definition)")


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


class GenerationView(Model):
    """A version of the boundaries."""

    id: int
    name: str
    description: str
    source: str
    created_at: datetime
    activated_at: datetime | None
    is_active: bool


class Extent(Model):
    """A generation's bounding box (minlon, minlat, maxlon, maxlat)."""

    generation: str
    bbox: tuple[float, float, float, float] | None


class AreaChild(Model):
    """A direct child of an area."""

    code: str
    name: str
    tier: int


class AreaView(Model):
    """One area of the hierarchy (no geometry) with its direct children."""

    id: int
    code: str
    name: str
    tier: int
    generation: str
    area_m2: float
    population: int | None
    bbox: tuple[float, float, float, float] | None = None  # minlon, minlat, maxlon, maxlat (fitting maps)
    children: list[AreaChild]


class ValidationReport(Model):
    """The validation report of a boundary load (findings per feature; errors block a commit)."""

    ok: bool
    counts: dict[str, int]
    findings: list[dict[str, Any]]


class UploadResult(Model):
    """A dry run's report, and the stored generation when the load was committed."""

    report: dict[str, Any]
    generation: dict[str, Any] | None
    names: dict[str, str] = {}  # code -> name of every area the findings mention (names beside codes)
    titles: dict[str, str] = {}  # finding code -> its Chinese title


class Activated(Model):
    """The generation now active."""

    id: int
    name: str
    is_active: bool
    activated_at: datetime | None


class ActivationPreview(Model):
    """What activating a generation would change, read before confirming (names beside codes)."""

    generation: str
    generation_id: int
    active: str | None
    is_active: bool
    tiers: dict[str, dict[str, int]] = Field(description="per tier (1-4): areas added, removed and changed")
    changes: list[dict[str, Any]] = Field(description="the changed areas (at most 2,000), with names and towns")
    changes_total: int
    open_cases_moving: dict[str, int]
    open_cases_unplaced: int
    cases: list[dict[str, Any]]
    unplaced: list[dict[str, Any]]
    staff: list[dict[str, Any]] = Field(description="staff whose territory disappears")
    grids_active: int
    grids_removed: int
    removed_share: float
    uncovered_share: float
    needs_override: bool
    override_reasons: list[str]
    override_reasons_zh: list[str]
    may_activate: bool
    changed_towns: list[str]
    county_wide: bool


class GenerationDiff(Model):
    """Grids added, removed and changed between two generations, and open cases that would move."""

    old: str
    new: str


class Relocated(Model):
    """Open cases moved onto the active generation, and those no grid of it can take."""

    moved: int
    cases: list[dict[str, Any]]
    unplaced: list[dict[str, Any]]


class StaffView(Model):
    """A staff member as the caller may see them (whereabouts and phone masked for some roles)."""

    id: int
    staff_code: str
    name: str
    role: str
    organisation: str
    phone: str
    skills: list[str]
    territory: list[str]
    town_code: str | None
    duty_status: str
    capacity: int
    active: bool
    active_orders: int


class OrderStep(Model):
    """An order after a step, and fresh recommendations after a decline or return."""

    order: dict[str, Any]
    recommendations: dict[str, Any] | None = None


class PlanSide(Model):
    """One plan: pairs, total metres and unassigned cases with reasons."""

    total_m: float
    total_cost_m: float
    pairs: list[dict[str, Any]]
    unassigned: list[dict[str, Any]]


class AssignmentPlan(Model):
    """The optimal plan next to greedy nearest-first."""

    role: str
    staff_considered: int
    optimal: PlanSide
    greedy: PlanSide
    saving_m: float


class TileJSON(Model):
    """TileJSON 3.0.0."""

    tilejson: str
    tiles: list[str]
    vector_layers: list[dict[str, Any]]


class Health(Model):
    """The process is alive."""

    status: str


class LocationView(Model):
    """Where a point is: its grid chain, the generation that answered, neighbours near a border."""

    inside: bool
    generation_id: int
    generation_name: str
    lon: float
    lat: float


class Readiness(Model):
    """Whether this process can serve: the database and every in-memory service."""

    status: str
    checks: dict[str, Any]
    reason: str | None = None


class OgcLinks(Model):
    """An OGC API document: links to related resources (landing page, collection descriptions)."""

    links: list[dict[str, Any]]


class OgcConformance(Model):
    """The OGC API conformance classes implemented."""

    conformsTo: list[str]  # noqa: N815 (the standard's name)


class OgcCollections(OgcLinks):
    """Every collection offered."""

    collections: list[dict[str, Any]]


class GeoJSONFeature(Model):
    """A GeoJSON Feature (RFC 7946)."""

    type: str
    geometry: dict[str, Any] | None
    properties: dict[str, Any]


class GeoJSONFeatures(Model):
    """A page of a GeoJSON FeatureCollection with OGC paging members."""

    type: str
    features: list[GeoJSONFeature]
    numberMatched: int | None = None  # noqa: N815
    numberReturned: int | None = None  # noqa: N815


class Basemap(Model):
    """An optional base map under the boundaries."""

    url: str
    attribution: str
    crs: str = Field(description="the datum of its tiles (gcj02 or wgs84)")


class ConsoleConfig(Model):
    """What the pages need from the server's settings."""

    basemap: Basemap | None
