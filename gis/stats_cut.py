"""What a town user sees of statistics: the one cut every statistic, map, export and forecast goes through.

County-wide callers see every unit and every field. A caller limited to one town sees:

- only the units of their own town (rankings: at most their own town's entry, never another town's figures);
- only levels and counts, never the test statistics that mix in their neighbours' data: no z, p, permutation
  p, neighbourhood sums or expected values (``TOWN_FIELDS`` is an allow-list; any other field is dropped);
- only windows of at least a week (``MIN_TOWN_WINDOW``): a shorter one is refused (422 ``window_too_short``),
  not widened, so the caller knows what they got.

The figures themselves are computed from the town's own cases only (``gis.hotspots.analysis``: Gi* on the
town's units), so a case in a neighbouring town changes nothing a town user sees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from gis.errors import InvalidInput

MIN_TOWN_WINDOW = timedelta(days=7)

_KPI = ("received", "eligible", "resolved", "closure_rate", "on_time_rate", "avg_hours", "p90_hours",
        "escalation_rate", "grass_roots_share", "follow_up_rate", "satisfaction", "overdue_open")
# Fields a town user may see: identity, counts and rates of their own units, levels, and the loop's figures.
TOWN_FIELDS = frozenset({
    "code", "name", "unit", "staff_code", "role",
    "count", "population", "area_km2", "per_1000", "per_km2",
    "level", "level_label", "trend", "trend_label", "hot_weeks",
    "last_week", "week_change", "last_month", "month_change",
    "red_grids", "yellow_grids", "change", "town_code",
    "forecast", "alert", "recent", "baseline", "discovered_recent", "discovered_rising",  # from own cases only
    *_KPI, *(f"{k}_prev" for k in _KPI), *(f"{k}_change" for k in _KPI)})

Row = dict[str, Any]


def is_town_user(town_code: str | None) -> bool:
    """True for a caller limited to one town (the cut applies); None is county-wide."""
    return town_code is not None


def check_window(town_code: str | None, since: datetime, until: datetime) -> None:
    """Refuse a window shorter than a week for a town user (counts over hours would show single cases)."""
    if is_town_user(town_code) and until - since < MIN_TOWN_WINDOW:
        raise InvalidInput(f"乡镇用户的统计时段至少为 {MIN_TOWN_WINDOW.days} 天（一周），请放宽起止时间",
                           reason="window_too_short", min_days=MIN_TOWN_WINDOW.days)


def cut(town_code: str | None, rows: Iterable[Row], *, own: Callable[[Row], bool]) -> list[Row]:
    """The rows a caller may see: all of them county-wide; for a town user their own units, allowed fields only.

    ``own(row)`` says whether a row is one of the caller's town's units (see ``own_units``).
    """
    if not is_town_user(town_code):
        return [dict(r) for r in rows]
    return [{k: v for k, v in r.items() if k in TOWN_FIELDS} for r in rows if own(r)]


def own_units(town_code: str | None, town_of: Mapping[str, str], *, key: str = "code") -> Callable[[Row], bool]:
    """``own`` for rows naming a unit by ``key``: the unit's town (``town_of``: unit code -> town code) is theirs.

    A code the mapping does not know is not theirs (deny by default).
    """
    def own(row: Row) -> bool:
        return town_code is not None and town_of.get(str(row.get(key))) == town_code

    return own


def computed_from_own_cases(row: Row) -> bool:
    """``own`` for rows computed from the caller's own cases only (H3 cells of their points, staff figures)."""
    return True


def cut_rankings(town_code: str | None, ranked: Mapping[str, list[Row]], town_of: Mapping[str, str]
                 ) -> dict[str, list[Row]]:
    """Every ranking list cut alike: a town user keeps at most their own town's entries, without a rank."""
    own = own_units(town_code, town_of)
    return {name: cut(town_code, rows, own=own) for name, rows in ranked.items()}
