"""The supervisors' figures (rankings, hotspots, unit and staff statistics) computed once per period.

An answer is filed under the figure, its parameters and the caller's cut (role and town: what row security lets
them count and what ``gis.stats_cut`` lets them see), with the data version it was computed at
(``gis.storage.stats.cases_version``: moves when any writer in any process commits a case change) and the time.
It answers while it is current: the same version and younger than ``period_s`` (relative windows such as "the
last 30 days" move with the clock). Once a new case has moved the version it still answers until it is
``refresh_s`` old, so that under a steady stream of new cases each figure is computed at most once per
``refresh_s`` per cut instead of once per request (the supervisors' figures must not starve the operators):
figures follow new cases within ``refresh_s``. Bounded by the bytes it holds, least recently used first.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

PERIOD_S = 60.0
REFRESH_S = 10.0
MAX_BYTES = 64 * 1024 * 1024

FigureKey = tuple[Hashable, ...]


@dataclass(frozen=True)
class Figure:
    """One rendered answer: the body as sent, its media type and headers (a download's file name)."""

    body: bytes
    media_type: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Cut:
    """Whose view an answer is: the role and the town (None: county-wide) decide what is counted and shown."""

    role: str | None
    town_code: str | None


@dataclass(frozen=True)
class _Stored:
    figure: Figure
    version: Hashable
    computed_at: float


class FigureCache:
    """Rendered figures by key; safe to share between threads. ``hits``/``misses`` count the lookups."""

    def __init__(self, max_bytes: int = MAX_BYTES, period_s: float = PERIOD_S, refresh_s: float = REFRESH_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_bytes = max_bytes
        self.period_s = period_s
        self.refresh_s = refresh_s
        self.nbytes = 0
        self.hits = 0
        self.misses = 0
        self.clock = clock
        self._items: OrderedDict[FigureKey, _Stored] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    @staticmethod
    def key(name: str, params: tuple[Hashable, ...], *, cut: Cut) -> FigureKey:
        """The key of a figure for a caller's cut."""
        return (name, params, cut.role, cut.town_code)

    def get(self, key: FigureKey, version: Hashable) -> Figure | None:
        """The stored answer if it still answers at ``version`` now (see the module's rule), or None."""
        now = self.clock()
        with self._lock:
            stored = self._items.get(key)
            age = now - stored.computed_at if stored is not None else 0.0
            if stored is None or age >= self.period_s or (stored.version != version and age >= self.refresh_s):
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return stored.figure

    def put(self, key: FigureKey, figure: Figure, *, version: Hashable, computed_at: float) -> None:
        """Keep an answer computed at ``version`` from ``computed_at`` (``clock()`` read before computing).

        One larger than a quarter of the budget is not kept (it would empty the cache).
        """
        size = len(figure.body)
        if size > self.max_bytes // 4:
            return
        with self._lock:
            old = self._items.get(key)
            if old is not None and old.computed_at > computed_at:
                return  # a later computation got there first
            if old is not None:
                del self._items[key]
                self.nbytes -= len(old.figure.body)
            self._items[key] = _Stored(figure, version, computed_at)
            self.nbytes += size
            while self.nbytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self.nbytes -= len(dropped.figure.body)
