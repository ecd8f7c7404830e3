"""Background traffic for the fault drills: operators reading cases and tiles, and a readiness prober."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

import httpx

from drills.writer import Attempt, CaseWriter


@dataclass(frozen=True)
class Sample:
    """One request of the background traffic."""

    kind: str
    started: float
    latency: float
    status: int  # 0: no HTTP answer
    retry_after: str | None

    @property
    def ended(self) -> float:
        """Monotonic time the answer (or the failure) came."""
        return self.started + self.latency


@dataclass
class Traffic:
    """Reader threads (list, open, tiles) and a /readyz prober running next to a CaseWriter."""

    base_url: str
    token: str
    writer: CaseWriter
    tiles: list[tuple[int, int, int]]
    readers: int = 2
    timeout_s: float = 10.0
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Traffic:
        """Start readers and the prober."""
        for n in range(self.readers):
            self._spawn(self._read_loop, n)
        self._spawn(self._probe_loop, 0)
        return self

    def stop(self) -> None:
        """Stop and join."""
        self._stop.set()
        for thread in self._threads:
            thread.join(self.timeout_s * 2)

    def _spawn(self, target: object, n: int) -> None:
        thread = threading.Thread(target=target, args=(n,), daemon=True)  # type: ignore[arg-type]
        thread.start()
        self._threads.append(thread)

    def _record(self, kind: str, client: httpx.Client, path: str) -> None:
        t0 = time.monotonic()
        try:
            response = client.get(path)
            status, retry_after = response.status_code, response.headers.get("retry-after")
        except httpx.HTTPError:
            status, retry_after = 0, None
        with self._lock:
            self.samples.append(Sample(kind, t0, time.monotonic() - t0, status, retry_after))

    def _read_loop(self, n: int) -> None:
        rng = random.Random(n)
        with httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {self.token}"},
                          timeout=self.timeout_s) as client:
            while not self._stop.is_set():
                self._record("list", client, "/api/v1/cases?limit=20")
                ids = list(self.writer.acked.values())[-20:]
                if ids:
                    self._record("open", client, f"/api/v1/cases/{rng.choice(ids)}")
                z, x, y = rng.choice(self.tiles)
                self._record("tile", client, f"/tiles/grids/{z}/{x}/{y}.pbf")
                self._stop.wait(0.05)

    def _probe_loop(self, _: int) -> None:
        with httpx.Client(base_url=self.base_url, timeout=self.timeout_s) as client:
            while not self._stop.is_set():
                self._record("readyz", client, "/readyz")
                self._stop.wait(0.2)

    def all_requests(self) -> list[Sample]:
        """Reader and prober samples plus the writer's attempts, as samples."""
        with self._lock:
            samples = list(self.samples)
        return samples + [_from_attempt(a) for a in list(self.writer.attempts)]


def _from_attempt(a: Attempt) -> Sample:
    return Sample("create", a.started, a.latency, a.status, a.retry_after)


def first_success_after(samples: list[Sample], t: float, kinds: tuple[str, ...] = ("create", "list", "open")
                        ) -> float | None:
    """Seconds from ``t`` to the first 2xx answer of a request started after ``t``."""
    ends = [s.ended for s in samples if s.kind in kinds and s.started >= t and 200 <= s.status < 300]
    return min(ends) - t if ends else None


def wait_for_success(traffic: Traffic, t: float, timeout: float) -> float | None:
    """Block until service is back after ``t`` (or the timeout); returns the recovery time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = first_success_after(traffic.all_requests(), t)
        if found is not None:
            return found
        time.sleep(0.1)
    return None
