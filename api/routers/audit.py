"""The audit log for auditors: filtered reading and chain verification."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ConnDep, allow
from gis.audit.chain import verify
from gis.crypto import keys as crypto_keys
from gis.policy import Scope
from gis.storage import audit as store

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
Auditor = Annotated[Scope, allow("audit.read")]


@router.get("")
def audit_log(
    conn: ConnDep, scope: Auditor, since: datetime | None = None, until: datetime | None = None,
    username: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=200, description="prefix, e.g. auth. or POST")] = None,
    result: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, object]:
    """Audit rows, newest first: who, when, what, from where, result, and their place in the chain."""
    rows, total = store.search(conn, since=since, until=until, username=username, action=action, result=result,
                               limit=limit, offset=offset)
    return {"total": total, "limit": limit, "offset": offset, "items": rows}


@router.get("/verify")
def audit_verify(conn: ConnDep, scope: Auditor) -> dict[str, object]:
    """Recompute the hash chain: ok, links checked, problems, where the last purge left off."""
    report = verify(conn, key=crypto_keys().session)
    return {"ok": report.ok, "checked": report.checked, "problems": report.problems[:100],
            "purged_upto": report.purged_upto, "unsealed_older_than_a_minute": report.unsealed}
