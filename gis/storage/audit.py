"""Audit rows, their hash chain and checkpoints; read with filters for auditors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.rows import dict_row

from gis.storage.pool import Conn, translate_pg_errors

SEAL_LOCK = 727_201  # advisory lock: one sealer at a time across every server process
# The fields a row's hash covers, as text that does not depend on the session's time zone.
ROW_TEXT = ("concat_ws(E'\\x1f', a.id::text, (extract(epoch FROM a.at) * 1000000)::bigint::text,"
            " coalesce(a.user_id::text, ''), a.username, a.action, a.object_type, a.object_id, a.detail::text,"
            " a.client_ip, a.result)")


def try_seal_lock(conn: Conn) -> bool:
    """Take the sealer's transaction-level advisory lock if free."""
    with translate_pg_errors():
        row = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (SEAL_LOCK,)).fetchone()
    return bool(row and row[0])


def chain_head(conn: Conn) -> tuple[int, bytes] | None:
    """(seq, hash) of the last sealed row, or of the last purge checkpoint when every row was purged."""
    with translate_pg_errors():
        row = conn.execute("SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1").fetchone()
        if row is None:
            row = conn.execute("SELECT upto_seq, head_hash FROM audit_checkpoints WHERE kind = 'purge'"
                               " ORDER BY upto_seq DESC LIMIT 1").fetchone()
    return (int(row[0]), bytes(row[1])) if row else None


def database_identity(conn: Conn) -> tuple[str, int]:
    """The database's name and oid (a recreated or restored database of the same name has another oid)."""
    with translate_pg_errors():
        row = conn.execute("SELECT datname, oid::bigint FROM pg_database WHERE datname = current_database()").fetchone()
    assert row is not None
    return str(row[0]), int(row[1])


def purge_point(conn: Conn) -> tuple[int, bytes] | None:
    """(seq, head) of the last purge checkpoint: the chain continues from there."""
    with translate_pg_errors():
        row = conn.execute("SELECT upto_seq, head_hash FROM audit_checkpoints WHERE kind = 'purge'"
                           " ORDER BY upto_seq DESC LIMIT 1").fetchone()
    return (int(row[0]), bytes(row[1])) if row else None


def unsealed(conn: Conn, *, limit: int) -> list[tuple[int, str]]:
    """(id, canonical text) of committed audit rows not yet in the chain, oldest id first."""
    with translate_pg_errors():
        return [(int(i), str(t)) for i, t in conn.execute(
            f"SELECT a.id, {ROW_TEXT} FROM audit_log a WHERE NOT EXISTS"
            " (SELECT 1 FROM audit_chain c WHERE c.audit_id = a.id) ORDER BY a.id LIMIT %s", (limit,)).fetchall()]


def append_links(conn: Conn, links: list[tuple[int, int, bytes, bytes]]) -> None:
    """Insert chain links (seq, audit id, previous hash, hash)."""
    with translate_pg_errors(), conn.cursor() as cur:
        cur.executemany("INSERT INTO audit_chain (seq, audit_id, prev_hash, hash) VALUES (%s, %s, %s, %s)", links)


def add_checkpoint(conn: Conn, *, kind: str, upto_seq: int, head: bytes, signature: bytes) -> None:
    """A signed checkpoint (``seal`` after each batch)."""
    with translate_pg_errors():
        conn.execute("INSERT INTO audit_checkpoints (kind, upto_seq, head_hash, signature) VALUES (%s, %s, %s, %s)",
                     (kind, upto_seq, head, signature))


def chain_rows(conn: Conn) -> list[tuple[int, int, bytes, bytes, str | None]]:
    """Every link with its row's canonical text (None when the row is gone), in chain order."""
    with translate_pg_errors():
        return [(int(s), int(i), bytes(p), bytes(h), t) for s, i, p, h, t in conn.execute(
            f"SELECT c.seq, c.audit_id, c.prev_hash, c.hash, CASE WHEN a.id IS NULL THEN NULL ELSE {ROW_TEXT} END"
            " FROM audit_chain c LEFT JOIN audit_log a ON a.id = c.audit_id ORDER BY c.seq").fetchall()]


def checkpoints(conn: Conn) -> list[dict[str, Any]]:
    """Every checkpoint, oldest first."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT id, kind, upto_seq, head_hash, at, signature FROM audit_checkpoints"
                           " ORDER BY upto_seq, id").fetchall()


def rows_without_link(conn: Conn) -> int:
    """Audit rows older than a minute that the chain does not cover (the sealer is behind or a row was added)."""
    with translate_pg_errors():
        row = conn.execute("SELECT count(*) FROM audit_log a WHERE a.at < now() - interval '1 minute' AND NOT EXISTS"
                           " (SELECT 1 FROM audit_chain c WHERE c.audit_id = a.id)").fetchone()
    return int(row[0]) if row else 0


def purgeable_seq(conn: Conn, *, before: datetime) -> int | None:
    """The last seal checkpoint whose rows all predate ``before`` (whole sealed periods only)."""
    with translate_pg_errors():
        row = conn.execute(
            "SELECT max(k.upto_seq) FROM audit_checkpoints k WHERE k.kind = 'seal' AND NOT EXISTS"
            " (SELECT 1 FROM audit_chain c JOIN audit_log a ON a.id = c.audit_id"
            "  WHERE c.seq <= k.upto_seq AND a.at >= %s)", (before,)).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def link_hash(conn: Conn, *, seq: int) -> bytes | None:
    """The hash of one link."""
    with translate_pg_errors():
        row = conn.execute("SELECT hash FROM audit_chain WHERE seq = %s", (seq,)).fetchone()
    return bytes(row[0]) if row else None


def purge(conn: Conn, *, upto_seq: int, head: bytes, signature: bytes) -> int:
    """Remove everything sealed up to ``upto_seq`` through the one SQL function allowed to; rows removed."""
    with translate_pg_errors():
        row = conn.execute("SELECT audit_purge(%s, %s, %s)", (upto_seq, head, signature)).fetchone()
    return int(row[0]) if row else 0


def _prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(conn: Conn, *, since: datetime | None, until: datetime | None, username: str | None,
           action: str | None, result: str | None, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """Audit rows matching the filters, newest first, and the total."""
    clauses, params = ["TRUE"], []
    for sql_text, value in (("a.at >= %s", since), ("a.at < %s", until), ("a.username = %s", username),
                            ("a.action LIKE %s", _prefix(action) if action else None), ("a.result = %s", result)):
        if value is not None:
            clauses.append(sql_text)
            params.append(value)
    where = " AND ".join(clauses)
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT a.id, a.at, a.user_id, a.username, a.action, a.object_type, a.object_id, a.detail, a.client_ip,"
            f" a.result, c.seq AS chain_seq FROM audit_log a LEFT JOIN audit_chain c ON c.audit_id = a.id WHERE {where}"
            " ORDER BY a.at DESC, a.id DESC LIMIT %s OFFSET %s", (*params, limit, offset)).fetchall()
        total = conn.execute(f"SELECT count(*) FROM audit_log a WHERE {where}", params).fetchone()
    return rows, int(total[0]) if total else 0
