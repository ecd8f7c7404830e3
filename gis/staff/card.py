"""The order card on a field worker's phone: the job, the team, the parties to meet, and the way there.

Masking: parties' phones are shown in full to the staff member the order sends to meet them (while the order
is active), and each such view leaves an audit row naming the parties; everyone else gets the masks (the
centre's roles reveal a value with a reason, see gis/cases/reveal.py).
"""

from __future__ import annotations

from typing import Any

from gis.cases.models import PARTY_ROLE_LABELS, SEVERITY_LABELS, WARNING_LABELS
from gis.cases.privacy import mask_phone, open_party_value
from gis.cases.taxonomy import Taxonomy
from gis.crypto import keys as crypto_keys
from gis.models import User
from gis.staff.navigation import navigation
from gis.staff.orders import ORDER_ROLES, ORDER_STATUSES
from gis.staff.roster import STAFF_ROLE_LABELS
from gis.storage import access
from gis.storage import attachments as attachment_store
from gis.storage import field as store
from gis.storage.pool import Conn


def _category(taxonomy: Taxonomy, code: str) -> dict[str, str]:
    found = taxonomy.categories.get(code)
    if found is None:
        return {"code": code, "name": code, "class_name": ""}
    return {"code": code, "name": found.name, "class_name": found.class_name}


def _steps(status: str) -> list[dict[str, Any]]:
    """The steps a field worker may take from ``status``, each with its verb."""
    return [{"code": code, "action": ORDER_STATUSES[code].action, "needs_reason": ORDER_STATUSES[code].needs_reason}
            for code in ORDER_STATUSES[status].next if not ORDER_STATUSES[code].centre_only]


def sent_to_meet(user: User, order: dict[str, Any]) -> bool:
    """True when the caller is the staff member this active order sends (they call the parties)."""
    return bool(order["active"]) and user.staff_code is not None and user.staff_code == order["staff_code"]


def _parties(conn: Conn, *, case_id: int, full: bool) -> list[dict[str, Any]]:
    keys = crypto_keys() if full else None
    shown = []
    for row in store.sealed_parties(conn, case_id=case_id):
        phone = None
        if keys is not None:
            phone = open_party_value(bytes(row["phone_enc"]), keys=keys, field="phone") if row["phone_enc"] \
                else row["legacy_phone"]
        shown.append({"id": row["id"], "role": row["role"], "role_label": PARTY_ROLE_LABELS.get(row["role"], ""),
                      "name": row["name"],
                      "phone": phone if full else (row["phone_masked"] or mask_phone(row["legacy_phone"])),
                      "phone_full": full and bool(phone)})
    return shown


def order_card(conn: Conn, *, order_id: int, user: User, taxonomy: Taxonomy, client_ip: str = "") -> dict[str, Any]:
    """Everything the phone shows for one order (NotFound when the caller may not see it)."""
    o = store.order_with_case(conn, order_id=order_id)
    full = sent_to_meet(user, o)
    parties = _parties(conn, case_id=o["case_id"], full=full)
    shown_in_full = [p["id"] for p in parties if p["phone_full"]]
    if shown_in_full:
        access.audit(conn, user=user, action="party.phone_view", object_type="dispatch_order", object_id=str(o["id"]),
                     detail={"case_id": o["case_id"], "party_ids": shown_in_full, "why": "order_card"},
                     client_ip=client_ip)
    place = " ".join(n for n in (o["town_name"], o["village_name"], o["grid_name"]) if n)
    team = [{"staff_name": t["staff_name"], "staff_role": t["staff_role"],
             "staff_role_label": STAFF_ROLE_LABELS.get(t["staff_role"], t["staff_role"]),
             "role": t["role"], "role_label": ORDER_ROLES[t["role"]], "status": t["status"],
             "status_label": ORDER_STATUSES[t["status"]].label, "active": t["active"],
             "me": t["dispatch_id"] == o["id"]}
            for t in store.case_team(conn, case_id=o["case_id"])]
    label = f"{o['case_no']} {place}".strip()
    return {
        "order": {"id": o["id"], "status": o["status"], "status_label": ORDER_STATUSES[o["status"]].label,
                  "role": o["role"], "role_label": ORDER_ROLES[o["role"]], "active": o["active"],
                  "note": o["note"], "reason": o["reason"], "dispatched_at": o["dispatched_at"],
                  "last_step_at": o["last_step_at"], "steps": _steps(o["status"]) if o["active"] else []},
        "case": {"id": o["case_id"], "case_no": o["case_no"], "category": _category(taxonomy, o["category_code"]),
                 "description": o["description"], "severity": o["severity"],
                 "severity_label": SEVERITY_LABELS.get(o["severity"], o["severity"]), "due_at": o["due_at"],
                 "status": o["case_status"], "warning_level": o["warning_level"],
                 "warning_label": WARNING_LABELS.get(o["warning_level"], o["warning_level"]), "place": place,
                 "grid_code": o["grid_code"], "lon": o["lon"], "lat": o["lat"]},
        "team": team,
        "parties": parties,
        "navigation": navigation(o["lon"], o["lat"], label) if o["lon"] is not None and o["lat"] is not None
        else None,
        "notes": store.case_notes(conn, case_id=o["case_id"]),
        "attachments": [{**a, "url": f"/api/v1/attachments/{a['id']}"}
                        for a in attachment_store.of_case(conn, case_id=o["case_id"])],
    }


def history(conn: Conn, *, user: User, limit: int) -> list[dict[str, Any]]:
    """The caller's completed orders (the staff member their account is linked to), the latest first."""
    if user.staff_code is None:
        return []
    return [{**row, "status_label": ORDER_STATUSES[row["status"]].label, "role_label": ORDER_ROLES[row["role"]]}
            for row in store.completed_orders(conn, staff_code=user.staff_code, limit=limit)]
