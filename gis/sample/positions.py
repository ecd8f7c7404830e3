"""A live position simulator for the demo: on-duty staff wander near their base, through the normal ingest.

Every round moves each on-duty staff member some tens of metres (a heading that drifts, pulled back
toward home beyond ``leash_m``) and stores the fixes with ``record_fixes``, the same validation, storage
and live event (``staff.position``) as `POST /api/v1/staff/positions/batch`, so the console's staff
layer moves on first start. Demo data only: never run it against a real roster.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from gis.staff.positions import Fix, record_fixes
from gis.storage import staff as store
from gis.storage.pool import Conn

M_PER_DEG_LAT = 111_320.0


@dataclass
class Walker:
    """One simulated staff member."""

    staff_id: int
    home: tuple[float, float]
    lon: float
    lat: float
    heading: float

    def step(self, rng: random.Random, *, step_m: float, leash_m: float) -> tuple[float, float]:
        """Move one step and return the new (lon, lat)."""
        m_per_deg_lon = M_PER_DEG_LAT * math.cos(math.radians(self.lat))
        dx = (self.home[0] - self.lon) * m_per_deg_lon
        dy = (self.home[1] - self.lat) * M_PER_DEG_LAT
        if math.hypot(dx, dy) > leash_m:
            self.heading = math.atan2(dy, dx) + rng.uniform(-0.4, 0.4)
        else:
            self.heading += rng.uniform(-0.7, 0.7)
        dist = step_m * rng.uniform(0.3, 1.0)
        self.lon += dist * math.cos(self.heading) / m_per_deg_lon
        self.lat += dist * math.sin(self.heading) / M_PER_DEG_LAT
        return self.lon, self.lat


def load_walkers(conn: Conn, *, rng: random.Random, count: int = 300) -> list[Walker]:
    """Up to ``count`` on-duty staff with a home base (a fixed sample), starting from their last position or home."""
    rows, _ = store.list_staff(conn, role=None, town=None, duty="on_duty", limit=100_000, offset=0)
    rows = [r for r in rows if r["home_lon"] is not None]
    rows = random.Random(len(rows)).sample(rows, min(count, len(rows)))
    walkers = []
    for row in rows:
        lon = row["position_lon"] if row["position_lon"] is not None else row["home_lon"]
        lat = row["position_lat"] if row["position_lat"] is not None else row["home_lat"]
        walkers.append(Walker(row["id"], (row["home_lon"], row["home_lat"]), lon, lat, rng.uniform(0, 2 * math.pi)))
    return walkers


def simulate(connect: Callable[[], AbstractContextManager[Conn]], *, interval_s: float = 3.0,
             rounds: int | None = None, count: int = 300, step_m: float = 60.0, leash_m: float = 1500.0,
             history_days: float = 30.0, seed: int = 7, stop: threading.Event | None = None) -> int:
    """Post rounds of fixes until ``rounds`` are done or ``stop`` is set; returns the fixes stored.

    The roster is re-read every 20 rounds, so staff put on or off duty join or leave the walk.
    """
    rng = random.Random(seed)
    stop = stop or threading.Event()
    walkers: list[Walker] = []
    stored = done = 0
    while rounds is None or done < rounds:
        with connect() as conn:
            if done % 20 == 0:
                known = {w.staff_id: w for w in walkers}
                walkers = [known.get(w.staff_id, w) for w in load_walkers(conn, rng=rng, count=count)]
            fixes = [Fix(w.staff_id, *w.step(rng, step_m=step_m, leash_m=leash_m), accuracy_m=10.0)
                     for w in walkers]
            if fixes:
                stored += record_fixes(conn, fixes=fixes, history_days=history_days,
                                       allowed_ids={w.staff_id for w in walkers})
                conn.commit()
        done += 1
        if (rounds is None or done < rounds) and stop.wait(interval_s):
            break
    return stored
