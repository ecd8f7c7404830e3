"""Generate the sample case history for the active generation and store it in bulk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gis.cases.book import CaseRules
from gis.hotspots.filters import local_midnight
from gis.hotspots.service import load_units
from gis.sample.cases import HistorySpec, draw_cases
from gis.sample.history import StaffPool, walk
from gis.storage import access, areas
from gis.storage import history as store
from gis.storage.pool import Conn

SAMPLE_USER = "sample"


@dataclass(frozen=True)
class SampleLoad:
    """What was stored."""

    cases: int
    transitions: int
    supervisions: int
    orders: int
    stories: dict[str, object]
    until: datetime


def load_sample_cases(conn: Conn, *, rules: CaseRules, spec: HistorySpec, credit_staff: bool = True) -> SampleLoad:
    """Draw and walk a history ending on ``spec.until`` (inclusive) and COPY it in one transaction.

    With ``credit_staff`` the roster's grid workers, mediators, police and lawyers hold the lead orders
    (open cases take free capacity slots); without it no dispatch orders are written.
    """
    generation = areas.get_generation(conn)
    units = load_units(conn, generation.id)
    # The history ends with its last day, or now if that day is today: nothing lies in the future of the clock
    # (no step "0 秒" ago that has not happened yet, no 督办 an hour ahead).
    until = min(local_midnight(spec.until) + timedelta(days=1), datetime.now(UTC).replace(microsecond=0))
    until_ts = int(until.timestamp())
    draws = draw_cases(units, rules, spec)
    keep = draws.created < until_ts
    for name in ("grid", "category", "channel", "severity", "created", "lon", "lat"):
        setattr(draws, name, getattr(draws, name)[keep])
    pool = StaffPool(tuple(store.staff_pool_rows(conn)) if credit_staff else ())
    history = walk(draws, units, rules, until_ts=until_ts, staff=pool, seed=spec.seed)
    with conn.transaction():
        user = access.upsert_user(conn, username=SAMPLE_USER, role="operator", display="样例数据")
        store.store_history(conn, cases=history.cases, transitions=history.transitions,
                            supervisions=history.supervisions, orders=history.orders, generation_id=generation.id,
                            created_by=user.id, actor_name="样例数据")
    return SampleLoad(len(history.cases), len(history.transitions), len(history.supervisions), len(history.orders),
                      history.stories, until)
