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
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from gis.errors import InvalidInput

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
