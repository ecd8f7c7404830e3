"""The caller's scope as the database sees it: per-transaction settings read by the policies of schema 110/150.

Every transaction of a pooled connection starts with ``SELECT set_config(..., true)`` (``SET LOCAL``): the
role, the region (an area code of any tier), the town when the region is one town (what ``fq_town()`` reads),
the user's id and staff code. A transaction that sets nothing sees no case, party, staff member, position,
order, event or audit row. Background work of the server (the deadline sweep, the staff snapshots, the audit
sealer) runs under ``SYSTEM``. The scope itself is decided in gis.policy; storage only carries it and derives
index-friendly predicates from it (``case_region``): a hint that can only narrow what the policies allow.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from gis.policy import ANONYMOUS, SYSTEM, DatabaseScope

__all__ = ["ANONYMOUS", "SYSTEM", "DatabaseScope", "ScopedConnection", "apply_scope", "case_region", "scope_of",
           "scoped"]

_SET = ("SELECT set_config('fengqiao.role', %s, true), set_config('fengqiao.region', %s, true),"
        " set_config('fengqiao.town', %s, true), set_config('fengqiao.user', %s, true),"
        " set_config('fengqiao.staff', %s, true)")
_SCOPE_ATTR = "database_scope"


def apply_scope(conn: psycopg.Connection[Any], scope: DatabaseScope) -> None:
    """Set the scope for the current transaction (opening one); it ends with the transaction."""
    conn.execute(_SET, (scope.role, scope.region or "", scope.town_code or "",
                        "" if scope.user_id is None else str(scope.user_id), scope.staff_code or ""))


def scope_of(conn: psycopg.Connection[Any]) -> DatabaseScope | None:
    """The scope a connection's transactions run under (None: not known here, e.g. the owner's CLI connection)."""
    scope = getattr(conn, _SCOPE_ATTR, None)
    return scope if isinstance(scope, DatabaseScope) else None


def case_region(conn: psycopg.Connection[Any], alias: str = "c") -> tuple[str, tuple[Any, ...]]:
    """An index-friendly condition on ``<alias>.town_code`` for the connection's region, and its parameters.

    Only a hint for the planner (``cases_town_idx``): the region policy on ``cases`` decides which rows are
    seen either way, and the hint names exactly the town the policy allows, so it never widens anything.
    Regions of other tiers (a county, a city) and callers without a region get ``TRUE``: the policy alone.
    """
    scope = scope_of(conn)
    if scope is None or scope.town_code is None:
        return "TRUE", ()
    return f"{alias}.town_code = %s", (scope.town_code,)


class ScopedConnection(psycopg.Connection[Any]):
    """A pooled connection that carries one scope into every transaction it opens.

    A unit of work may commit and go on reading (or the error path may roll back and write its audit row):
    the scope is set again at once, so the next transaction is scoped too. The pool releases the scope
    before the connection goes back.
    """

    database_scope: DatabaseScope | None = None

    def use_scope(self, scope: DatabaseScope) -> None:
        """Scope this transaction and every later one until released."""
        self.database_scope = scope
        self._apply(scope)

    def release_scope(self) -> None:
        """Transactions opened from now on are unscoped (they see none of the policed rows)."""
        self.database_scope = None

    def commit(self) -> None:
        """Commit, then scope the next transaction."""
        super().commit()
        self._rescope()

    def rollback(self) -> None:
        """Roll back, then scope the next transaction."""
        super().rollback()
        self._rescope()

    def _rescope(self) -> None:
        if self.database_scope is not None and not self.closed and not self.broken:
            self._apply(self.database_scope)

    def _apply(self, scope: DatabaseScope) -> None:
        # Between transactions every setting is empty, which is what ANONYMOUS reads: no round trip for it.
        if scope != ANONYMOUS or self.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            apply_scope(self, scope)


@contextmanager
def scoped(conn: psycopg.Connection[Any], scope: DatabaseScope) -> Iterator[psycopg.Connection[Any]]:
    """Scope a connection's transactions for a block (CLI and tests: a plain connection, this transaction)."""
    if not isinstance(conn, ScopedConnection):
        apply_scope(conn, scope)
        setattr(conn, _SCOPE_ATTR, scope)
        try:
            yield conn
        finally:
            setattr(conn, _SCOPE_ATTR, None)
        return
    previous = conn.database_scope
    conn.use_scope(scope)
    try:
        yield conn
    finally:
        conn.database_scope = previous
