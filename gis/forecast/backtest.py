"""The backtest on the sample history: rolling origins over the last weeks, fitting on the past only.

Three questions, each on histories drawn by ``gis.sample.cases``:

- forecast: at each origin (the end of one of the last ``origins`` weeks) the model is fitted on the weeks
  up to the origin and forecasts the next; PAI and PEI* at ``budget`` of the area (grids) are compared with
  two baselines that need no model, the 13-week mean and last week's count;
- lead time: in histories with the planted stories (one per seed), the week of the land-acquisition ramp
  (8 weeks, rising to the history's end) at which its village is first alerted;
- false alarms: in histories drawn without stories, the share of villages (and towns) alerted per week.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from gis.cases.book import CaseRules
from gis.forecast.alerts import AlertRule, rising_trend
from gis.forecast.model import forecast_next_week
from gis.forecast.scores import hit_score
from gis.forecast.series import WeeklyCounts, weekly_counts
from gis.hotspots.aggregate import roll_up_matrix
from gis.hotspots.units import UnitTable
from gis.models import Tier
from gis.sample.cases import HistorySpec, draw_cases

STORY_WEEKS = 8  # the land-acquisition ramp of gis.sample.cases: its last 8 weeks
SEEDS = (20261123, 1, 2, 3, 4)


@dataclass(frozen=True)
class BacktestSpec:
    """The history's last day, its length, the origins, the seeds, the area budget and the alert rule."""

    until: date
    days: int = 365
    origins: int = 12
    seeds: tuple[int, ...] = SEEDS
    budget: float = 0.05
    rule: AlertRule = field(default_factory=AlertRule)


@dataclass(frozen=True)
class MethodScore:
    """Mean PAI and PEI* of one method over the origins (and each origin's)."""

    method: str
    pai: float
    pei_star: float
    per_origin_pai: tuple[float, ...]


@dataclass(frozen=True)
class StoryLead:
    """The week of the ramp (1-8) at which its village was first alerted (None: never), and its town's."""

    seed: int
    village: str
    village_week: int | None
    town_week: int | None
    cooled_town_alerts: int  # weeks the town planted to cool down was alerted (should be 0)


@dataclass(frozen=True)
class FalseAlarms:
    """Share of villages and towns alerted per week, averaged over the origins, in a history without stories."""

    seed: int
    village_share: float
    town_share: float


@dataclass(frozen=True)
class BacktestResult:
    """Everything the backtest measured."""

    until: date
    origins: int
    budget: float
    scores: tuple[MethodScore, ...]
    leads: tuple[StoryLead, ...]
    false_alarms: tuple[FalseAlarms, ...]
    villages: int
    towns: int


def sample_weeks(units: UnitTable, rules: CaseRules, spec: HistorySpec) -> tuple[WeeklyCounts, dict[str, object]]:
    """Whole weeks of a drawn sample history ending on its last day, and its stories."""
    draws = draw_cases(units, rules, spec)
    counts = weekly_counts(draws.grid, draws.created, draws.channel, grids=len(units.of(Tier.GRID)),
                           last_day=spec.until, weeks=spec.days // 7)
    return counts, draws.stories


def forecast_scores(units: UnitTable, counts: NDArray[np.float64], neighbours: sparse.csr_matrix, *, origins: int,
                    budget: float) -> tuple[MethodScore, ...]:
    """PAI and PEI* of the model and the two baselines at the last ``origins`` origins."""
    grids = units.of(Tier.GRID)
    last = counts.shape[1] - 1
    per: dict[str, list[tuple[float, float]]] = {"model": [], "mean_13": [], "last_week": []}
    for origin in range(last - origins, last):
        actual = counts[:, origin + 1]
        past = counts[:, : origin + 1]
        guesses = {"model": forecast_next_week(past, origin, neighbours, grids.population).grid,
                   "mean_13": past[:, -13:].mean(axis=1), "last_week": past[:, -1]}
        for name, guess in guesses.items():
            score = hit_score(guess, actual, grids.area_km2, budget)
            per[name].append((score.pai, score.pei_star))
    return tuple(MethodScore(name, float(np.mean([s[0] for s in rows])), float(np.mean([s[1] for s in rows])),
                             tuple(s[0] for s in rows)) for name, rows in per.items())


def alerts_over_origins(units: UnitTable, reported: NDArray[np.float64], tier: Tier, *, origins: int,
                        rule: AlertRule) -> NDArray[np.bool_]:
    """(units x origins) alert flags of ``tier`` at each of the last ``origins`` weeks (last column = newest)."""
    matrix = roll_up_matrix(units, reported, tier)
    last = matrix.shape[1]
    return np.column_stack([rising_trend(matrix[:, : last - back], rule).alert for back in range(origins - 1, -1, -1)])


def story_lead(units: UnitTable, reported: NDArray[np.float64], stories: dict[str, object], seed: int,
               spec: BacktestSpec) -> StoryLead:
    """The first ramp week at which the story's village (and its town) is alerted."""
    villages, towns = units.of(Tier.VILLAGE), units.of(Tier.TOWN)
    code = str(stories["land_acquisition_village"])
    village = villages.index[code]
    town = towns.index[str(villages.parent_codes[village])]
    ramp = spec.origins - STORY_WEEKS  # origin columns before the ramp's first week

    def first_week(flags: NDArray[np.bool_]) -> int | None:
        hits = np.flatnonzero(flags[ramp:])
        return int(hits[0]) + 1 if len(hits) else None

    by_village = alerts_over_origins(units, reported, Tier.VILLAGE, origins=spec.origins, rule=spec.rule)
    by_town = alerts_over_origins(units, reported, Tier.TOWN, origins=spec.origins, rule=spec.rule)
    cooled = towns.index[str(stories["cooled_town"])]
    return StoryLead(seed, code, first_week(by_village[village]), first_week(by_town[town]),
                     int(by_town[cooled].sum()))


def run_backtest(units: UnitTable, neighbours: sparse.csr_matrix, rules: CaseRules, spec: BacktestSpec,
                 progress: Callable[[str, int, int], None] | None = None) -> BacktestResult:
    """The forecast scores (first seed), the story lead times and the false alarms (every seed)."""
    say = progress or (lambda stage, done, total: None)
    if spec.origins < STORY_WEEKS or spec.days // 7 < spec.origins + spec.rule.weeks + 13:
        raise ValueError("the history is too short for this many origins")
    leads, alarms = [], []
    scores: tuple[MethodScore, ...] = ()
    for i, seed in enumerate(spec.seeds):
        say("backtest seeds", i, len(spec.seeds))
        counts, stories = sample_weeks(units, rules, HistorySpec(until=spec.until, days=spec.days, seed=seed))
        if i == 0:
            scores = forecast_scores(units, counts.total, neighbours, origins=spec.origins, budget=spec.budget)
        leads.append(story_lead(units, counts.reported, stories, seed, spec))
        null, _ = sample_weeks(units, rules, HistorySpec(until=spec.until, days=spec.days, seed=seed, stories=False))
        shares = [alerts_over_origins(units, null.reported, tier, origins=spec.origins, rule=spec.rule).mean()
                  for tier in (Tier.VILLAGE, Tier.TOWN)]
        alarms.append(FalseAlarms(seed, float(shares[0]), float(shares[1])))
    say("backtest seeds", len(spec.seeds), len(spec.seeds))
    return BacktestResult(spec.until, spec.origins, spec.budget, scores, tuple(leads), tuple(alarms),
                          len(units.of(Tier.VILLAGE)), len(units.of(Tier.TOWN)))


def median_week(leads: tuple[StoryLead, ...]) -> float | None:
    """Median ramp week of the village alerts, a never-alerted story counting as week 9 (None: no stories)."""
    weeks = [lead.village_week or STORY_WEEKS + 1 for lead in leads]
    return float(np.median(weeks)) if weeks else None
