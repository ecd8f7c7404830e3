"""Case records."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

# The one list of severities (the schema's CHECK constraint is tested against it), with labels.
SEVERITY_LABELS: dict[str, str] = {"low": "一般", "medium": "较重", "high": "重大", "critical": "特别重大"}
# Deadline warnings: none, yellow (most of the time used), red (overdue).
WARNING_LABELS: dict[str, str] = {"none": "正常", "yellow": "黄色预警", "red": "红色预警"}
PARTY_ROLE_LABELS: dict[str, str] = {"applicant": "申请人", "respondent": "被申请人", "other": "其他当事人"}


@dataclass(frozen=True)
class Party:
    """A party to a dispute as given at intake (personal data)."""

    name: str
    role: str = "applicant"
    id_number: str | None = None
    phone: str | None = None
    village_code: str | None = None


@dataclass(frozen=True)
class NewCase:
    """Everything stored when a case is registered."""

    status: str
    lon: float | None
    lat: float | None
    grid_code: str
    village_code: str
    town_code: str
    county_code: str
    generation_id: int
    located_by: str
    locate_evidence: dict[str, Any]
    category_code: str
    source_channel: str
    title: str
    description: str
    severity: str
    handling_tier: int
    handling_unit: str
    due_at: datetime
    created_at: datetime
    created_by: int
    idempotency_key: str | None
    request_sha256: str | None


@dataclass(frozen=True)
class Case:
    """A stored case (without parties)."""

    id: int
    case_no: str
    status: str
    lon: float | None
    lat: float | None
    grid_code: str
    village_code: str
    town_code: str
    county_code: str
    generation_id: int
    located_by: str
    locate_evidence: dict[str, Any]
    category_code: str
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
    extra: dict[str, Any] = field(default_factory=dict)


# The columns a Case is read from: its fields, in order (``extra`` holds joined values, not a column).
# tests/test_records.py compares the records with the schema's columns and their nullability.
CASE_COLUMNS = ", ".join(f.name for f in fields(Case) if f.name != "extra")
