"""A writer that posts cases through the API and records every acknowledgement.

Each logical case has its own Idempotency-Key and a description naming that key. On an error or
a lost answer the writer retries the same key (as a well-behaved client would, after a short
pause), so the drills can check both that no acknowledged case is lost and that none is stored twice.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

import httpx

CATEGORY = "0101"


@dataclass(frozen=True)
class Attempt:
    """One HTTP attempt: when it started (monotonic), how long it took, what came back."""

    key: str
    started: float
    latency: float
    status: int  # 0: no HTTP answer (connection error or client timeout)
    retry_after: str | None
    case_id: int | None


def case_body(key: str, grid_code: str) -> dict[str, object]:
    """The POST /api/v1/cases body of a drill case (the key is in the description)."""
    return {"category": CATEGORY, "source_channel": "hotline_12345", "description": f"drill case {key}",
            "grid_code": grid_code, "severity": "medium"}


@dataclass
class CaseWriter:
    """Threads posting cases until stopped; ``acked`` maps Idempotency-Key to case id."""

    base_url: str
    token: str
    grids: list[str]
    prefix: str = "w"
    threads: int = 2
    timeout_s: float = 10.0
    max_attempts: int = 60
    pause_s: float = 0.0
    acked: dict[str, int] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)
    abandoned: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _workers: list[threading.Thread] = field(default_factory=list)

    def start(self) -> CaseWriter:
        """Start the writing threads."""
        for n in range(self.threads):
            worker = threading.Thread(target=self._loop, args=(n,), daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def stop(self) -> None:
        """Stop after each thread's current case (an unacknowledged case is abandoned)."""
        self._stop.set()
        for worker in self._workers:
            worker.join(self.timeout_s * 3)

    def created(self) -> int:
        """How many attempts were answered 201."""
        with self._lock:
            return sum(1 for a in self.attempts if a.status == 201)

    def _loop(self, n: int) -> None:
        rng = random.Random(n)
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=self.timeout_s) as client:
            i = 0
            while not self._stop.is_set():
                key = f"{self.prefix}-{n}-{i}"
                self.post_until_acked(client, key, case_body(key, rng.choice(self.grids)))
                i += 1
                if self.pause_s:
                    time.sleep(self.pause_s)

    def post_until_acked(self, client: httpx.Client, key: str, body: dict[str, object]) -> int | None:
        """POST with the same key until 201/200 (or give up); returns the case id."""
        for _ in range(self.max_attempts):
            attempt = post_case(client, key, body)
            with self._lock:
                self.attempts.append(attempt)
                if attempt.case_id is not None:
                    self.acked[key] = attempt.case_id
            if attempt.case_id is not None:
                return attempt.case_id
            if attempt.status and attempt.status < 500:
                break  # refused (4xx): retrying will not help
            if self._stop.wait(0.2):
                break
        with self._lock:
            self.abandoned.append(key)
        return None


def post_case(client: httpx.Client, key: str, body: dict[str, object]) -> Attempt:
    """One POST /api/v1/cases with an Idempotency-Key."""
    t0 = time.monotonic()
    try:
        response = client.post("/api/v1/cases", json=body, headers={"Idempotency-Key": key})
    except httpx.HTTPError:
        return Attempt(key, t0, time.monotonic() - t0, 0, None, None)
    case_id = response.json()["id"] if response.status_code in (200, 201) else None
    return Attempt(key, t0, time.monotonic() - t0, response.status_code, response.headers.get("retry-after"),
                   case_id)
