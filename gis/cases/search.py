"""Case search: filters as typed fields; storage turns them into SQL, the connection's scope into the region."""

from __future__ import annotations

import dataclasses
import re

from gis.cases.models import Case
from gis.cases.privacy import id_number_hash, phone_hash
from gis.cases.query import CaseQuery, parse_bbox
from gis.crypto import keys as crypto_keys
from gis.storage import cases as store
from gis.storage.pool import Conn

__all__ = ["CaseQuery", "parse_bbox", "search_cases"]

ID_NUMBER = re.compile(r"^[0-9]{15}$|^[0-9]{17}[0-9Xx]$")
PHONE = re.compile(r"^[+0-9][0-9 -]{5,18}$")


def search_cases(conn: Conn, *, query: CaseQuery, pending_states: list[str], limit: int, offset: int
                 ) -> tuple[list[Case], int]:
    """Cases matching the query in the caller's region (the connection's scope), newest first; the total.

    ``overdue`` is the one definition (``fq_is_overdue``, schema 126).
    """
    text = (query.text or "").strip()
    if text and query.personal:  # numbers are kept encrypted: they are found by their keyed hash
        key = crypto_keys().party
        compact = text.replace(" ", "")
        query = dataclasses.replace(
            query, text=text,
            id_hash=id_number_hash(compact, key=key) if ID_NUMBER.match(compact) else None,
            phone_hash=phone_hash(text, key=key) if not ID_NUMBER.match(compact) and PHONE.match(text) else None)
    else:
        query = dataclasses.replace(query, text=text or None)
    return store.search_cases(conn, query=query, pending_states=pending_states, limit=limit, offset=offset)
