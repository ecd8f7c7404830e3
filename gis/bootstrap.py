"""Bring a database to a working state: local cluster (unless DATABASE_URL), schema, sample county."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from gis.cases.book import load_rules
from gis.hotspots.filters import local_day
from gis.models import Generation
from gis.sample.cases import HistorySpec
from gis.sample.load import ensure_sample_files, load_sample_county
from gis.sample.load_cases import load_sample_cases
from gis.settings import DatabaseSettings
from gis.staff.roster import read_roster
from gis.storage import areas, cluster, history, staff
from gis.storage.database import prepare_database
from gis.storage.pool import connect


@dataclass(frozen=True)
class BootstrapResult:
    """What set-up did."""

    url: str
    migrations_applied: list[str]
    generation: Generation | None
    tier_counts: dict[int, int]
    sample_cases: int = 0


def bootstrap(settings: DatabaseSettings, *, data_dir: Path, load_sample: bool = True) -> BootstrapResult:
    """Start the local cluster when no DATABASE_URL is set, migrate, and load the sample county once."""
    if settings.database_url is None:
        cluster.up(settings)
    applied = prepare_database(settings)
    url = settings.owner_url
    with connect(settings) as conn:
        generation = None
        counts: dict[int, int] = {}
        cases_loaded = 0
        if load_sample:
            gpkg = ensure_sample_files(data_dir)
            generation = load_sample_county(conn, gpkg=gpkg)
            conn.commit()
            if staff.count_staff(conn) == 0:
                staff.upsert_staff(conn, records=read_roster(data_dir / "roster" / "sample_roster.csv"))
                conn.commit()
            counts = areas.tier_counts(conn, generation_id=generation.id)
            if history.count_cases(conn) == 0:  # a year of cases, so the supervisors' pages are full
                cases_loaded = load_sample_cases(conn, rules=load_rules(),
                                                 spec=HistorySpec(until=local_day(datetime.now(UTC)))).cases
                conn.commit()
                # Fresh statistics before the first request: a town's share of the cases guides the planner, and
                # under row-level security a stale estimate turns a 0.4 ms list into a sort of the whole town.
                history.analyze_cases(conn)
                conn.commit()
    return BootstrapResult(url, applied, generation, counts, cases_loaded)
