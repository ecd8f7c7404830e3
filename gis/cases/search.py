"""Case search: filters as typed fields; storage turns them into SQL, the connection's scope into the region."""

from __future__ import annotations

from gis.cases.models import Case
from gis.cases.query import CaseQuery, parse_bbox
from gis.storage import cases as store
from gis.storage.pool import Conn

__all__ = ["CaseQuery", "parse_bbox", "search_cases"]


def search_cases(conn: Conn, *, query: CaseQuery, pending_states: list[str], limit: int, offset: int
                 ) -> tuple[list[Case], int]:
    """Cases matching the query in the caller's region (the connection's scope), newest first; the total.

    ``overdue`` is the one definition (``fq_is_overdue``, schema 126).
    """
    return store.search_cases(conn, query=query, pending_states=pending_states, limit=limit, offset=offset)
