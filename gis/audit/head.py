"""The audit chain's head, signed and kept outside the database, so that a cut-off end is detected.

The database can prove that what it holds is unchanged (gis.audit.chain.verify), not that nothing was cut
from its end: removing the newest rows with their links and checkpoints leaves a shorter chain that still
verifies, and the database's owner can do that. So the sealer signs the chain's head (database, position,
hash, time) with HMAC under the server's key after every sealing and at least once per heartbeat, replaces
a file outside the database with it (``AuditSettings.head_path``) and logs it (logger ``fengqiao.audit.head``,
which reaches the system log). ``verify_head`` compares the database with the latest head: a head beyond the
chain's end is a truncation, another hash at its position a rewrite, an old head a stopped sealer or an old
head put back. The sealer never publishes a head that does not extend the last one it knows, so a truncated
chain is not blessed by a fresh head: it logs an error and leaves the evidence in place.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from gis.audit.findings import GENESIS, Finding
from gis.settings import AuditSettings
from gis.storage import audit as store
from gis.storage.pool import Conn

log = logging.getLogger("fengqiao.audit.head")
VERSION = 1


def _b64(raw: bytes) -> str:
    # base64 rather than hex: the log redaction masks long digit runs, which hex hashes often contain
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class SignedHead:
    """The chain's head as the sealer saw it: database, last position, its hash, when; and the signature."""

    database: str
    instance: int  # the database's oid: another database of the same name is not this one
    seq: int
    head: bytes
    at: datetime
    signature: bytes = b""

    def _message(self) -> bytes:
        parts = ("fengqiao-audit-head", str(VERSION), self.database, str(self.instance), str(self.seq),
                 _b64(self.head), self.at.isoformat())
        return ":".join(parts).encode()

    def signed(self, key: bytes) -> SignedHead:
        """The same head with its HMAC-SHA256 signature."""
        return replace(self, signature=hmac.new(key, self._message(), hashlib.sha256).digest())

    def genuine(self, key: bytes) -> bool:
        """True when the signature is the server key's."""
        return hmac.compare_digest(self.signed(key).signature, self.signature)

    def to_json(self) -> str:
        """One line of JSON (the file's content and the log record)."""
        return json.dumps({"version": VERSION, "database": self.database, "instance": self.instance, "seq": self.seq,
                           "head": _b64(self.head), "at": self.at.isoformat(), "signature": _b64(self.signature)},
                          ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> SignedHead:
        """Parse ``to_json``'s output; ValueError for anything else."""
        try:
            body = json.loads(text)
            if body.get("version") != VERSION:
                raise ValueError("unknown head version")
            at = datetime.fromisoformat(body["at"])
            if at.tzinfo is None:
                raise ValueError("the head's time has no time zone")
            return cls(str(body["database"]), int(body["instance"]), int(body["seq"]), _unb64(body["head"]), at,
                       _unb64(body["signature"]))
        except (KeyError, TypeError, AttributeError, ValueError) as exc:  # JSON and base64 errors are ValueErrors
            raise ValueError(f"not an audit head: {exc}") from exc


def read_head(path: Path) -> SignedHead | None:
    """The head in ``path``; None when there is no file, ValueError when it is not a head."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc}") from exc
    return SignedHead.from_json(text.strip())


def write_head(path: Path, head: SignedHead) -> None:
    """Replace the head file atomically (a reader sees the old head or the new one, never half)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(partial, "w", encoding="utf-8") as out:
        out.write(head.to_json() + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)


def chain_end(conn: Conn) -> tuple[int, bytes]:
    """(position, hash) of the chain's end in the database; (0, GENESIS) before the first seal."""
    return store.chain_head(conn) or (0, GENESIS)


def compare(conn: Conn, head: SignedHead) -> list[Finding]:
    """What the database's chain says about a genuine head: nothing when the chain contains it."""
    end, end_hash = chain_end(conn)
    when = head.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if head.seq > end:
        return [Finding("truncated", f"审计日志末尾被截断：外部签名头（{when}）记到第 {head.seq} 条，"
                                     f"数据库中的链只到第 {end} 条（第 {end + 1}–{head.seq} 条已被删除）", end + 1)]
    found = end_hash if head.seq == end else store.link_hash(conn, seq=head.seq)
    if found is None:
        purged = store.purge_point(conn)
        if purged is not None and head.seq < purged[0]:
            return []  # removed by a signed purge (retention), not cut off
        found = purged[1] if purged is not None and head.seq == purged[0] else GENESIS if head.seq == 0 else None
    if found is None:
        return [Finding("truncated", f"外部签名头（{when}）记到的第 {head.seq} 条链接已不在数据库中", head.seq)]
    if found != head.head:
        return [Finding("rewritten", f"审计链第 {head.seq} 条与外部签名头（{when}）不一致：末尾被截断后重新封存，"
                                     "或链被改写", head.seq)]
    return []


def verify_head(conn: Conn, *, key: bytes, settings: AuditSettings, now: datetime | None = None
                ) -> tuple[list[Finding], SignedHead | None]:
    """Compare the database's chain with the latest external head: findings, and the head read."""
    database, instance = store.database_identity(conn)
    path = settings.head_path(database)
    try:
        head = read_head(path)
    except ValueError as exc:
        return [Finding("head_invalid", f"外部签名头 {path} 无法读取：{exc}")], None
    if head is None:
        if chain_end(conn)[0] == 0:
            return [], None  # nothing sealed yet
        return [Finding("head_missing", f"没有外部签名头（{path}）：无法确认审计日志末尾未被截断；"
                                        "检查封存程序是否以同一设置运行，或文件是否被删除")], None
    if not head.genuine(key):
        return [Finding("head_invalid", f"外部签名头 {path} 的签名无效")], None
    if (head.database, head.instance) != (database, instance):
        return [Finding("head_invalid", f"外部签名头 {path} 属于另一个数据库（{head.database}，实例 {head.instance}；"
                                        f"本库实例 {instance}）：数据库被重建或恢复过")], None
    findings = compare(conn, head)
    age_s = ((now or datetime.now(UTC)) - head.at).total_seconds()
    if age_s > settings.stale_after_s:
        findings.append(Finding("head_stale", f"外部签名头已 {age_s / 60:.0f} 分钟未更新（心跳每 "
                                              f"{settings.heartbeat_s / 60:g} 分钟一次）：封存程序未运行，"
                                              "或签名头被换回旧的", head.seq))
    return findings, head


class HeadKeeper:
    """Publishes the signed head after sealing and on every heartbeat, never going backwards."""

    def __init__(self, key: bytes, settings: AuditSettings) -> None:
        self._key, self.settings = key, settings
        self._last: SignedHead | None = None  # survives the file's removal while the process lives
        self._lock = threading.Lock()
        self._complained = 0.0
        _log_to_stderr_when_unconfigured()

    def publish(self, conn: Conn, *, now: datetime | None = None) -> SignedHead | None:
        """Write and log the chain's head when it moved or the heartbeat is due; the head written, else None.

        Refuses (and logs an error) when the chain no longer contains the last known head.
        """
        with self._lock:
            database, instance = store.database_identity(conn)
            path = self.settings.head_path(database)
            try:
                on_file = read_head(path)
            except ValueError as exc:
                log.error("audit head %s unreadable (%s): writing a new one", path, exc)
                on_file = None
            known = list(dict.fromkeys(  # the file's head and the one this process last wrote (usually the same)
                h for h in (on_file, self._last)
                if h is not None and (h.database, h.instance) == (database, instance) and h.genuine(self._key)))
            if on_file is not None and on_file not in known:
                log.warning("audit head %s is not this database's (forged, or the database was recreated or"
                            " restored): replacing it; the previous head was %s", path, on_file.to_json())
            for head in known:
                findings = compare(conn, head)
                if findings:
                    self._complain(findings)
                    return None
            end, end_hash = chain_end(conn)
            at = now or datetime.now(UTC)
            if (on_file is not None and on_file in known and (on_file.seq, on_file.head) == (end, end_hash)
                    and (at - on_file.at).total_seconds() < self.settings.heartbeat_s):
                return None  # unchanged, and the heartbeat is not due
            new = SignedHead(database, instance, end, end_hash, at).signed(self._key)
            write_head(path, new)
            self._last = new
            log.info("audit head %s", new.to_json())
            return new

    def _complain(self, findings: list[Finding]) -> None:
        if time.monotonic() - self._complained < self.settings.heartbeat_s and self._complained:
            return
        self._complained = time.monotonic()
        for finding in findings:
            log.error("audit chain does not contain the signed head (%s): %s", finding.reason, finding.message)


def _log_to_stderr_when_unconfigured() -> None:
    """Heads reach the system log (stderr under systemd) even when nothing configured logging for INFO."""
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO)
    if not log.hasHandlers():
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        log.addHandler(handler)
