"""Revealing a party's full ID number and phone (for contact and the mediation agreement)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ConnDep, ReadableCase, allow, client_of, security_settings
from api.errors import error_responses
from api.schemas_accounts import RevealedParty
from gis.cases.reveal import reveal_party
from gis.policy import Scope

router = APIRouter(prefix="/api/v1", tags=["cases"])


class RevealIn(BaseModel):
    """Why the full values are needed (kept in the audit log)."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=4, max_length=500)


@router.post("/cases/{case_id}/parties/{party_id}/reveal", response_model=RevealedParty,
             responses=error_responses(403, 404, 422, 429))
def reveal(request: Request, conn: ConnDep, scope: Annotated[Scope, allow("cases.read")], case: ReadableCase,
           party_id: Annotated[int, Path(ge=1, le=2**62)], body: RevealIn) -> dict[str, object]:
    """The party's full ID number and phone for roles that see personal data in the case's region; audited."""
    shown = reveal_party(conn, case_id=case.id, party_id=party_id, user=scope.require_user(),
                         may_see=scope.sees_personal_data, reason=body.reason,
                         per_hour=security_settings().reveal_per_hour, client_ip=client_of(request).ip)
    return shown
