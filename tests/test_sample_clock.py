"""Sample data never lies in the future of the clock: today's history ends now, not at midnight."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from gis.cases.book import load_rules
from gis.hotspots.filters import local_day
from gis.sample.cases import HistorySpec
from gis.sample.load_cases import load_sample_cases
from gis.settings import DatabaseSettings
from gis.storage.database import drop_database
from gis.storage.pool import connect
from tests.conftest import sample_database


@pytest.fixture(scope="module")
def own_db() -> Iterator[DatabaseSettings]:
    settings = sample_database(f"fengqiao_test_sample_clock_{os.getpid()}")
    yield settings
    drop_database(settings)


def test_todays_history_ends_now(own_db: DatabaseSettings) -> None:
    with connect(own_db) as conn:
        loaded = load_sample_cases(conn, rules=load_rules(),
                                   spec=HistorySpec(until=local_day(datetime.now(UTC)), days=3, scale=0.5),
                                   credit_staff=False)
        conn.commit()
        assert loaded.cases > 0 and loaded.transitions > 0
        ahead = conn.execute(
            "SELECT (SELECT count(*) FROM cases WHERE created_at > now() OR closed_at > now()),"
            " (SELECT count(*) FROM case_transitions WHERE at > now()),"
            " (SELECT count(*) FROM case_supervisions WHERE at > now())").fetchone()
    assert ahead == (0, 0, 0)
