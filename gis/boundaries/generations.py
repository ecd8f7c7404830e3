"""Generations (mapit-style): atomic activation, diffs with the cases they would move, audited relocation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gis.cases.settings import CaseSettings
from gis.cases.workflow import load_workflow
from gis.errors import Conflict, Forbidden, InvalidInput, NotFound
from gis.models import Generation, User
from gis.policy import may_activate, town_change_allowed
from gis.progress import Progress
from gis.settings import ActivationSettings
from gis.storage import access
from gis.storage import activation as activation_store
from gis.storage import areas as area_store
from gis.storage import boundaries as store
from gis.storage.pool import Conn

BATCH = 500  # cases planned and moved per statement


def open_states() -> list[str]:
    """The county workflow's open states (data/workflow/case_workflow.toml): only open cases follow boundaries."""
    settings = CaseSettings()
    return load_workflow(settings.workflow_dir / "case_workflow.toml").open_states()


def activate(conn: Conn, *, ref: str | int, user: User | None, override: bool = False) -> Generation:
    """Switch the active generation in one transaction; cases keep the generation they were located in.

    Who may activate which change is ``gis.policy.may_activate``: a town-scoped user only a generation that
    changes nothing outside their town; county-wide GIS staff, admins and the command line any. A switch
    that removes more than the configured share of the active grids, or leaves part of the county in no
    grid, needs ``override`` (see ``activation_preview``).

    Raises
    ------
    Forbidden
        With reason ``outside_town`` when a town user's activation would change other towns or the county.
    Conflict
        With reason ``activation_needs_override`` when the guard trips and ``override`` is False.
    """
    target = area_store.get_generation(conn, ref=ref)
    if user is not None and user.town_code is not None:
        check_town_change(conn, target=target, town_code=user.town_code)
    elif not may_activate(user, changed_towns=set()):
        raise Forbidden("只有地理信息管理员或系统管理员可以启用区划版本", reason="outside_town",
                        generation=target.name)
    guard = _guard(conn, target)
    if guard["needs_override"] and not override:
        raise Conflict(f"启用版本 {target.name!r} 需要明确确认：" + "；".join(guard["override_reasons_zh"])
                       + "。确认无误后请加 --override（网页上勾选确认）", reason="activation_needs_override",
                       generation=target.name, override_reasons=guard["override_reasons"])
    generation = area_store.activate_generation(conn, generation_id=target.id)
    access.audit(conn, user=user, action="boundaries.activate", object_type="generation",
                 object_id=str(generation.id), detail={"name": generation.name, "override": override,
                                                       "override_reasons": guard["override_reasons"]})
    return generation


def _active_or_none(conn: Conn) -> Generation | None:
    try:
        return area_store.get_generation(conn)
    except NotFound:
        return None


def _guard(conn: Conn, target: Generation) -> dict[str, Any]:
    """Grids removed and county left uncovered by switching to ``target``, and whether that needs an override."""
    settings = ActivationSettings()
    active = _active_or_none(conn)
    grids_active = activation_store.tier_count(conn, generation_id=active.id, tier=4) if active else 0
    removed = 0
    if active is not None and active.id != target.id:
        removed = sum(1 for c in activation_store.area_changes(conn, old=active.id, new=target.id)
                      if c["tier"] == 4 and c["change"] == "removed")
    removed_share = removed / grids_active if grids_active else 0.0
    uncovered = activation_store.uncovered_share(conn, generation_id=target.id)
    reasons, text = [], []
    if removed_share > settings.activation_max_removed_share:
        reasons.append("removes_grids")
        text.append(f"将删除启用版本 {grids_active:,} 个网格中的 {removed:,} 个（{removed_share:.1%}，"
                    f"超过 {settings.activation_max_removed_share:.0%}）")
    if uncovered > settings.activation_max_uncovered_share:
        reasons.append("uncovered")
        text.append(f"县域有 {uncovered:.1%} 的面积不在任何网格内")
    return {"grids_active": grids_active, "grids_removed": removed, "removed_share": round(removed_share, 4),
            "uncovered_share": round(uncovered, 4), "needs_override": bool(reasons), "override_reasons": reasons,
            "override_reasons_zh": text}


def activation_preview(conn: Conn, *, ref: str | int, user: User | None) -> dict[str, Any]:
    """What activating ``ref`` would change, for the confirmation GIS staff read before switching.

    Areas added, removed and changed per tier (with names), open cases that would move grid or fall
    outside every grid, staff whose territory disappears, the override guard, and whether ``user`` may do it.
    """
    target = area_store.get_generation(conn, ref=ref)
    active = _active_or_none(conn)
    changes: list[dict[str, Any]] = []
    moving: dict[str, Any] = {"open_cases_moving": {"grid": 0, "village": 0, "town": 0}, "open_cases_unplaced": 0,
                              "cases": [], "unplaced": []}
    staff: list[dict[str, Any]] = []
    if active is not None and active.id != target.id:
        changes = activation_store.area_changes(conn, old=active.id, new=target.id)
        diff = diff_generations(conn, old=active.id, new=target.id)
        moving = {k: diff[k] for k in moving}
        staff = activation_store.staff_losing_territory(conn, old=active.id, new=target.id)
    tiers = {str(t): {kind: sum(1 for c in changes if c["tier"] == t and c["change"] == kind)
                      for kind in ("added", "removed", "changed")} for t in (1, 2, 3, 4)}
    towns = _changed_towns(changes)
    allowed = may_activate(user, changed_towns=towns if active is not None else {None})
    return {"generation": target.name, "generation_id": target.id, "active": active.name if active else None,
            "is_active": target.is_active, "tiers": tiers, "changes": changes[:2000], "changes_total": len(changes),
            **moving, "staff": staff, **_guard(conn, target), "may_activate": allowed,
            "changed_towns": sorted(t for t in towns if t is not None),
            "county_wide": None in towns}


def _changed_towns(changes: list[dict[str, Any]]) -> set[str | None]:
    """The towns a set of changes touches; None stands for the county and the towns' own outlines."""
    towns: set[str | None] = set()
    for c in changes:
        if c["tier"] <= 2:
            towns.add(None)
        else:
            towns |= {c["old_town"], c["new_town"]} - {None}
    return towns


def check_town_change(conn: Conn, *, target: Generation, town_code: str) -> None:
    """Refuse (Forbidden, ``outside_town``) unless every area the switch changes lies in ``town_code``.

    Changed villages and grids must belong to the town in both generations; the county and the towns
    themselves (their outlines, names and codes) are the county centre's to change.
    """
    active = _active_or_none(conn)
    if active is not None and active.id == target.id:
        return
    if active is None:
        raise Forbidden(f"没有启用中的区划版本：只有县级地理信息管理员可以启用版本 {target.name!r}",
                        reason="outside_town", generation=target.name)
    changes = store.changed_areas(conn, old=active.id, new=target.id)
    if town_change_allowed(town_code, changed_towns=_changed_towns(changes)):
        return
    outside = [c for c in changes if c["tier"] <= 2 or {c["old_town"], c["new_town"]} - {None} != {town_code}]
    examples = ", ".join(f"{c['code']}（第 {c['tier']} 级）" for c in outside[:5])
    raise Forbidden(f"版本 {target.name!r} 会改动本镇（{town_code}）以外的区划：{len(outside)} 处，"
                    f"例如 {examples}；只能由县级地理信息管理员启用", reason="outside_town", generation=target.name,
                    outside=len(outside))


def diff_generations(conn: Conn, *, old: str | int, new: str | int) -> dict[str, Any]:
    """Grids added, removed and changed, the open cases that would land elsewhere, and those that cannot land.

    Cases located by grid code follow their code when the new generation keeps it, else the new grid
    covering most of their old grid; cases located by a point follow the point.
    """
    a, b = area_store.get_generation(conn, ref=old), area_store.get_generation(conn, ref=new)
    grids = store.diff_grids(conn, old=a.id, new=b.id)
    ids = store.relocation_candidates(conn, to_generation=b.id, from_generation=a.id, open_states=open_states())
    plan = [row for start in range(0, len(ids), BATCH)
            for row in store.plan_relocations(conn, to_generation=b.id, case_ids=ids[start:start + BATCH])]
    placed = [r for r in plan if r["new_grid"] is not None]
    moves = [r for r in placed if (r["new_grid"], r["new_village"], r["new_town"]) != (
        r["old_grid"], r["old_village"], r["old_town"])]
    unplaced = [r for r in plan if r["new_grid"] is None]
    return {
        "old": a.name, "new": b.name,
        "grids": {k: len(v) for k, v in grids.items()}, "details": grids,
        "open_cases_moving": {
            "grid": sum(m["new_grid"] != m["old_grid"] for m in moves),
            "village": sum(m["new_village"] != m["old_village"] for m in moves),
            "town": sum(m["new_town"] != m["old_town"] for m in moves),
        },
        "open_cases_unplaced": len(unplaced),
        "cases": [_public(m) for m in moves],
        "unplaced": [_public(u) for u in unplaced],
    }


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "status"}


@dataclass(frozen=True)
class Relocation:
    """What a relocation did: cases moved, and open cases no grid of the active generation can take."""

    moved: list[dict[str, Any]]
    unplaced: list[dict[str, Any]]


def relocate_cases(conn: Conn, *, user: User | None, to: str | int | None = None, dry_run: bool = False,
                   progress: Progress | None = None) -> Relocation:
    """Move open cases of older generations onto the active one, each move in the case's timeline and audited.

    A case located by a point follows the point; one located by grid code follows its code when the active
    generation keeps it, else goes to the grid covering most of its old grid (``relocated_by``:
    ``grid_overlap``). A case no grid can take stays where it is and is listed in ``unplaced``.

    Parameters
    ----------
    conn : Conn
        Connection; the caller commits.
    user : User or None
        Who asked (None: the command line), for the timeline and the audit log.
    to : str or int, optional
        The generation the caller means to move cases to; refused unless it is the active one, so a
        relocation never races an activation.
    dry_run : bool
        Plan only: ``moved`` lists what would move, nothing is written.
    progress : callable, optional
        Called as ``progress("relocating cases", done, total)`` after each batch.

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
    ids = store.relocation_candidates(conn, to_generation=active.id, open_states=open_states())
    moved: list[dict[str, Any]] = []
    unplaced: list[dict[str, Any]] = []
    for start in range(0, len(ids), BATCH):
        plan = store.plan_relocations(conn, to_generation=active.id, case_ids=ids[start:start + BATCH])
        unplaced += [_public(r) for r in plan if r["new_grid"] is None]
        placed = [r for r in plan if r["new_grid"] is not None]
        if dry_run:
            moved += [_public(r) for r in placed]
        else:
            moved += store.apply_relocations(conn, to_generation=active.id, rows=placed, open_states=open_states(),
                                             actor_id=user.id if user else None,
                                             actor_name=user.username if user else "cli", generation_name=active.name)
        if progress is not None:
            progress("relocating cases", min(start + BATCH, len(ids)), len(ids))
    if not dry_run:
        for row in moved:
            access.audit(conn, user=user, action="case.relocate", object_type="case", object_id=str(row["id"]),
                         detail={"from_generation": row["old_generation"], "to_generation": active.id,
                                 "old_grid": row["old_grid"], "new_grid": row["new_grid"],
                                 "relocated_by": row["how"]})
    return Relocation(moved, unplaced)


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
