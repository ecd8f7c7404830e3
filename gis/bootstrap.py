"""Bring a database to a working state: local cluster (unless DATABASE_URL), schema, sample county."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gis.models import Generation
from gis.sample.load import ensure_sample_files, load_sample_county
from gis.settings import DatabaseSettings
from gis.staff.roster import read_roster
from gis.storage import areas, cluster, staff
from gis.storage.database import ensure_database
from gis.storage.migrate import apply_migrations
from gis.storage.pool import connect


@dataclass(frozen=True)
class BootstrapResult:
    """What set-up did."""

    url: str
    migrations_applied: list[str]
    generation: Generation | None
    tier_counts: dict[int, int]


def bootstrap(settings: DatabaseSettings, *, data_dir: Path, load_sample: bool = True) -> BootstrapResult:
    """Start the local cluster when no DATABASE_URL is set, migrate, and load the sample county once."""
    if settings.database_url is None:
        cluster.up(settings)
    url = ensure_database(settings)
    with connect(settings, url=url) as conn:
        applied = apply_migrations(conn)
        conn.commit()
        generation = None
        counts: dict[int, int] = {}
        if load_sample:
            gpkg = ensure_sample_files(data_dir)
            generation = load_sample_county(conn, gpkg=gpkg)
            conn.commit()
            if staff.count_staff(conn) == 0:
                staff.upsert_staff(conn, records=read_roster(data_dir / "roster" / "sample_roster.csv"))
                conn.commit()
            counts = areas.tier_counts(conn, generation_id=generation.id)
    return BootstrapResult(url, applied, generation, counts)
