"""The weekly briefing (研判报告): one ISO week against the week before, gathered for the PDF."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gis.cases.book import CaseRules
from gis.errors import InvalidInput
from gis.forecast.outlook import Outlook, weekly_outlook
from gis.hotspots.analysis import HotspotTable, hotspot_table
from gis.hotspots.filters import CaseFilter, iso_week_window
from gis.hotspots.levels import LevelRules
from gis.hotspots.review import Performance, performance, rankings
from gis.hotspots.weights import HotspotWeights
from gis.models import Tier
from gis.stats_cut import computed_from_own_cases, cut, cut_rankings, own_units
from gis.storage import stats
from gis.storage.pool import Conn


@dataclass(frozen=True)
class Briefing:
    """Everything the weekly report prints."""

    week: str
    since: datetime
    until: datetime
    county_name: str
    region_name: str  # the county's name, or the caller's town's
    grids: HotspotTable
    villages: HotspotTable
    county: Performance
    towns: Performance
    rankings: dict[str, list[dict[str, Any]]]
    groups: list[tuple[str, int, int]]  # 五情: label, this week, last week
    classes: list[tuple[str, int, int]]  # category classes: name, this week, last week
    weights: HotspotWeights
    rules: LevelRules
    town_code: str | None
    outlook: Outlook  # 下周预测与上升预警


def weekly_briefing(conn: Conn, *, week: str, rules: CaseRules, level_rules: LevelRules, weights: HotspotWeights,
                    town_code: str | None = None, now: datetime | None = None) -> Briefing:
    """Gather the week ``2026-W47`` (Monday to Sunday, China time) and the week before it.

    Only a week that has ended has a briefing (422 ``week_not_ended``): a 周报 of a week still running, or of
    one to come, would report figures that are not yet true.
    """
    since, until = iso_week_window(week)
    moment = now or datetime.now(UTC)
    if until > moment:
        raise InvalidInput(f"{week} 尚未结束：周报只能按已结束的周（北京时间周一至周日）生成", reason="week_not_ended")
    flt = CaseFilter(since, until)
    grids = hotspot_table(conn, flt=flt, tier=Tier.GRID, h3_resolution=None, weights=weights, rules=level_rules,
                          town_code=town_code)
    villages = hotspot_table(conn, flt=flt, tier=Tier.VILLAGE, h3_resolution=None, weights=weights,
                             rules=level_rules, town_code=town_code)
    units = weights.units
    # Every figure of the briefing follows the caller's region and goes through the statistics cut.
    pending = rules.workflow.pending_states()  # what overdue means (fq_is_overdue)
    county = _cut(town_code, performance(conn, by="county", since=since, until=until, town_code=town_code, units=units,
                                         pending_states=pending), computed_from_own_cases)
    towns = _cut(town_code, performance(conn, by="town", since=since, until=until, town_code=town_code, units=units,
                                        pending_states=pending), own_units(town_code, units.town_of, key="unit"))
    this_week = stats.breakdown(conn, flt=flt.within(town_code))
    before = stats.breakdown(conn, flt=flt.previous().within(town_code))
    group_now, group_before = Counter[str](), Counter[str]()
    class_now, class_before = Counter[str](), Counter[str]()
    for rows, groups, classes in ((this_week, group_now, class_now), (before, group_before, class_before)):
        for channel, cls, n in rows:
            known = rules.channels.channels.get(channel)
            groups[known.group_label if known else channel] += n
            category = rules.taxonomy.categories.get(cls)
            classes[category.name if category else cls] += n
    group_rows = [(label, group_now[label], group_before[label]) for label in rules.channels.groups.values()]
    class_rows = sorted(((k, class_now[k], class_before[k]) for k in set(class_now) | set(class_before)),
                        key=lambda r: (-r[1], r[0]))
    county_name = str(units.of(Tier.COUNTY).names[0]) if len(units.of(Tier.COUNTY)) else ""
    region_name = county_name
    if town_code is not None:
        town = units.of(Tier.TOWN).index.get(town_code)
        region_name = str(units.of(Tier.TOWN).names[town]) if town is not None else town_code
    ranked = cut_rankings(town_code, rankings(grids, towns, units), units.town_of)
    outlook = weekly_outlook(conn, weights, week=week, now=moment, town_code=town_code)
    return Briefing(week, since, until, county_name, region_name, grids, villages, county, towns, ranked,
                    group_rows, class_rows, weights, level_rules, town_code, outlook)


def _cut(town_code: str | None, perf: Performance, own: Callable[[dict[str, Any]], bool]) -> Performance:
    return Performance(perf.by, perf.since, perf.until, cut(town_code, perf.rows, own=own))
