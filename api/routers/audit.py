"""The audit log for auditors: filtered reading and chain verification."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.deps import ConnDep, allow
from api.schemas_accounts import AuditPage, AuditVerification
from gis.audit.chain import report, verify_with_head
from gis.crypto import keys as crypto_keys
from gis.export_cells import csv_text
from gis.policy import Scope
from gis.settings import AuditSettings
from gis.storage import access
from gis.storage import audit as store

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
Auditor = Annotated[Scope, allow("audit.read")]
Since = Annotated[datetime | None, Query(description="from this time (ISO 8601 with offset)")]
Until = Annotated[datetime | None, Query(description="before this time")]
UserFilter = Annotated[str | None, Query(max_length=64)]
ActionFilter = Annotated[str | None, Query(max_length=200, description="prefix, e.g. auth. or POST")]
ResultFilter = Annotated[str | None, Query(max_length=40)]
# One export holds at most this many rows (a narrower filter for more).
EXPORT_MAX = 10_000
EXPORT_HEADERS = {"at": "时间", "username": "用户", "action": "操作", "object_type": "对象类型", "object_id": "对象",
                  "client_ip": "来源地址", "result": "结果", "chain_seq": "链序号", "detail": "详情"}


@router.get("", response_model=AuditPage)
def audit_log(
    conn: ConnDep, scope: Auditor, since: Since = None, until: Until = None, username: UserFilter = None,
    action: ActionFilter = None, result: ResultFilter = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, object]:
    """Audit rows, newest first: who, when, what, from where, result, and their place in the chain."""
    rows, total = store.search(conn, since=since, until=until, username=username, action=action, result=result,
                               limit=limit, offset=offset)
    return {"total": total, "limit": limit, "offset": offset, "items": rows}


@router.get("/verify", response_model=AuditVerification)
def audit_verify(conn: ConnDep, scope: Auditor) -> dict[str, object]:
    """Recompute the hash chain and compare it with the signed head kept outside the database.

    ok, links checked, where the last purge left off, the external head, and each problem (``reason``,
    a Chinese ``message``, ``seq``): changed or removed rows, missing links, a cut-off end, a stale head.
    """
    settings = AuditSettings()
    return report(verify_with_head(conn, key=crypto_keys().session, settings=settings), settings)


def _export_row(row: dict[str, Any]) -> dict[str, Any]:
    cells = {EXPORT_HEADERS[k]: row.get(k) for k in EXPORT_HEADERS}
    cells["时间"] = row["at"].isoformat(timespec="seconds")
    cells["详情"] = json.dumps(row.get("detail") or {}, ensure_ascii=False, sort_keys=True)
    return cells


@router.get("/export", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "the matching rows as CSV"}})
def audit_export(conn: ConnDep, scope: Auditor, since: Since = None, until: Until = None,
                 username: UserFilter = None, action: ActionFilter = None, result: ResultFilter = None) -> Response:
    """The rows the same filters find (newest first, at most 10,000) as CSV with Chinese headers.

    Cells that a spreadsheet would run as a formula are escaped; the export itself is audited.
    """
    rows, total = store.search(conn, since=since, until=until, username=username, action=action, result=result,
                               limit=EXPORT_MAX, offset=0)
    filters = {"since": since.isoformat() if since else None, "until": until.isoformat() if until else None,
               "username": username, "action": action, "result": result}
    access.audit(conn, user=scope.require_user(), action="audit.export",
                 detail={"rows": len(rows), "total": total, **{k: v for k, v in filters.items() if v}})
    body = csv_text([_export_row(r) for r in rows], list(EXPORT_HEADERS.values()))
    return Response(body.encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="audit-log.csv"',
                             "X-Total-Count": str(total)})
