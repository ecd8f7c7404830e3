"""Revealing a party's full ID number and phone: permitted roles only, with a reason, rate-limited, audited."""

from __future__ import annotations

from typing import Any

from gis.accounts.lockout import limit
from gis.cases.privacy import open_party_value
from gis.crypto import keys as crypto_keys
from gis.errors import Forbidden, InvalidInput
from gis.models import User
from gis.storage import access
from gis.storage import cases as store
from gis.storage.pool import Conn


def reveal_party(conn: Conn, *, case_id: int, party_id: int, user: User, may_see: bool, reason: str,
                 per_hour: int, client_ip: str = "") -> dict[str, Any]:
    """The party's full ID number and phone, with one audit row naming the reason.

    ``may_see`` is the caller's personal-data permission (the case is already in their region);
    ``per_hour`` reveals per user per hour are allowed (TooManyRequests after).
    """
    if not may_see:
        raise Forbidden("your role may not reveal parties' personal data", reason="role_not_allowed")
    if len(reason.strip()) < 4:
        raise InvalidInput("say why the full value is needed (at least 4 characters)", reason="reason_required")
    limit(conn, bucket=f"reveal:{user.id}", most=per_hour, window_s=3600, what="reveals this hour")
    row = store.sealed_party(conn, case_id=case_id, party_id=party_id)
    keys = crypto_keys()
    id_number = open_party_value(bytes(row["id_number_enc"]), keys=keys, field="id_number") \
        if row["id_number_enc"] else None
    phone = open_party_value(bytes(row["phone_enc"]), keys=keys, field="phone") if row["phone_enc"] \
        else row["legacy_phone"]
    access.audit(conn, user=user, action="party.reveal", object_type="case_party", object_id=str(party_id),
                 detail={"case_id": case_id, "reason": reason.strip()[:500],
                         "fields": [f for f, v in (("id_number", id_number), ("phone", phone)) if v]},
                 client_ip=client_ip)
    return {"party_id": party_id, "case_id": case_id, "name": row["name"], "id_number": id_number, "phone": phone}
