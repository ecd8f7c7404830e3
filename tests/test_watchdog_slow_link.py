"""The watchdog leaves an answer that is still arriving on a slow link alone, and cuts one that stopped coming."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from drills.faultproxy import FaultProxy
from gis.settings import DatabaseSettings
from gis.storage.watchdog import Watchdog


@pytest.fixture
def proxy(db_settings: DatabaseSettings) -> Iterator[FaultProxy]:
    running = FaultProxy(target_port=db_settings.pg_port).start()
    try:
        yield running
    finally:
        running.stop()


def _through(proxy: FaultProxy, db_settings: DatabaseSettings) -> str:
    return db_settings.local_url(db_settings.owner_role).replace(f":{db_settings.pg_port}/", f":{proxy.port}/")


def test_a_large_answer_on_a_slow_link_is_not_cut(proxy: FaultProxy, db_settings: DatabaseSettings) -> None:
    url = _through(proxy, db_settings)
    watchdog = Watchdog(conninfo=url, deadline_s=0.5, connect_timeout_s=2)
    with psycopg.connect(url, autocommit=True) as conn:
        proxy.set_mode("latency", latency_s=0.25)  # every 64 KB chunk a quarter second late: ~4 s for 1 MB
        try:
            with watchdog.watch(conn):
                row = conn.execute("SELECT repeat('x', 1000000)").fetchone()
        finally:
            proxy.set_mode("pass")
            watchdog.close()
    assert row is not None and len(row[0]) == 1_000_000
    assert watchdog.cuts == 0


def test_an_answer_that_stopped_coming_is_cut(proxy: FaultProxy, db_settings: DatabaseSettings) -> None:
    url = _through(proxy, db_settings)
    watchdog = Watchdog(conninfo=url, deadline_s=0.5, connect_timeout_s=2)
    with psycopg.connect(url, autocommit=True) as conn:
        proxy.set_mode("mute")  # the query reaches the server, its answer never comes back
        try:
            with watchdog.watch(conn), pytest.raises(psycopg.OperationalError):
                conn.execute("SELECT 1").fetchone()
        finally:
            proxy.set_mode("pass")
            watchdog.close()
    assert watchdog.cuts == 1
