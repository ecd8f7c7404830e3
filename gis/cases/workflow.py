"""The case loop as an explicit, data-driven state machine."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gis.errors import Conflict, InvalidInput

# Actions that move a case towards resolution: a case in a state they start from is still pending.
PENDING_ACTIONS = ("triage", "accept", "resolve", "escalate")


@dataclass(frozen=True)
class Action:
    """A move between states."""

    name: str
    label: str
    from_states: tuple[str, ...]
    to_state: str
    requires: tuple[str, ...] = ()
    effect: str | None = None


@dataclass(frozen=True)
class Workflow:
    """States (with labels, open or not) and actions."""

    initial: str
    states: dict[str, dict[str, Any]]
    actions: dict[str, Action] = field(default_factory=dict)

    def is_open(self, state: str) -> bool:
        """Open cases count for deadlines, warnings and nearby-case matching."""
        return bool(self.states[state].get("open", False))

    def open_states(self) -> list[str]:
        """Every open state."""
        return [s for s in self.states if self.is_open(s)]

    def pending_states(self) -> list[str]:
        """Open states before resolution: those the moves towards 办结 start from (triage, accept, resolve, escalate).

        A case in one of them whose deadline has passed is overdue (SQL ``fq_is_overdue``, schema 126).
        """
        states = {s for name in PENDING_ACTIONS if name in self.actions for s in self.actions[name].from_states}
        return sorted(s for s in states if self.is_open(s))

    def allowed(self, state: str) -> list[str]:
        """Actions that may start from a state."""
        return [a.name for a in self.actions.values() if state in a.from_states]

    def check(self, state: str, action_name: str, fields: dict[str, Any]) -> Action:
        """The action to apply, or a Conflict naming the state and what is allowed from it."""
        action = self.actions.get(action_name)
        if action is None:
            raise InvalidInput(f"unknown action {action_name!r}; actions: {sorted(self.actions)}",
                               reason="unknown_action")
        if state not in action.from_states:
            raise Conflict(f"cannot {action_name} a case that is {state}", reason="illegal_transition",
                           state=state, allowed=self.allowed(state))
        missing = [f for f in action.requires if fields.get(f) in (None, "")]
        if missing:
            raise InvalidInput(f"{action_name} requires {', '.join(missing)}", reason="missing_field",
                               missing=missing)
        return action


def load_workflow(path: Path) -> Workflow:
    """Read and check a workflow file (every action's states must exist)."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot read the workflow: {exc}", reason="bad_workflow") from exc
    states = {str(k): dict(v) for k, v in doc["states"].items()}
    actions = {}
    for raw in doc.get("actions", []):
        action = Action(str(raw["name"]), str(raw.get("label", raw["name"])), tuple(raw["from"]), str(raw["to"]),
                        tuple(raw.get("requires", ())), raw.get("effect"))
        unknown = [s for s in (*action.from_states, action.to_state) if s not in states]
        if unknown:
            raise InvalidInput(f"{path}: action {action.name} names unknown states {unknown}", reason="bad_workflow")
        actions[action.name] = action
    if doc["initial"] not in states:
        raise InvalidInput(f"{path}: unknown initial state {doc['initial']!r}", reason="bad_workflow")
    return Workflow(str(doc["initial"]), states, actions)
