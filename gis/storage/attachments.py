"""Storage of attachments, every query under the case's row security (schema 127).

A case the caller cannot read has, for them, no attachments, and none can be added to it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.rows import dict_row

from gis.errors import NotFound
from gis.storage.pool import Conn, translate_pg_errors

META_COLUMNS = (
    "a.id, a.case_id, a.dispatch_id, a.uploaded_by, a.uploader_name, a.content_type, a.size_bytes,"
    " encode(a.sha256, 'hex') AS sha256, a.exif_lon, a.exif_lat, a.exif_taken_at, a.created_at"
)


def visible_case(conn: Conn, *, case_id: int) -> bool:
    """True when the caller may read the case (the cases policy decides)."""
    with translate_pg_errors():
        return conn.execute("SELECT 1 FROM cases WHERE id = %s", (case_id,)).fetchone() is not None


def by_client_key(conn: Conn, *, user_id: int, client_key: str) -> dict[str, Any] | None:
    """The caller's earlier upload with this key (a retry after a lost answer)."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(f"SELECT {META_COLUMNS} FROM attachments a WHERE a.uploaded_by = %s"
                           " AND a.client_key = %s", (user_id, client_key)).fetchone()


def insert(conn: Conn, *, case_id: int, dispatch_id: int | None, user_id: int, uploader_name: str,
           content_type: str, content: bytes, sha256: bytes, exif_lon: float | None, exif_lat: float | None,
           exif_taken_at: datetime | None, client_key: str | None) -> dict[str, Any]:
    """Store one attachment; returns its metadata."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            "INSERT INTO attachments (case_id, dispatch_id, uploaded_by, uploader_name, content_type, size_bytes,"
            " sha256, content, exif_lon, exif_lat, exif_taken_at, client_key)"
            " VALUES (%s, %s, %s, coalesce((SELECT nullif(u.display, '') FROM users u WHERE u.id = %s), %s),"
            " %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (case_id, dispatch_id, user_id, user_id, uploader_name, content_type, len(content), sha256, content,
             exif_lon, exif_lat, exif_taken_at, client_key)).fetchone()
    assert row is not None
    return metadata(conn, attachment_id=int(row["id"]))


def metadata(conn: Conn, *, attachment_id: int) -> dict[str, Any]:
    """One attachment's metadata; NotFound when it does not exist or its case is outside the caller's view."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(f"SELECT {META_COLUMNS} FROM attachments a WHERE a.id = %s", (attachment_id,)).fetchone()
    if row is None:
        raise NotFound(f"attachment {attachment_id} not found", reason="attachment_not_found")
    return row


def content(conn: Conn, *, attachment_id: int) -> tuple[dict[str, Any], bytes]:
    """Metadata and bytes of one attachment (NotFound as for ``metadata``)."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(f"SELECT {META_COLUMNS}, a.content FROM attachments a WHERE a.id = %s",
                          (attachment_id,)).fetchone()
    if row is None:
        raise NotFound(f"attachment {attachment_id} not found", reason="attachment_not_found")
    data = bytes(row.pop("content"))
    return row, data


def of_case(conn: Conn, *, case_id: int) -> list[dict[str, Any]]:
    """Metadata of a case's attachments, oldest first."""
    with translate_pg_errors(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(f"SELECT {META_COLUMNS} FROM attachments a WHERE a.case_id = %s ORDER BY a.id",
                           (case_id,)).fetchall()


def order_case(conn: Conn, *, dispatch_id: int) -> int | None:
    """The case of an order the caller can see (None otherwise)."""
    with translate_pg_errors():
        row = conn.execute("SELECT case_id FROM dispatch_orders WHERE id = %s", (dispatch_id,)).fetchone()
    return int(row[0]) if row else None
