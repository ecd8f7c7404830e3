"""Bounds that keep a loaded server steady: the tile cache's memory, a signed-in locate while the database stalls."""

from __future__ import annotations

import os
from time import monotonic

import pytest
from fastapi.testclient import TestClient

from api.memory import limit_malloc_arenas
from gis.cache import ByteBoundedCache

POINT = {"lon": 114.6471302, "lat": 24.0688967}  # grid 449901001008007 of the sample county


def test_the_tile_cache_stays_within_its_bytes() -> None:
    cache = ByteBoundedCache(max_bytes=100_000)
    for i in range(1_000):  # a client walking over a thousand distinct tiles
        cache.put(("grids", 14, i), bytes(10_000))
    assert cache.nbytes <= 100_000 and len(cache) == 10
    assert cache.get(("grids", 14, 999)) is not None and cache.get(("grids", 14, 0)) is None
    cache.put("huge", bytes(60_000))  # over a quarter of the budget: not kept, nothing pushed out
    assert cache.get("huge") is None and len(cache) == 10


def test_signed_in_locate_answers_from_memory_while_the_database_stalls(app_client: TestClient,
                                                                        admin_headers: dict[str, str]) -> None:
    watchdog = app_client.app.state.services.pool.watchdog  # type: ignore[attr-defined]
    normal = app_client.get("/api/v1/locate", params=POINT, headers=admin_headers)
    assert normal.status_code == 200 and "responsible" in normal.json()
    watchdog.last_cut_at = monotonic()  # what the watchdog records when it cuts a connection whose answer was lost
    try:
        stalled = app_client.get("/api/v1/locate", params=POINT, headers=admin_headers)
    finally:
        watchdog.last_cut_at = None
    assert stalled.status_code == 200
    assert stalled.json()["grid_code"] == "449901001008007" and "responsible" not in stalled.json()


def test_the_server_limits_malloc_arenas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert limit_malloc_arenas() is True  # glibc (Debian): mallopt accepted the limit
    assert os.environ["MALLOC_ARENA_MAX"] == "2"  # and worker processes inherit it
