"""Generations (mapit-style): atomic activation, diffs with the cases they would move, audited relocation."""

from __future__ import annotations

from typing import Any

from gis.errors import InvalidInput, NotFound
from gis.models import Generation, User
from gis.storage import access
from gis.storage import areas as area_store
from gis.storage import boundaries as store
from gis.storage.pool import Conn


def activate(conn: Conn, *, ref: str | int, user: User | None) -> Generation:
    """Switch the active generation in one transaction; cases keep the generation they were located in."""
    target = area_store.get_generation(conn, ref=ref)
    generation = area_store.activate_generation(conn, generation_id=target.id)
    access.audit(conn, user=user, action="boundaries.activate", object_type="generation",
                 object_id=str(generation.id), detail={"name": generation.name})
    return generation


def diff_generations(conn: Conn, *, old: str | int, new: str | int) -> dict[str, Any]:
    """Grids added, removed and changed, and the open cases that would land elsewhere."""
    a, b = area_store.get_generation(conn, ref=old), area_store.get_generation(conn, ref=new)
    grids = store.diff_grids(conn, old=a.id, new=b.id)
    moves = store.case_moves(conn, from_generation=a.id, to_generation=b.id)
    return {
        "old": a.name, "new": b.name,
        "grids": {k: len(v) for k, v in grids.items()}, "details": grids,
        "open_cases_moving": {
            "grid": sum(m["new_grid"] != m["old_grid"] for m in moves),
            "village": sum(m["new_village"] != m["old_village"] for m in moves),
            "town": sum(m["new_town"] != m["old_town"] for m in moves),
        },
        "cases": moves,
    }


def relocate_cases(conn: Conn, *, user: User | None, to: str | int | None = None) -> list[dict[str, Any]]:
    """Move open cases of older generations onto the active one; one audit record per case moved.

    Parameters
    ----------
    conn : Conn
        Connection; the caller commits.
    user : User or None
        Who asked (None: the command line), for the audit log.
    to : str or int, optional
        The generation the caller means to move cases to; refused unless it is the active one, so a
        relocation never races an activation.

    Raises
    ------
    InvalidInput
        With reason ``generation_not_active`` when ``to`` names another generation.
    """
    active = area_store.get_generation(conn)
    if to is not None:
        target = area_store.get_generation(conn, ref=to)
        if target.id != active.id:
            raise InvalidInput(f"generation {target.name!r} is not the active one ({active.name!r}); activate it "
                               "first: cases move only to the active generation", reason="generation_not_active")
    moved = store.relocate_open_cases(conn, to_generation=active.id)
    for row in moved:
        access.audit(conn, user=user, action="case.relocate", object_type="case", object_id=str(row["id"]),
                     detail={"from_generation": row["old_generation"], "to_generation": active.id,
                             "old_grid": row["old_grid"], "new_grid": row["new_grid"]})
    return moved


def generation_report(conn: Conn, *, ref: str | int) -> dict[str, Any]:
    """The validation report stored with a generation when its load was committed.

    Raises
    ------
    NotFound
        Unknown generation, or (reason ``no_report``) one made otherwise than by a boundary load.
    """
    generation = area_store.get_generation(conn, ref=ref)
    stored = store.get_report(conn, generation_id=generation.id)
    if stored is None:
        raise NotFound(f"generation {generation.name!r} was not made by a boundary load: no report",
                       reason="no_report")
    return stored
