"""Hotspot state per process: the active generation's units and weights, recent answers, the level rules."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from gis.hotspots.analysis import HotspotTable, hotspot_table
from gis.hotspots.levels import LevelRules
from gis.hotspots.query import HotspotQuery
from gis.hotspots.units import UnitTable, build_units
from gis.hotspots.weights import HotspotWeights, HotspotWeightsCache
from gis.models import Tier
from gis.storage import areas, stats
from gis.storage.pool import Conn

T = TypeVar("T")

RESULTS_KEPT = 32


class ResultCache:
    """Recent answers keyed by request and the data version (``stats.cases_version``): a write invalidates."""

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[object, ...], object] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, conn: Conn, key: tuple[object, ...], compute: Callable[[], T]) -> T:
        """The cached answer for ``key`` at the current data version, or ``compute()``."""
        full = (*key, stats.cases_version(conn))
        with self._lock:
            if full in self._items:
                self._items.move_to_end(full)
                return self._items[full]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            self._items[full] = value
            while len(self._items) > RESULTS_KEPT:
                self._items.popitem(last=False)
        return value


def load_units(conn: Conn, generation_id: int) -> UnitTable:
    """Every area of a generation as arrays (see gis.hotspots.units)."""
    return build_units(generation_id, stats.unit_rows(conn, generation_id=generation_id))


def weights_now(conn: Conn) -> HotspotWeights:
    """The active generation's weights, built now and kept by nobody (one-shot commands, benchmarks)."""
    generation = areas.get_generation(conn)
    return HotspotWeights(load_units(conn, generation.id))


class Hotspots:
    """A process's hotspot state: the active generation's weights, recent answers, the level rules.

    The server holds one inside ``gis.services.HotspotService`` (which builds the weights in the background
    and follows activations); nothing here is a module global, so two apps in one process never share it.
    """

    def __init__(self, levels: LevelRules) -> None:
        self.levels = levels
        self.results = ResultCache()
        self._weights = HotspotWeightsCache()

    def weights(self, conn: Conn) -> HotspotWeights:
        """The weights of the active generation (built here when it changed and the builder has not caught up)."""
        generation = areas.get_generation(conn)
        return self._weights.get(generation.id, lambda gid: load_units(conn, gid))

    def compute(self, conn: Conn, query: HotspotQuery, town_code: str | None
                ) -> tuple[HotspotTable, HotspotWeights, LevelRules]:
        """The (cached) hotspot table of a query, cut to the caller's town."""
        rules = self.levels.with_fdr(query.fdr)
        weights = self.weights(conn)
        key = ("hotspots", weights.generation_id, query, town_code)
        table = self.results.get_or_compute(conn, key, lambda: hotspot_table(
            conn, flt=query.flt, tier=query.tier, h3_resolution=query.h3, weights=weights, rules=rules,
            town_code=town_code))
        return table, weights, rules

    def warm(self, conn: Conn) -> HotspotWeights:
        """Build the grid tier's weights and display layer (seconds, once per generation)."""
        weights = self.weights(conn)
        weights.for_tier(Tier.GRID)
        weights.display_geometry(Tier.GRID)
        return weights
