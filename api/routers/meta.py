"""`GET /api/v1/meta`: every label and set a client needs, read from the one place each is defined."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from api.deps import RulesDep, allow
from api.schemas import Meta
from gis.cases.models import PARTY_ROLE_LABELS, SEVERITY_LABELS, WARNING_LABELS
from gis.hotspots.levels import LEVELS, load_level_rules
from gis.models import TIER_LABELS, TIER_LAYERS
from gis.policy import PERSONAL_DATA_ROLES, ROLE_LABELS, RULES, Role
from gis.staff.orders import ORDER_ROLES, ORDER_STATUSES
from gis.staff.roster import DUTY_LABELS, STAFF_ROLE_LABELS

router = APIRouter(prefix="/api/v1", tags=["meta"])


def hotspot_levels() -> list[dict[str, str]]:
    """The hotspot layer's 蓝黄红 levels, highest first, with the labels and colours of data/hotspots/levels.toml."""
    rules = load_level_rules()
    return [{"code": code, "label": rules.label(code), "colour": rules.colour(code)} for code in LEVELS]


@router.get("/meta", dependencies=[allow("public")])
def meta(rules: RulesDep) -> Meta:
    """Labels and sets of the case loop, orders, roles, tiers and channels (clients never re-type them)."""
    workflow = rules.workflow
    body: dict[str, Any] = {
        "states": [{"code": code, "label": s.get("label", code), "open": workflow.is_open(code)}
                   for code, s in workflow.states.items()],
        "initial_state": workflow.initial,
        "open_states": workflow.open_states(),
        "actions": [asdict(a) for a in workflow.actions.values()],
        "order_statuses": [asdict(s) for s in ORDER_STATUSES.values()],
        "order_roles": ORDER_ROLES,
        "roles": {str(r): label for r, label in ROLE_LABELS.items()},
        "personal_data_roles": sorted(str(r) for r in PERSONAL_DATA_ROLES),
        "rules": [{"name": r.name, "roles": [str(x) for x in Role if r.admits(x)], "public": r.public,
                   "description": r.description} for r in RULES.values()],
        "tiers": [{"tier": int(t), "name": t.name.lower(), "label": label, "layer": TIER_LAYERS[t]}
                  for t, label in TIER_LABELS.items()],
        "severities": SEVERITY_LABELS,
        "warning_levels": WARNING_LABELS,
        "yellow_fraction": rules.routing.yellow_fraction,
        "party_roles": PARTY_ROLE_LABELS,
        "staff_roles": STAFF_ROLE_LABELS,
        "duty_statuses": DUTY_LABELS,
        "channels": [asdict(c) for c in rules.channels.channels.values()],
        "channel_groups": rules.channels.groups,
        "taxonomy_version": rules.taxonomy.version,
        "hotspot_levels": hotspot_levels(),
    }
    return Meta.model_validate(body)
