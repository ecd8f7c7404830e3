"""What the ranking and plans need to know about a case: where it is, its parties' villages, who was asked."""

from __future__ import annotations

from gis.cases.models import Case
from gis.staff.orders import ACTIVE_ORDER_STATUSES
from gis.staff.recommend import Place
from gis.storage import areas
from gis.storage import cases as case_store
from gis.storage import dispatch as store
from gis.storage.pool import Conn


def place_of(conn: Conn, case: Case) -> Place:
    """The case's point (or its grid's representative point), party villages and earlier orders."""
    lon, lat = case.lon, case.lat
    if lon is None or lat is None:
        lon, lat = areas.representative_point(conn, generation_id=case.generation_id, code=case.grid_code)
    villages = frozenset(p["village_code"] for p in case_store.parties(conn, case_id=case.id) if p["village_code"])
    orders = store.case_orders(conn, case_id=case.id)
    declined = frozenset(o["staff_id"] for o in orders if o["status"] in ("declined", "returned"))
    engaged = frozenset(o["staff_id"] for o in orders if o["status"] in ACTIVE_ORDER_STATUSES)
    return Place(lon, lat, case.grid_code, case.village_code, case.town_code, case.category_code, villages,
                 declined, engaged)
