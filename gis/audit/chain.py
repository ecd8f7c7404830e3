"""The audit hash chain: a sealer links committed rows in order; ``verify`` recomputes every link.

Writers never wait for each other: each request inserts its audit row in its own transaction. A
sealer (one per cluster at a time, by advisory lock) runs every second, takes committed rows not yet
linked, and appends links ``hash = SHA-256(prev_hash || row text)`` in sealing order, then a
checkpoint signing the new head with HMAC (a key the database does not hold). Changing a row breaks
its link; removing one leaves its link pointing at nothing; removing links breaks the sequence or the
signed head. A purge (gis.audit.retention) leaves a signed ``purge`` checkpoint the chain continues from.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from dataclasses import dataclass, field

from gis.audit.findings import GENESIS, Finding
from gis.audit.head import HeadKeeper, SignedHead, verify_head
from gis.policy import SYSTEM
from gis.settings import AuditSettings
from gis.storage import audit as store
from gis.storage.pool import Conn, Pool

log = logging.getLogger("fengqiao.audit")
BATCH = 5000


def link(prev: bytes, row_text: str) -> bytes:
    """The hash of one link."""
    return hashlib.sha256(prev + row_text.encode()).digest()


def sign(key: bytes, kind: str, upto_seq: int, head: bytes) -> bytes:
    """A checkpoint's signature."""
    return hmac.new(key, f"{kind}:{upto_seq}:".encode() + head, hashlib.sha256).digest()


def seal_once(conn: Conn, *, key: bytes) -> int:
    """Link the committed rows not yet in the chain; the number linked (0 when another sealer holds the lock)."""
    with conn.transaction():
        if not store.try_seal_lock(conn):
            return 0
        rows = store.unsealed(conn, limit=BATCH)
        if not rows:
            return 0
        head = store.chain_head(conn)
        seq, prev = head if head else (0, GENESIS)
        links = []
        for audit_id, text in rows:
            seq += 1
            digest = link(prev, text)
            links.append((seq, audit_id, prev, digest))
            prev = digest
        store.append_links(conn, links)
        store.add_checkpoint(conn, kind="seal", upto_seq=seq, head=prev, signature=sign(key, "seal", seq, prev))
    return len(links)


@dataclass
class Verification:
    """What ``verify`` found: ok, how many links it checked, and each problem by sequence number."""

    checked: int = 0
    problems: list[Finding] = field(default_factory=list)
    purged_upto: int | None = None
    unsealed: int = 0
    head: SignedHead | None = None  # the external head compared (verify_with_head)

    @property
    def ok(self) -> bool:
        """True when nothing was changed or removed."""
        return not self.problems

    def add(self, reason: str, message: str, seq: int | None = None) -> None:
        """Record a problem."""
        self.problems.append(Finding(reason, message, seq))


def verify(conn: Conn, *, key: bytes) -> Verification:
    """Recompute the chain from the last purge checkpoint (or the start) and check every signed checkpoint.

    What the database alone can prove; a cut-off end with its checkpoints needs the external head too
    (gis.audit.head.verify_head).
    """
    out = Verification()
    marks = store.checkpoints(conn)
    for mark in marks:
        if not hmac.compare_digest(bytes(mark["signature"]), sign(key, mark["kind"], mark["upto_seq"],
                                                                   bytes(mark["head_hash"]))):
            out.add("bad_signature", f"检查点 {mark['id']}（{mark['kind']}，第 {mark['upto_seq']} 条）签名无效",
                    mark["upto_seq"])
    purges = [m for m in marks if m["kind"] == "purge"]
    seq, prev = 0, GENESIS
    if purges:
        seq, prev = purges[-1]["upto_seq"], bytes(purges[-1]["head_hash"])
        out.purged_upto = seq
    heads = {m["upto_seq"]: bytes(m["head_hash"]) for m in marks if m["kind"] == "seal"}
    for link_seq, audit_id, link_prev, link_hash, text in store.chain_rows(conn):
        seq += 1
        if link_seq != seq:
            out.add("links_missing", f"第 {seq}–{link_seq - 1} 条链接缺失", seq)
            seq = link_seq
        if link_prev != prev:
            out.add("broken_link", f"第 {link_seq} 条链接未接续上一条", link_seq)
        if text is None:
            out.add("row_removed", f"第 {link_seq} 条链接的审计记录 {audit_id} 已被删除", link_seq)
        elif link(link_prev, text) != link_hash:
            out.add("row_changed", f"第 {link_seq} 条链接的审计记录 {audit_id} 已被改动", link_seq)
        if link_seq in heads and heads[link_seq] != link_hash:
            out.add("checkpoint_mismatch", f"第 {link_seq} 条链接与签名检查点不一致", link_seq)
        prev = link_hash
        out.checked += 1
    if heads and max(heads) > seq:
        out.add("tail_removed", f"第 {seq + 1}–{max(heads)} 条链接已被删除（签名检查点记到第 {max(heads)} 条）",
                seq + 1)
    out.unsealed = store.rows_without_link(conn)
    return out


def verify_with_head(conn: Conn, *, key: bytes, settings: AuditSettings) -> Verification:
    """``verify``, and the chain compared with the latest head kept outside the database (truncation, staleness)."""
    out = verify(conn, key=key)
    findings, out.head = verify_head(conn, key=key, settings=settings)
    out.problems.extend(findings)
    return out


def report(out: Verification, settings: AuditSettings) -> dict[str, object]:
    """The machine-readable form (``--json``, the API)."""
    head = out.head
    return {"ok": out.ok, "checked": out.checked, "purged_upto": out.purged_upto,
            "unsealed_older_than_a_minute": out.unsealed,
            "head": None if head is None else {"seq": head.seq, "at": head.at.isoformat(),
                                               "path": str(settings.head_path(head.database))},
            "problems": [p.as_dict() for p in out.problems[:100]]}


class Sealer:
    """The background thread that seals every second and keeps the signed head outside the database.

    Safe with several server processes (one seals at a time; each keeps the head it last published).
    """

    def __init__(self, pool: Pool, key: bytes, interval_s: float = 1.0, settings: AuditSettings | None = None
                 ) -> None:
        self._pool, self._key, self._interval = pool, key, interval_s
        self.head = HeadKeeper(key, settings or AuditSettings())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="fengqiao-audit-sealer", daemon=True)
        self.sealed = 0

    def start(self) -> None:
        """Begin sealing."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current batch."""
        self._stop.set()

    def seal_now(self) -> int:
        """Seal synchronously and publish the head when it moved or the heartbeat is due (tests, the CLI)."""
        with self._pool.session(SYSTEM, timeout=5.0) as conn:
            linked = seal_once(conn, key=self._key)
            self.head.publish(conn)
            return linked

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.sealed += self.seal_now()
            except Exception as exc:  # the next round retries; rows wait unsealed meanwhile
                log.warning("audit sealing failed: %s", exc)
