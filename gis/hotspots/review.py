"""Use cases of the weekly meeting: 考核 figures with names, and the rankings (红色网格, 上升最快, 按期率最低)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from gis.hotspots.analysis import HotspotTable
from gis.hotspots.kpi import LeagueRules, compare, facts_frame, figures, load_league_rules, rankable
from gis.hotspots.units import UnitTable
from gis.models import Tier
from gis.storage import stats
from gis.storage.pool import Conn

TIER_OF = {"town": Tier.TOWN, "village": Tier.VILLAGE, "grid": Tier.GRID, "county": Tier.COUNTY}


@dataclass(frozen=True)
class Performance:
    """Figures per unit for a window and the one before it."""

    by: str
    since: datetime
    until: datetime
    rows: list[dict[str, Any]]


def performance(conn: Conn, *, by: str, since: datetime, until: datetime, units: UnitTable | None,
                pending_states: list[str], town_code: str | None = None) -> Performance:
    """考核 figures per unit (or staff member) with the previous period of the same length and the change.

    ``pending_states``: the workflow's states before resolution (what overdue means, see fq_is_overdue).
    """
    span = until - since
    now = figures(facts_frame(stats.case_facts(conn, since=since, until=until, town_code=town_code,
                                               pending_states=pending_states)), by=by, until=until)
    before = figures(facts_frame(stats.case_facts(conn, since=since - span, until=since, town_code=town_code,
                                                  pending_states=pending_states)), by=by, until=since)
    rows = compare(now, before)
    if by == "staff":
        labels = stats.staff_labels(conn, ids=[int(r["unit"]) for r in rows])
        for row in rows:
            code, name, role = labels.get(int(row["unit"]), ("", "", ""))
            row.update(unit=int(row["unit"]), staff_code=code, name=name, role=role)
    elif units is not None:
        table = units.of(TIER_OF[by])
        for row in rows:
            if by == "county" and len(table):
                row["unit"] = str(table.codes[0])
            i = table.index.get(str(row["unit"]))
            row["name"] = str(table.names[i]) if i is not None else str(row["unit"])
    rows.sort(key=lambda r: (-(r["received"] or 0), str(r["unit"])))
    return Performance(by, since, until, rows)


def rankings(grid_table: HotspotTable, town_perf: Performance, units: UnitTable, *, top: int = 10,
             league: LeagueRules | None = None) -> dict[str, list[dict[str, Any]]]:
    """For the weekly meeting: towns by red grids, grids rising fastest, towns with the lowest on-time rate.

    "Lowest on time" lists only towns with enough resolved cases (data/hotspots/league.toml) and below 100 %.
    """
    level = grid_table.columns.get("level")
    towns = units.of(Tier.TOWN)
    by_town = []
    if level is not None:
        red = np.bincount(units.up[Tier.TOWN], weights=(level == "red").astype(float), minlength=len(towns))
        yellow = np.bincount(units.up[Tier.TOWN], weights=(level == "yellow").astype(float), minlength=len(towns))
        order = np.lexsort((-yellow, -red))
        by_town = [{"code": str(towns.codes[i]), "name": str(towns.names[i]), "red_grids": int(red[i]),
                    "yellow_grids": int(yellow[i])} for i in order[:top] if red[i] + yellow[i] > 0]
    rising = []
    change = grid_table.columns.get("week_change")
    if change is not None:
        grids = units.of(Tier.GRID)
        for i in np.argsort(-change, kind="stable")[:top]:
            if change[i] <= 0:
                break
            rising.append({"code": str(grids.codes[i]), "name": str(grids.names[i]),
                           "last_week": int(grid_table.columns["last_week"][i]), "change": int(change[i])})
    rules = league or load_league_rules()
    rated = [r for r in rankable(town_perf.rows, "on_time_rate", rules) if r["on_time_rate"] < 1]
    lowest = sorted(rated, key=lambda r: (r["on_time_rate"], str(r["unit"])))[:top]
    return {"most_red": by_town, "fastest_rising": rising,
            "lowest_on_time": [{"code": r["unit"], "name": r.get("name", ""), "on_time_rate": r["on_time_rate"],
                                "resolved": r["resolved"]} for r in lowest]}
