"""The pages' JavaScript never retypes a state, status or role code that /api/v1/meta serves: it reads them."""

from __future__ import annotations

import re
from pathlib import Path

from api.routers.meta import meta
from gis.cases.book import load_rules

STATIC = Path(__file__).resolve().parent.parent / "maps" / "static"
QUOTED = re.compile(r"""(["'`])([a-z][a-z0-9_]*)\1""")


def served_codes() -> set[str]:
    """Every state, order status, duty status and role code the meta document serves."""
    body = meta(load_rules())
    return ({s["code"] for s in body.states} | {s["code"] for s in body.order_statuses} | set(body.duty_statuses)
            | set(body.order_roles) | set(body.roles) | set(body.staff_roles) | set(body.party_roles))


def literal_codes(text: str, codes: set[str]) -> list[str]:
    """Quoted strings (single, double, back-ticks; attribute values inside templates too) that are codes."""
    return [m.group(2) for m in QUOTED.finditer(text) if m.group(2) in codes]


def test_no_page_script_holds_a_code_the_server_serves() -> None:
    codes = served_codes()
    assert {"registered", "dispatched", "cancelled", "lead", "operator", "mediator", "applicant"} <= codes
    scripts = [p for p in STATIC.rglob("*.js") if "vendor" not in p.relative_to(STATIC).parts]
    assert len(scripts) > 10
    found = {f"{p.relative_to(STATIC)}: {code}" for p in scripts
             for code in literal_codes(p.read_text(encoding="utf-8"), codes)}
    assert found == set()


def test_the_scan_sees_codes_in_code_and_in_templates() -> None:
    codes = served_codes()
    sample = """if (o.role === "lead") x = 'cancelled'; html`<option value="assist">`; y = "lead_time";"""
    assert literal_codes(sample, codes) == ["lead", "cancelled", "assist"]
