"""The caller's region as the database sees it: per-transaction settings read by the policies of schema 110.

Every transaction of a request starts with ``SELECT set_config(..., true)`` (``SET LOCAL``): the role,
the town a town user is limited to, the user's id and staff code. A transaction that sets nothing sees
no case, party, staff member, position, order, event or audit row. Background work of the server (the
deadline sweep, the staff snapshots, the audit sealer) runs under ``SYSTEM``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg

SYSTEM_ROLE = "system"


@dataclass(frozen=True)
class DatabaseScope:
    """What the policies read: ``fengqiao.role``, ``fengqiao.town``, ``fengqiao.user``, ``fengqiao.staff``."""

    role: str
    town_code: str | None = None
    user_id: int | None = None
    staff_code: str | None = None


SYSTEM = DatabaseScope(SYSTEM_ROLE)

_SET = ("SELECT set_config('fengqiao.role', %s, true), set_config('fengqiao.town', %s, true),"
        " set_config('fengqiao.user', %s, true), set_config('fengqiao.staff', %s, true)")


def apply_scope(conn: psycopg.Connection[Any], scope: DatabaseScope) -> None:
    """Set the scope for the current transaction (opening one); it ends with the transaction."""
    conn.execute(_SET, (scope.role, scope.town_code or "", "" if scope.user_id is None else str(scope.user_id),
                        scope.staff_code or ""))


class ScopedConnection(psycopg.Connection[Any]):
    """A pooled connection that carries a request's scope into every transaction it opens.

    A route may commit and go on reading (or the error path may roll back and write its audit row):
    the scope is set again at once, so the next transaction is scoped too. ``release_scope`` before the
    connection goes back to the pool.
    """

    database_scope: DatabaseScope | None = None

    def use_scope(self, scope: DatabaseScope) -> None:
        """Scope this transaction and every later one until released."""
        self.database_scope = scope
        apply_scope(self, scope)

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
            apply_scope(self, self.database_scope)


@contextmanager
def scoped(conn: psycopg.Connection[Any], scope: DatabaseScope) -> Iterator[psycopg.Connection[Any]]:
    """Scope a pooled connection's transactions for a block, then release it (before it goes back to the pool)."""
    if not isinstance(conn, ScopedConnection):  # a plain connection (CLI, tests): scope this transaction only
        apply_scope(conn, scope)
        yield conn
        return
    conn.use_scope(scope)
    try:
        yield conn
    finally:
        conn.release_scope()
