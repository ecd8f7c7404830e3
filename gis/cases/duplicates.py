"""Duplicate suggestions at intake, before saving.

Open cases with the same phone or ID number, or a party of the
same name nearby in the same category class within the configured window (CaseSettings.duplicate_*).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gis.cases.book import CaseRules
from gis.cases.privacy import id_number_hash, normalise_id_number, phone_hash
from gis.crypto import Keys
from gis.storage import cases as store
from gis.storage.pool import Conn

REASON_LABELS = {"phone": "同一电话", "id_number": "同一身份证号", "name_nearby": "附近同类同名当事人"}


@dataclass(frozen=True)
class Draft:
    """What the intake form holds before saving."""

    category_code: str
    lon: float | None
    lat: float | None
    names: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    id_numbers: tuple[str, ...] = ()


def duplicate_suggestions(conn: Conn, *, rules: CaseRules, keys: Keys, draft: Draft) -> list[dict[str, Any]]:
    """Open cases the caller may see that this draft may repeat, nearest first, each with its reasons."""
    category = rules.taxonomy.get(draft.category_code)
    phones = [h for h in (phone_hash(p, key=keys.party) for p in draft.phones if p.strip()) if h is not None]
    ids = [id_number_hash(n, key=keys.party) for n in draft.id_numbers if normalise_id_number(n)]
    names = sorted({n.strip() for n in draft.names if n.strip()})
    if not (phones or ids or names):
        return []
    rows = store.duplicate_candidates(
        conn, open_states=rules.workflow.open_states(), phone_hashes=phones, id_hashes=ids, names=names,
        lon=draft.lon, lat=draft.lat, class_code=category.class_code, radius_m=rules.settings.duplicate_radius_m,
        window_days=rules.settings.duplicate_window_days)
    return [{**r, "status_label": rules.workflow.states[r["status"]].get("label", r["status"]),
             "category_name": rules.taxonomy.get(r["category_code"]).name,
             "reason_labels": [REASON_LABELS[w] for w in r["reasons"]]} for r in rows]
