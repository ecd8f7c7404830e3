"""Processes starting at once (parallel test workers, several servers) share the cluster's roles and the keys."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg

from gis.crypto import KEY_NAMES, Keys, load_keys
from gis.settings import DatabaseSettings, SecuritySettings
from gis.storage import roles
from gis.storage.database import url_for_database


def test_roles_made_from_many_connections_at_once_never_collide(db_settings: DatabaseSettings) -> None:
    superuser = db_settings.superuser_url
    assert superuser is not None, "the tests run on the local cluster"

    def make_roles(_: int) -> int:
        with psycopg.connect(url_for_database(superuser, "postgres"), autocommit=True) as conn:
            for _ in range(15):
                roles.create_cluster_roles(conn, db_settings)  # was: "tuple concurrently updated"
        return 1

    with ThreadPoolExecutor(4) as pool:
        assert sum(pool.map(make_roles, range(4))) == 4


def _keys_read_at_once(key_dir: Path, readers: int) -> list[Keys]:
    start, got = threading.Barrier(readers), []

    def read() -> None:
        start.wait()
        got.append(load_keys(SecuritySettings(key_dir=key_dir)))

    threads = [threading.Thread(target=read) for _ in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return got


def test_keys_generated_by_many_at_once_are_one_whole_set(tmp_path: Path) -> None:
    for round_no in range(20):  # the race was lost now and then, not every time
        key_dir = tmp_path / str(round_no)
        got = _keys_read_at_once(key_dir, 6)
        assert len(got) == 6 and all(keys == got[0] for keys in got)  # was: a reader raised or read an empty key
        assert len(got[0].jwt) == 32
        assert sorted(p.name for p in key_dir.iterdir()) == sorted(KEY_NAMES)  # no draft left behind
