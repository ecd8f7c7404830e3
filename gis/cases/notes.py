"""Progress notes on a case, written on the phone (queued while offline) or in the centre."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gis.errors import Conflict, InvalidInput, NotFound
from gis.models import User
from gis.storage import attachments as attachment_store
from gis.storage import field as store
from gis.storage.pool import Conn


def add_note(conn: Conn, *, case_id: int, dispatch_id: int | None, user: User, body: str, client_key: str | None,
             written_at: datetime | None) -> tuple[dict[str, Any], bool]:
    """Store a note on a case the caller may read (NotFound otherwise); (note, created).

    A repeated ``client_key`` of the same author returns the first note when the text is the same.
    """
    text = body.strip()
    if not text:
        raise InvalidInput("the note is empty", reason="note_empty")
    if written_at is not None and written_at.tzinfo is None:
        raise InvalidInput("written_at needs a time zone", reason="naive_time")
    if not attachment_store.visible_case(conn, case_id=case_id):
        raise NotFound(f"case {case_id} not found", reason="case_not_found")
    if dispatch_id is not None and attachment_store.order_case(conn, dispatch_id=dispatch_id) != case_id:
        raise NotFound(f"dispatch order {dispatch_id} not found on case {case_id}", reason="dispatch_not_found")
    if client_key is not None:
        earlier = store.note_by_client_key(conn, author_id=user.id, client_key=client_key)
        if earlier is not None:
            if earlier["body"] != text or earlier["case_id"] != case_id:
                raise Conflict("this client_key was used for another note", reason="client_key_reused")
            return earlier, False
    return store.insert_note(conn, case_id=case_id, dispatch_id=dispatch_id, author_id=user.id,
                             author_name=user.username, body=text, client_key=client_key,
                             written_at=written_at), True


def notes_of_case(conn: Conn, *, case_id: int) -> list[dict[str, Any]]:
    """A case's notes (NotFound when the caller may not read the case)."""
    if not attachment_store.visible_case(conn, case_id=case_id):
        raise NotFound(f"case {case_id} not found", reason="case_not_found")
    return store.case_notes(conn, case_id=case_id)
