"""The audit log for auditors: filtered reading and chain verification."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ConnDep, allow
from gis.audit.chain import report, verify_with_head
from gis.crypto import keys as crypto_keys
from gis.policy import Scope
from gis.settings import AuditSettings
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
    """Recompute the hash chain and compare it with the signed head kept outside the database.

    ok, links checked, where the last purge left off, the external head, and each problem (``reason``,
    a Chinese ``message``, ``seq``): changed or removed rows, missing links, a cut-off end, a stale head.
    """
    settings = AuditSettings()
    return report(verify_with_head(conn, key=crypto_keys().session, settings=settings), settings)
