"""Reading a hotspot or statistics request (from HTTP or the CLI) into a checked CaseFilter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gis.cases.book import CaseRules
from gis.errors import InvalidInput
from gis.hotspots.filters import CaseFilter, parse_when
from gis.hotspots.units import parse_tier
from gis.models import Tier


@dataclass(frozen=True)
class HotspotQuery:
    """What to count and at which level: a tier, or an H3 resolution."""

    flt: CaseFilter
    tier: Tier | None
    h3: int | None
    fdr: bool = True


def window(since: str | None, until: str | None, *, now: datetime | None = None, default_days: int = 30
           ) -> tuple[datetime, datetime]:
    """``since``/``until`` as given (``30d``, ISO dates or datetimes); by default the last ``default_days``."""
    now = now or datetime.now(UTC)
    end = parse_when(until, now=now, default=now)
    start = parse_when(since, now=end, default=end - timedelta(days=default_days))
    if end <= start:
        raise InvalidInput("until must be after since", reason="bad_window")
    if end - start > timedelta(days=3660):
        raise InvalidInput("the window is over ten years", reason="bad_window")
    return start, end


def case_filter(rules: CaseRules, *, since: str | None, until: str | None, category: str | None = None,
                channels: list[str] | None = None, statuses: list[str] | None = None,
                handling_tiers: list[str] | None = None, now: datetime | None = None) -> CaseFilter:
    """A filter whose codes are checked against the county's taxonomy, channels, workflow and tiers."""
    start, end = window(since, until, now=now)
    if category:
        rules.taxonomy.get(category)
    for code in channels or []:
        if code not in rules.channels.channels:
            raise InvalidInput(f"unknown channel {code!r}; channels: {sorted(rules.channels.channels)}",
                               reason="unknown_channel")
    for state in statuses or []:
        if state not in rules.workflow.states:
            raise InvalidInput(f"unknown status {state!r}; states: {sorted(rules.workflow.states)}",
                               reason="unknown_status")
    tiers = tuple(int(parse_tier(t)) if not t.isdigit() else int(t) for t in handling_tiers or [])
    if any(t not in (1, 2, 3, 4) for t in tiers):
        raise InvalidInput("handling_tier is county, town, village, grid or 1-4", reason="bad_tier")
    return CaseFilter(start, end, category or None, tuple(channels or ()), tuple(statuses or ()), tiers)


def hotspot_query(rules: CaseRules, *, tier: str | None, h3: int | None, fdr: bool = True, **filters: object
                  ) -> HotspotQuery:
    """Exactly one of ``tier`` and ``h3`` (default: grid tier)."""
    if tier and h3 is not None:
        raise InvalidInput("give tier or h3, not both", reason="tier_and_h3")
    if h3 is not None and not 7 <= h3 <= 10:
        raise InvalidInput(f"h3 resolution must be 7-10, got {h3}", reason="bad_h3_resolution")
    flt = case_filter(rules, **filters)  # type: ignore[arg-type]
    return HotspotQuery(flt, None if h3 is not None else parse_tier(tier or "grid"), h3, fdr)
