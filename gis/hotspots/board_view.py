"""The overdue and 督办 board as a person reads it: Chinese words beside every code, names accepted as filters.

The board's rows (gis/hotspots/overdue.py) carry codes; here each code gets its label in the next field
(``status`` -> ``status_label``, ``town_code`` -> ``town_name`` ...), read from the one place each is defined
(the workflow file, the taxonomy, the active boundaries, gis/models.py). Which cases are on the board, and
when a case is overdue, is decided elsewhere (the case loop), not here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gis.cases.models import WARNING_LABELS
from gis.cases.taxonomy import Taxonomy
from gis.cases.workflow import Workflow
from gis.errors import InvalidInput
from gis.hotspots.units import UnitTable, parse_tier
from gis.models import TIER_LABELS, Tier

SUPERVISION_LABELS = {"yellow": "黄色督办", "red": "红色督办"}
# The columns of the board's downloads, in reading order (the JSON rows carry more).
OVERDUE_COLUMNS = ("case_no", "title", "category_name", "town_name", "village_name", "tier_label", "handling_unit",
                   "status_label", "warning_label", "overdue", "created_at", "due_at", "supervisions")
SUPERVISION_COLUMNS = ("at", "supervision_label", "reason", "case_no", "title", "category_name", "town_name",
                       "village_name", "tier_label", "handling_unit", "status_label", "due_at")


def _name(units: UnitTable, tier: Tier, code: Any) -> str | None:
    table = units.of(tier)
    i = table.index.get(str(code)) if code else None
    return str(table.names[i]) if i is not None else None


def labelled(items: Iterable[dict[str, Any]], *, workflow: Workflow, taxonomy: Taxonomy, units: UnitTable
             ) -> list[dict[str, Any]]:
    """The rows with a Chinese label beside each code they carry (codes kept for machines)."""
    out = []
    for item in items:
        row = dict(item)
        if "status" in row:
            row["status_label"] = workflow.states.get(row["status"], {}).get("label", row["status"])
        if "category_code" in row:
            category = taxonomy.categories.get(str(row["category_code"]))
            row["category_name"] = category.name if category else row["category_code"]
        if "warning_level" in row:
            row["warning_label"] = WARNING_LABELS.get(str(row["warning_level"]), row["warning_level"])
        if row.get("handling_tier") in set(Tier):
            row["tier_label"] = TIER_LABELS[Tier(row["handling_tier"])]
        if "town_code" in row:
            row["town_name"] = _name(units, Tier.TOWN, row["town_code"])
        if "village_code" in row:
            row["village_name"] = _name(units, Tier.VILLAGE, row["village_code"])
        if "level" in row and "reason" in row:  # a supervision record
            row["supervision_label"] = SUPERVISION_LABELS.get(str(row["level"]), row["level"])
        out.append(row)
    return out


def town_filter(value: str | None, units: UnitTable) -> str | None:
    """A town picked by code or by name (永合镇), or 422 ``town_not_found``."""
    if not value:
        return None
    towns = units.of(Tier.TOWN)
    if value in towns.index:
        return value
    named = [str(code) for code, name in zip(towns.codes, towns.names, strict=True) if str(name) == value]
    if len(named) == 1:
        return named[0]
    raise InvalidInput(f"没有这个乡镇（街道）：{value[:40]}（请用现行边界中的名称或代码）", reason="town_not_found")


def category_filter(value: str | None, taxonomy: Taxonomy) -> str | None:
    """A category (class or item) picked by code or by name, or 422 ``unknown_category``."""
    if not value:
        return None
    if value in taxonomy.categories:
        return value
    named = sorted(code for code, c in taxonomy.categories.items() if c.name == value)
    if named:
        return named[0]  # a class and an item sharing a name: the class (it holds the item)
    raise InvalidInput(f"没有这个纠纷类别：{value[:40]}（请用分类表中的名称或代码）", reason="unknown_category")


def tier_filter(values: Iterable[str]) -> tuple[int, ...]:
    """Handling tiers by number (4), name (grid) or Chinese label (网格); anything else 422 ``bad_tier``."""
    by_label = {label: tier for tier, label in TIER_LABELS.items()}
    out = []
    for value in values:
        if value.isascii() and value.isdigit():
            out.append(int(value))
        elif value in by_label:
            out.append(int(by_label[value]))
        elif value.isascii():
            out.append(int(parse_tier(value)))
        else:
            raise InvalidInput(f"没有这个办理层级：{value[:20]}（可用：{'、'.join(by_label)}）", reason="bad_tier")
    return tuple(out)
