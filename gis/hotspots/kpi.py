"""考核: the loop's figures per town, village, grid or staff member, for a period and the one before it.

Every figure is computed from ``fq_case_facts`` (gis/storage/sql/functions/stats.sql): the cases
*registered* in the period, as they stood at its end. Definitions (also in data/cases/README.md):

- received: cases registered in the period;
- eligible: received minus those returned (退回) or marked duplicate;
- resolved: eligible cases with a ``resolve`` transition before the period's end;
- closure_rate (化解率/办结率): resolved / eligible;
- on_time_rate (按期办结率): resolved no later than their due time / resolved;
- avg_hours, p90_hours: hours from registration to resolution over resolved cases (p90: linear interpolation);
- escalation_rate (上报率): eligible cases escalated at least once (by hand or automatically) / eligible;
- grass_roots_share (小事不出村, 一线化解率): resolved cases handled at grid or village tier / resolved;
- follow_up_rate (回访率): resolved cases with a follow-up visit / resolved;
- satisfaction: mean satisfaction (1-5) of the cases evaluated before the period's end;
- overdue_open: cases overdue at the period's end (or now, if it has not ended): still before resolution and
  past their due time (the one definition, SQL ``fq_is_overdue``; computed in ``fq_case_facts``).

A unit is credited with the cases located in it (grid, village, town codes stored on the case); a staff
member with the cases where they held the latest lead dispatch order (not declined or cancelled).
A rate with a zero denominator is None, never 0.

League tables (``league``): units sorted by one figure, best first, each with its rank, the previous
period's rank and the change. A figure resting on fewer than ``min_cases`` cases (data/hotspots/league.toml;
its base: ``BASIS``) is not ranked: the unit stays in the table without a rank, and ``rankable`` leaves it out
of every "lowest"/"highest" list. The Chinese definition of each figure is ``DEFINITIONS`` (one place; the
API answers carry it).
"""

from __future__ import annotations

import tomllib
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gis.errors import InvalidInput
from gis.settings import PROJECT_ROOT

GROUPINGS = {"town": "town_code", "village": "village_code", "grid": "grid_code", "staff": "lead_staff_id",
             "county": None}
FIGURES = ("received", "eligible", "resolved", "closure_rate", "on_time_rate", "avg_hours", "p90_hours",
           "escalation_rate", "grass_roots_share", "follow_up_rate", "satisfaction", "overdue_open")
RATES = ("closure_rate", "on_time_rate", "escalation_rate", "grass_roots_share", "follow_up_rate")


def facts_frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """The fact rows as a frame with the columns the figures need."""
    columns = ["id", "town_code", "village_code", "grid_code", "handling_tier", "created_at", "due_at",
               "resolved_at", "escalated", "followed_up", "satisfaction", "excluded", "lead_staff_id", "overdue"]
    frame = pd.DataFrame(list(rows), columns=columns)
    for col in ("created_at", "due_at", "resolved_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def figures(frame: pd.DataFrame, *, by: str, until: datetime) -> pd.DataFrame:
    """One row of figures per unit (index: the unit's code or staff id; 'county' for the whole)."""
    if by not in GROUPINGS:
        raise InvalidInput(f"unknown grouping {by!r}: one of {sorted(GROUPINGS)}", reason="bad_grouping")
    key = GROUPINGS[by]
    f = frame.copy()
    f["unit"] = "county" if key is None else f[key]
    f = f[f["unit"].notna()]
    ok = ~f["excluded"].astype(bool)
    resolved = ok & f["resolved_at"].notna()
    f["eligible"] = ok
    f["resolved"] = resolved
    f["on_time"] = resolved & (f["resolved_at"] <= f["due_at"])
    f["hours"] = np.where(resolved, (f["resolved_at"] - f["created_at"]).dt.total_seconds() / 3600, np.nan)
    f["esc"] = ok & f["escalated"].astype(bool)
    f["grass"] = resolved & f["handling_tier"].isin([3, 4])
    f["fu"] = resolved & f["followed_up"].astype(bool)
    f["overdue"] = f["overdue"].fillna(False).astype(bool)  # decided in SQL (fq_is_overdue), not here
    f["sat"] = pd.to_numeric(f["satisfaction"], errors="coerce")
    g = f.groupby("unit")
    out = pd.DataFrame({
        "received": g.size(), "eligible": g["eligible"].sum(), "resolved": g["resolved"].sum(),
        "on_time": g["on_time"].sum(), "esc": g["esc"].sum(), "grass": g["grass"].sum(), "fu": g["fu"].sum(),
        "avg_hours": g["hours"].mean(), "p90_hours": g["hours"].quantile(0.9), "satisfaction": g["sat"].mean(),
        "overdue_open": g["overdue"].sum()})
    out["closure_rate"] = _ratio(out["resolved"], out["eligible"])
    out["on_time_rate"] = _ratio(out["on_time"], out["resolved"])
    out["escalation_rate"] = _ratio(out["esc"], out["eligible"])
    out["grass_roots_share"] = _ratio(out["grass"], out["resolved"])
    out["follow_up_rate"] = _ratio(out["fu"], out["resolved"])
    return out.loc[:, list(FIGURES)]


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    return (num / den.where(den > 0)).astype(float)


def compare(current: pd.DataFrame, previous: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of current figures with the previous period's and the change (current - previous)."""
    rows = []
    for unit in current.index:
        row: dict[str, Any] = {"unit": unit}
        for fig in FIGURES:
            now = _clean(current.at[unit, fig])
            before = _clean(previous.at[unit, fig]) if unit in previous.index else None
            row[fig] = now
            row[f"{fig}_prev"] = before
            row[f"{fig}_change"] = None if now is None or before is None else round(now - before, 6)
        rows.append(row)
    return rows


def _clean(value: Any) -> float | int | None:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return None
    if isinstance(value, np.integer | int) and not isinstance(value, bool):
        return int(value)
    return round(float(value), 6)


# -- league tables ----------------------------------------------------------------------------------------

LEAGUE_FILE = PROJECT_ROOT / "data" / "hotspots" / "league.toml"
# The count each figure rests on: below the minimum it is not ranked.
BASIS = {"received": "received", "eligible": "received", "resolved": "received", "overdue_open": "received",
         "closure_rate": "eligible", "escalation_rate": "eligible",
         "on_time_rate": "resolved", "avg_hours": "resolved", "p90_hours": "resolved",
         "grass_roots_share": "resolved", "follow_up_rate": "resolved", "satisfaction": "resolved"}
# Figures where less is better (ranked from the lowest); every other figure is ranked from the highest.
LOWER_IS_BETTER = frozenset({"avg_hours", "p90_hours", "escalation_rate", "overdue_open"})
# What each figure means, in the words of a 考核 table (the API answers carry these; ``{min}``: min_cases).
DEFINITIONS: dict[str, str] = {
    "received": "受理数：本期登记的案件数。",
    "eligible": "有效案件数：受理数减去退回件和重复件。",
    "resolved": "办结数：有效案件中在本期结束前办结的件数。",
    "closure_rate": "化解率（办结率）：办结数 ÷ 有效案件数。",
    "on_time_rate": "按期办结率：在办理期限内办结的件数 ÷ 办结数。",
    "avg_hours": "平均办结时长：办结案件从登记到办结的平均小时数。",
    "p90_hours": "90% 案件办结时长：九成办结案件在此小时数以内办结。",
    "escalation_rate": "上报率：至少上报过一次（人工或自动）的有效案件 ÷ 有效案件数。",
    "grass_roots_share": "一线化解率（小事不出村）：在网格或村（社区）层级办结的件数 ÷ 办结数。",
    "follow_up_rate": "回访率：已回访的办结案件 ÷ 办结数。",
    "satisfaction": "满意度：本期结束前已评价案件的平均满意度（1-5 分）。",
    "overdue_open": "超期未办结数：本期结束时仍未办结、且已过办理期限的有效案件数。",
    "rank": "名次：按所选指标从好到差排列，数值相同名次相同；指标所依据的案件少于 {min} 件的单位不排名。",
    "rank_prev": "上期名次：上一个同样长度时段的名次（在本表所列单位之间）。",
    "rank_change": "名次变化：上期名次减本期名次，正数为上升。",
    "prev": "上期：上一个同样长度时段的数值（时段紧接本期之前）。",
    "change": "较上期变化：本期数值减上期数值；比率以小数表示（0.05 即 5 个百分点）。",
}


@dataclass(frozen=True)
class LeagueRules:
    """Who is ranked: a figure needs at least ``min_cases`` cases in its base."""

    min_cases: int = 5


def load_league_rules(path: Path = LEAGUE_FILE) -> LeagueRules:
    """Read the league rules file (``min_cases`` >= 1)."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        rules = LeagueRules(int(doc["min_cases"]))
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"{path.name}: bad league rules: {exc}", reason="bad_league") from exc
    if rules.min_cases < 1:
        raise InvalidInput(f"{path.name}: min_cases must be at least 1", reason="bad_league")
    return rules


def definitions(rules: LeagueRules) -> dict[str, str]:
    """Every figure's Chinese definition, the minimum filled in."""
    return {k: v.replace("{min}", str(rules.min_cases)) for k, v in DEFINITIONS.items()}


def check_figure(figure: str) -> str:
    """A figure a league can be sorted by, or 422 ``unknown_figure``."""
    if figure not in BASIS:
        raise InvalidInput(f"没有这项考核指标：{figure[:40]}（可用：{'、'.join(FIGURES)}）", reason="unknown_figure",
                           figures=list(FIGURES))
    return figure


def rankable(rows: Iterable[Mapping[str, Any]], figure: str, rules: LeagueRules, *, period: str = ""
             ) -> list[Mapping[str, Any]]:
    """The rows whose figure (``period``: "" now, "_prev" before) rests on at least ``min_cases`` cases."""
    basis = BASIS[check_figure(figure)] + period
    return [r for r in rows if r.get(figure + period) is not None and (r.get(basis) or 0) >= rules.min_cases]


def _ranks(rows: list[dict[str, Any]], figure: str, rules: LeagueRules, period: str) -> dict[int, int]:
    """Row position -> rank (1 best; equal values share a rank) among the rankable rows."""
    sign = 1 if figure in LOWER_IS_BETTER else -1
    chosen = {id(r) for r in rankable(rows, figure, rules, period=period)}
    scores = sorted(sign * float(r[figure + period]) for r in rows if id(r) in chosen)
    ranks: dict[int, int] = {}
    for i, row in enumerate(rows):
        if id(row) in chosen:
            score = sign * float(row[figure + period])
            ranks[i] = 1 + bisect_left(scores, score)
    return ranks


def league(rows: Iterable[Mapping[str, Any]], *, figure: str, rules: LeagueRules, ranked: bool = True
           ) -> list[dict[str, Any]]:
    """The rows sorted by ``figure``, best first, with ``rank``, ``rank_prev`` and ``rank_change``.

    Rows whose figure rests on too few cases keep their figures but get no rank and come last (most cases
    first). ``ranked=False`` (a caller who may see only one unit's rank among none): no ranks at all.
    """
    check_figure(figure)
    out = [dict(r) for r in rows]
    now = _ranks(out, figure, rules, "") if ranked else {}
    before = _ranks(out, figure, rules, "_prev") if ranked else {}
    for i, row in enumerate(out):
        row["rank"], row["rank_prev"] = now.get(i), before.get(i)
        row["rank_change"] = None if i not in now or i not in before else before[i] - now[i]
    basis = BASIS[figure]
    out.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, -(r.get(basis) or 0), str(r.get("unit"))))
    return out


def league_meta(figure: str, rules: LeagueRules, *, ranked: bool) -> dict[str, Any]:
    """How the table was ranked: the figure, its base, the minimum and the direction."""
    return {"by": figure, "basis": BASIS[figure], "min_cases": rules.min_cases, "ranked": ranked,
            "order": "ascending" if figure in LOWER_IS_BETTER else "descending"}
