"""Moving cases through the loop: transitions, escalation up the tiers, deadline warnings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gis.cases.book import CaseRules
from gis.cases.models import Case
from gis.errors import Conflict, InvalidInput, NotFound
from gis.locate import ChainLevel
from gis.models import User
from gis.notify.triggers import on_warning
from gis.storage import areas, events
from gis.storage import cases as store
from gis.storage import dispatch as orders_store
from gis.storage.pool import Conn


@dataclass(frozen=True)
class TransitionRequest:
    """An action on a case with the fields some actions require."""

    action: str
    note: str = ""
    satisfaction: int | None = None
    duplicate_of: int | None = None


def apply_transition(conn: Conn, *, rules: CaseRules, case_id: int, user: User, request: TransitionRequest,
                     now: datetime | None = None) -> Case:
    """Apply one action under a row lock; illegal moves are a Conflict naming the state."""
    now = now or datetime.now(UTC)
    with conn.transaction():
        case = store.get_case(conn, case_id=case_id, for_update=True)
        action = rules.workflow.check(case.status, request.action, request.__dict__)
        changes: dict[str, Any] = {"status": action.to_state}
        detail: dict[str, Any] = {}
        if request.satisfaction is not None:
            if not 1 <= request.satisfaction <= 5:
                raise InvalidInput("satisfaction is 1-5", reason="invalid_satisfaction")
            changes["satisfaction"] = request.satisfaction
        if action.name == "mark_duplicate":
            changes["duplicate_of"] = _check_duplicate(conn, case, request.duplicate_of)
            detail["duplicate_of"] = changes["duplicate_of"]
        if action.effect == "tier_up":
            changes.update(_tier_up(conn, rules, case, now))
            detail["handling_tier"] = changes["handling_tier"]
        if not rules.workflow.is_open(action.to_state):
            changes["closed_at"] = now
            ended = _end_orders(conn, case, action.to_state, rules.workflow.states[action.to_state])
            if ended:
                detail["orders_ended"] = ended
        store.update_case(conn, case_id=case.id, **changes)
        store.insert_transition(conn, case_id=case.id, action=action.name, from_state=case.status,
                                to_state=action.to_state, note=request.note, detail=detail, actor_id=user.id,
                                actor_name=user.username, at=now)
        events.append_event(conn, kind="case.transition", town_code=case.town_code, payload={
            "case_id": case.id, "action": action.name, "from": case.status, "to": action.to_state})
        return store.get_case(conn, case_id=case.id)


def _end_orders(conn: Conn, case: Case, state: str, state_info: dict[str, Any]) -> list[int]:
    """End the case's active orders with it (closed, returned, duplicate): staff slots free, phones and consoles told.

    The code is ``case_<state>`` (case_closed, case_returned, case_duplicate); the sentence names the state's label.
    """
    label = str(state_info.get("label", state))
    ended = orders_store.end_case_orders(conn, case_id=case.id, end_reason=f"case_{state}",
                                         reason=f"案件状态变为“{label}”，派单随之撤销")
    for order in ended:
        events.append_event(conn, kind="dispatch.status", town_code=case.town_code, payload={
            "dispatch_id": order["id"], "case_id": order["case_id"], "staff_code": order["staff_code"],
            "role": order["role"], "status": order["status"], "end_reason": order["end_reason"]})
    return [int(o["id"]) for o in ended]


def _check_duplicate(conn: Conn, case: Case, other_id: int | None) -> int:
    if other_id is None or other_id == case.id:
        raise InvalidInput("duplicate_of must name another case", reason="invalid_duplicate")
    # Only a case of the same town qualifies; any other id is "not found", so foreign ids are not enumerable.
    other = store.get_case(conn, case_id=other_id)
    if other.town_code != case.town_code:
        raise NotFound(f"case {other_id} not found", reason="case_not_found")
    return other.id


def _tier_up(conn: Conn, rules: CaseRules, case: Case, now: datetime) -> dict[str, Any]:
    """Hand the case to the next tier up ("小事不出村、大事不出镇": the county is the last stop)."""
    if case.handling_tier <= 1:
        raise Conflict("the case is already handled by the county", reason="top_tier", state=case.status)
    tier = case.handling_tier - 1
    rows = areas.chain_for_code(conn, generation_id=case.generation_id, code=case.grid_code)
    chain = tuple(ChainLevel(c, n, t) for c, n, t in rows)
    category = rules.taxonomy.get(case.category_code)
    route = rules.routing.route(chain, category, case.severity, tier=tier, start=now)
    return {"handling_tier": route.tier, "handling_unit": route.unit, "due_at": route.due_at,
            "warning_level": "none"}


def sweep_deadlines(conn: Conn, *, rules: CaseRules, now: datetime | None = None) -> dict[str, int]:
    """Yellow once the configured share of the time is used, red when overdue; each with a 督办 record.

    With ``auto_escalate_on_red`` the case also moves one tier up.
    """
    now = now or datetime.now(UTC)
    counts = {"yellow": 0, "red": 0, "escalated": 0}
    with conn.transaction():
        for case in store.open_cases_due(conn, open_states=rules.workflow.open_states()):
            level = _warning(rules, case, now)
            if level == "none" or level == case.warning_level == "red":
                continue
            reason = "已超期" if level == "red" else f"办理时限已用{rules.routing.yellow_fraction:.0%}"
            if store.insert_supervision(conn, case_id=case.id, level=level, reason=reason,
                                        handling_tier=case.handling_tier, at=now):
                counts[level] += 1
                on_warning(conn, case=case, level=level, reason=reason)
                events.append_event(conn, kind="case.warning", town_code=case.town_code,
                                    payload={"case_id": case.id, "level": level})
            if level != case.warning_level:
                store.update_case(conn, case_id=case.id, warning_level=level)
            if level == "red" and rules.routing.auto_escalate_on_red and case.handling_tier > 1:
                store.update_case(conn, case_id=case.id, **_tier_up(conn, rules, case, now))
                store.insert_transition(conn, case_id=case.id, action="auto_escalate", from_state=case.status,
                                        to_state=case.status, note=reason, detail={}, actor_id=None,
                                        actor_name="system", at=now)
                counts["escalated"] += 1
    return counts


def _warning(rules: CaseRules, case: Case, now: datetime) -> str:
    if now >= case.due_at:
        return "red"
    used = (now - case.created_at) / (case.due_at - case.created_at)
    return "yellow" if used >= rules.routing.yellow_fraction else "none"


def related_cases(conn: Conn, *, rules: CaseRules, case: Case) -> dict[str, list[dict[str, Any]]]:
    """Open cases of the same class nearby and in the time window, and cases sharing a party, in the region.

    The region is the connection's scope: a match elsewhere is not even hinted at.
    """
    category = rules.taxonomy.get(case.category_code)
    return {
        "nearby": store.nearby_open(conn, case=case, open_states=rules.workflow.open_states(),
                                    radius_m=rules.routing.related_radius_m,
                                    window_days=rules.routing.related_window_days, class_code=category.class_code),
        "same_party": store.repeat_party_cases(conn, case_id=case.id),
    }
