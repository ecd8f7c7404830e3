"""In-memory state as typed services that know what they were built from and refresh in every process.

Each service holds one immutable snapshot (an index, trees, rules) and swaps in a new one atomically:
readers always see a whole snapshot, and the old one keeps answering while the next builds. A change
reaches a service through ``Services.changed(topic)`` (a NOTIFY relayed by the process's listener) or
``Services.versions_seen(...)`` (the periodic version check); both only schedule work on a builder
thread, so the listener never blocks. No framework here: the API's lifespan builds and starts one
``Services`` object, the CLI and tests may use the same classes.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from gis.audit.chain import Sealer
from gis.cache import ByteBoundedCache
from gis.cases.book import CaseRules, load_rules
from gis.cases.sweeper import DeadlineSweeper
from gis.crs import gauss_kruger_epsg_for_lon
from gis.errors import Unavailable
from gis.figures import REFRESH_S, Figure, FigureCache, FigureKey
from gis.hotspots.levels import LevelRules, load_level_rules
from gis.hotspots.service import Hotspots
from gis.hotspots.weights import HotspotWeights
from gis.locate import LocateIndex
from gis.policy import SYSTEM
from gis.settings import DatabaseSettings
from gis.staff.recommend import Scoring, load_scoring, stale_cutoff
from gis.staff.spatial import Metric, StaffPoints
from gis.storage import areas
from gis.storage import staff as staff_store
from gis.storage.listen import ChangeListener, read_versions
from gis.storage.locate import load_index
from gis.storage.pool import Conn, Pool

TILE_CACHE_BYTES = 48 * 2**20  # boundary tiles kept in memory per process (least recently used go first)

log = logging.getLogger("fengqiao.services")
T = TypeVar("T")


@dataclass(frozen=True)
class Snapshot(Generic[T]):
    """What a service serves and the database version it was built from."""

    value: T
    version: int
    built_at: float = field(default_factory=time.monotonic)


class RefreshingService(Generic[T]):
    """A snapshot rebuilt on a background thread whenever the database version moves past it.

    ``request()`` is cheap and thread-safe: it marks the service dirty and wakes the builder, which
    reads the database's version (one small query) and builds only when it differs from the snapshot's
    or the snapshot is older than ``max_age_s``. Requests during a build collapse into one more check.
    Failures are logged and retried, while the last good snapshot keeps answering.
    """

    name = "service"
    debounce_s = 0.0  # wait this long after a change before building (coalesces floods of changes)
    max_age_s: float | None = None  # rebuild at least this often (state that ages without a write)

    def __init__(self, pool: Pool, build: Callable[[Conn], T]) -> None:
        self._pool = pool
        self._build = build
        self._snapshot: Snapshot[T] | None = None
        self._dirty = True
        self._wake = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name=f"fengqiao-{self.name}", daemon=True)
        self.last_error: str | None = None
        self.builds = 0

    @property
    def snapshot(self) -> Snapshot[T] | None:
        """The snapshot in use (None before the first successful build)."""
        return self._snapshot

    def current(self) -> T:
        """The value in use, or Unavailable (503) before the first build."""
        snap = self._snapshot
        if snap is None:
            raise Unavailable(f"the {self.name} is not loaded yet", reason=f"{self.name}_not_ready")
        return snap.value

    @property
    def version(self) -> int | None:
        """The version the snapshot in use was built from."""
        return self._snapshot.version if self._snapshot else None

    def start(self) -> None:
        """Start the builder thread (it builds at once)."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the builder thread."""
        with self._wake:
            self._stopped = True
            self._wake.notify_all()

    def request(self) -> None:
        """Check the database's version soon and rebuild if the snapshot is behind."""
        with self._wake:
            self._dirty = True
            self._wake.notify_all()

    def read_version(self, conn: Conn) -> int:
        """The version of the state this service is built from, as the database holds it now."""
        raise NotImplementedError

    def wait_current(self, timeout: float = 10.0) -> bool:
        """Block until the snapshot matches the database's version now (tests, drills, the CLI)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._pool.session(SYSTEM, timeout=5.0) as conn:
                if self._snapshot is not None and self.read_version(conn) == self._snapshot.version:
                    return True
            self.request()
            time.sleep(0.05)
        return False

    def build_now(self, conn: Conn) -> Snapshot[T]:
        """Build synchronously on the caller's connection and swap in (tests, the CLI)."""
        version = self.read_version(conn)
        snap = Snapshot(self._build(conn), version)
        self._snapshot = snap
        self.builds += 1
        return snap

    def _due(self, conn: Conn) -> bool:
        snap = self._snapshot
        if snap is None or self.read_version(conn) != snap.version:
            return True
        return self.max_age_s is not None and time.monotonic() - snap.built_at > self.max_age_s

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not self._stopped and not self._dirty:
                    self._wake.wait(5.0)
                if self._stopped:
                    return
                self._dirty = False
            if self.debounce_s and self._snapshot is not None:
                time.sleep(self.debounce_s)
            try:
                with self._pool.session(SYSTEM, timeout=5.0) as conn:
                    if not self._due(conn):
                        continue
                    snap = self.build_now(conn)
                self.last_error = None
                log.info("%s rebuilt at version %s", self.name, snap.version)
            except Exception as exc:  # keep the old snapshot; retry after a pause
                if self._stopped:  # the pool closed under us at shut-down
                    return
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("%s rebuild failed: %s", self.name, self.last_error)
                time.sleep(1.0)
                self.request()


class LocateService(RefreshingService[LocateIndex]):
    """The point -> grid chain index of the active generation; follows every activation."""

    name = "locate_index"

    def __init__(self, pool: Pool) -> None:
        super().__init__(pool, lambda conn: load_index(conn))

    def read_version(self, conn: Conn) -> int:
        """The active generation's id: answers name it, and cases are stamped with it."""
        return areas.get_generation(conn).id


class StaffService(RefreshingService[StaffPoints]):
    """Metric positions of every located staff member per role (KD-trees) for recommendations.

    Follows roster writes and position ingest; position floods are coalesced (``debounce_s``).
    """

    name = "staff_points"
    debounce_s = 0.5
    max_age_s = 60.0  # positions turn stale with time alone

    def __init__(self, pool: Pool, scoring: Scoring) -> None:
        self.scoring = scoring
        super().__init__(pool, self._points)

    def read_version(self, conn: Conn) -> int:
        """Roster and position writes both move the trees."""
        versions = read_versions(conn)
        return hash((versions.get("roster"), versions.get("positions"), versions.get("generation")))

    def _points(self, conn: Conn) -> StaffPoints:
        gen = areas.get_generation(conn)
        bbox = areas.generation_extent(conn, generation_id=gen.id) or (114.0, 0.0, 114.0, 0.0)
        metric = Metric(gauss_kruger_epsg_for_lon((bbox[0] + bbox[2]) / 2))
        return StaffPoints.build(metric, staff_store.located_staff(conn, stale_before=stale_cutoff(self.scoring)))


class HotspotService(RefreshingService[HotspotWeights]):
    """Hotspot weights of the active generation (seconds to build), recent answers and the level rules.

    Follows activations like the locate index: the builder thread has the grid tier ready before the first
    supervisor asks. A request that arrives first (or in a process started without the warm-up) builds the
    weights itself through ``state.weights``; both share one cache, so they are built once.
    """

    name = "hotspot_weights"

    def __init__(self, pool: Pool, levels: LevelRules) -> None:
        self.state = Hotspots(levels)
        super().__init__(pool, self.state.warm)

    def read_version(self, conn: Conn) -> int:
        """The active generation's id: the weights are its units' neighbours."""
        return areas.get_generation(conn).id


@dataclass(frozen=True)
class Rules:
    """Everything read from the county's rule files: the case loop, dispatch scoring, hotspot risk levels."""

    cases: CaseRules
    scoring: Scoring
    levels: LevelRules = field(default_factory=load_level_rules)


class Services:
    """The process's in-memory state, created once by the server (or a test) and started with it."""

    def __init__(self, pool: Pool, db: DatabaseSettings, rules: Rules | None = None, *,
                 sweep_every_s: float = 60.0, audit_key: bytes | None = None, warm_hotspots: bool = True,
                 figures_refresh_s: float = REFRESH_S) -> None:
        self.pool = pool
        self.warm_hotspots = warm_hotspots
        self.sealer = Sealer(pool, audit_key) if audit_key is not None else None
        self.rules = rules or Rules(load_rules(), load_scoring())
        self.locate = LocateService(pool)
        self.staff = StaffService(pool, self.rules.scoring)
        self.hotspots = HotspotService(pool, self.rules.levels)
        self.figures = FigureCache(refresh_s=figures_refresh_s)  # supervisors' figures per cut and version
        # Per-process state of the web layer, kept here so that it is typed and made once with the process:
        self.tile_cache = ByteBoundedCache(TILE_CACHE_BYTES)  # boundary tiles as sent (a generation never changes)
        self.figure_runs: dict[FigureKey, asyncio.Future[Figure]] = {}  # figure computations under way
        self.connection_gates: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Semaphore]] = {}  # pool turns
        self.row_security_enforced: bool | None = None  # asked of the database once, on the first scoped request
        self.sweeper = DeadlineSweeper(pool, lambda: self.rules.cases, every_s=sweep_every_s)
        self._event_listeners: list[Callable[[], None]] = []
        self.listener = ChangeListener(db, on_change=self.changed, on_versions=self.versions_seen,
                                       on_event=self.event_arrived)

    @property
    def refreshing(self) -> list[RefreshingService[Any]]:
        """The services that follow the database."""
        return [self.locate, self.staff]

    def start(self) -> None:
        """Begin building every service in the background."""
        for service in self.refreshing:
            service.start()
        self.sweeper.start()
        self.listener.start()
        if self.warm_hotspots:  # else the first hotspot request builds the weights
            self.hotspots.start()
        if self.sealer is not None:
            self.sealer.start()

    def wait_until_built(self, timeout: float) -> bool:
        """Block until every service has a snapshot and the listener listens (True), or the timeout passes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(s.snapshot is not None for s in self.refreshing) and self.listener.connected.is_set():
                return True
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        """Stop the listener, the builder threads and the sweeper."""
        self.listener.stop()
        self.sweeper.stop()
        for service in self.refreshing:
            service.stop()
        self.hotspots.stop()
        if self.sealer is not None:
            self.sealer.stop()

    # -- fed by the process's change listener --------------------------------------------------------------

    def changed(self, topic: str) -> None:
        """A change notification: schedule a rebuild of the services that follow it."""
        if topic == "generation":
            self.locate.request()
            self.hotspots.request()
        self.staff.request()  # roster, positions, and the metric zone and staff towns of the boundaries

    def versions_seen(self, versions: dict[str, int]) -> None:
        """The periodic check (notifications can be lost while disconnected): each service compares."""
        for service in (*self.refreshing, self.hotspots):
            service.request()

    def on_event(self, listener: Callable[[], None]) -> None:
        """Register a callback for new events (the live stream's hub)."""
        self._event_listeners.append(listener)

    def event_arrived(self) -> None:
        """New rows in the event log: wake every registered subscriber hub."""
        for listener in self._event_listeners:
            listener()

    def readiness(self) -> dict[str, tuple[bool, str]]:
        """Per service: ready, and a short description."""
        out: dict[str, tuple[bool, str]] = {}
        snap = self.locate.snapshot
        out["locate_index"] = (snap is not None,
                               f"{len(snap.value)} grids, generation {snap.value.generation_id}" if snap
                               else self.locate.last_error or "building")
        staff = self.staff.snapshot
        out["staff_points"] = (staff is not None, "ok" if staff else self.staff.last_error or "building")
        # Without the listener this process would not follow activations: not ready until it listens.
        out["change_listener"] = (self.listener.connected.is_set(), "listening" if self.listener.connected.is_set()
                                  else "connecting")
        return out
