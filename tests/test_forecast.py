"""Early warning: PAI/PEI*, Benjamini-Hochberg and the Poisson trend test on literal inputs; the forecast's
use of the past only and its reconciled tiers; planted and story-free histories on a small generated county."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
import shapely

from gis.cases.book import CaseRules, load_rules
from gis.errors import InvalidInput
from gis.forecast.alerts import AlertRule, bh_adjust, rising_trend
from gis.forecast.backtest import BacktestSpec, alerts_over_origins, sample_weeks, story_lead
from gis.forecast.model import forecast_next_week
from gis.forecast.scores import chosen_units, hit_score, pai
from gis.forecast.series import weekly_counts
from gis.hotspots.units import UnitTable, build_units
from gis.hotspots.weights import gauss_kruger_epsg, queen_weights
from gis.models import Tier
from gis.sample.cases import HistorySpec, draw_cases
from gis.sample.county import CountySpec, all_tiers, build_county
from gis.sample.tiling import TilingCounts

UNTIL = date(2026, 11, 29)
SEEDS = (1, 2, 3, 4, 5)


@pytest.fixture(scope="module")
def county() -> UnitTable:
    """A small generated county: 5 towns, 100 villages, 800 grids (the sample's density of people)."""
    layers = build_county(CountySpec(counts=TilingCounts(5, 100, 800), area_km2=260.0))
    frame = all_tiers(layers)
    area = frame.to_crs(epsg=gauss_kruger_epsg(114.62)).area.to_numpy()
    rows = [(r.code, r.name, int(r.tier), r.parent_code or None, float(r.population), float(a),
             shapely.to_wkb(r.geometry)) for r, a in zip(frame.itertuples(), area, strict=True)]
    return build_units(1, rows)


@pytest.fixture(scope="module")
def rules() -> CaseRules:
    return load_rules()


def test_pai_and_pei_star_known_answer() -> None:
    area = np.array([1.0, 1.0, 2.0, 4.0, 12.0])  # 20 km2: a 10 % budget holds 2 km2
    forecast = np.array([3.0, 0.5, 8.0, 1.0, 0.0])  # densities 3, 0.5, 4, 0.25, 0: unit 2 (2 km2) first, then full
    actual = np.array([6.0, 1.0, 2.0, 1.0, 0.0])
    assert chosen_units(forecast, area, 0.10).tolist() == [False, False, True, False, False]
    assert pai(chosen_units(forecast, area, 0.10), actual, area) == pytest.approx((2 / 10) / (2 / 20))  # 2.0
    score = hit_score(forecast, actual, area, budget=0.10)
    # The best 2 km2 by what happened: units 0 and 1 (7 of 10 cases): PAI* 7.0, PEI* 2/7.
    assert score.pai == pytest.approx(2.0) and score.pei_star == pytest.approx(2.0 / 7.0)
    assert score.area_share == pytest.approx(0.10) and score.hit_share == pytest.approx(0.2)


def test_benjamini_hochberg_known_answer() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5])
    # Sorted 0.005, 0.01, 0.03, 0.04, 0.5 times 5/rank: 0.025, 0.025, 0.05, 0.05, 0.5 (already monotone).
    assert bh_adjust(p).tolist() == pytest.approx([0.025, 0.05, 0.05, 0.025, 0.5])
    # Scaled 0.06, 0.0315, 0.022: each takes the minimum over the ranks above it, so all become 0.022.
    assert bh_adjust(np.array([0.02, 0.021, 0.022])).tolist() == pytest.approx([0.022, 0.022, 0.022])
    assert bh_adjust(np.array([0.9, 0.95])).tolist() == pytest.approx([0.95, 0.95])


def test_rising_trend_known_answer() -> None:
    rule = AlertRule(recent_weeks=1, baseline_weeks=2, fdr=0.05, min_count=3)
    counts = np.array([[2.0, 2.0, 12.0],  # expected 2 * change; 12 recent
                       [2.0, 2.0, 2.0],
                       [0.0, 0.0, 2.0],   # fewer than 3 recent cases: never alerted
                       [10.0, 10.0, 10.0]])
    trend = rising_trend(counts, rule)
    change = (26 / 1) / (28 / 2)  # the county's recent week against its mean baseline week
    assert trend.county_change == pytest.approx(change)
    assert trend.expected.tolist() == pytest.approx([2 * change, 2 * change, 0.25 * change, 10 * change])
    from scipy import stats

    assert trend.p[0] == pytest.approx(stats.poisson.sf(11, 2 * change)) and trend.p[2] == 1.0
    assert trend.p[0] == pytest.approx(4.86e-4, rel=0.01)  # P(X >= 12 | 3.71)
    assert trend.alert.tolist() == [True, False, False, False]
    with pytest.raises(InvalidInput) as err:
        rising_trend(counts[:, :2], rule)
    assert err.value.reason == "short_history"


def test_forecast_uses_no_future_data_and_tiers_add_up(county: UnitTable, rules: CaseRules) -> None:
    counts, _ = sample_weeks(county, rules, HistorySpec(until=UNTIL, days=210, seed=7))
    total = counts.total
    neighbours = queen_weights(county.of(Tier.GRID)).matrix
    population = county.of(Tier.GRID).population
    origin = 20
    before = forecast_next_week(total, origin, neighbours, population)
    changed = total.copy()
    changed[:, origin + 1:] = np.random.default_rng(0).poisson(50.0, changed[:, origin + 1:].shape)
    after = forecast_next_week(changed, origin, neighbours, population)
    assert np.array_equal(before.grid, after.grid)  # nothing after the origin moves the forecast
    # ...while a change at the origin week itself does (the test would catch a forecast that ignores data).
    changed[:, origin] += 5
    assert not np.allclose(forecast_next_week(changed, origin, neighbours, population).grid, before.grid)
    villages, towns = before.for_tier(county, Tier.VILLAGE), before.for_tier(county, Tier.TOWN)
    village_town = county.of(Tier.TOWN).positions(county.of(Tier.VILLAGE).parent_codes)
    assert np.allclose(np.bincount(village_town, villages, len(towns)), towns)
    assert villages.sum() == pytest.approx(before.grid.sum())
    assert before.grid.min() > 0 and 0.5 < before.grid.sum() / total[:, origin - 3: origin + 1].mean(1).sum() < 2


def test_alerts_on_the_reported_stream_only() -> None:
    grid = np.array([0, 0, 1, 1, 1])
    created = np.array([1764000000, 1764000000 - 7 * 86400, 1764000000, 1764000000, 1764000000 - 30 * 86400])
    channel = np.array(["grid_worker", "hotline_12345", "walk_in", "grid_worker", "app"])
    weeks = weekly_counts(grid, created, channel, grids=2, last_day=date(2025, 11, 30), weeks=3)
    # 1764000000 is 2025-11-25 00:00 China time: in the last week (24-30 November); 30 days earlier is outside.
    assert weeks.reported.tolist() == [[0, 1, 0], [0, 0, 1]]
    assert weeks.discovered.tolist() == [[0, 0, 1], [0, 0, 1]]
    assert weeks.week_end(0) == date(2025, 11, 16)


def test_planted_rising_village_is_alerted(county: UnitTable, rules: CaseRules) -> None:
    spec = BacktestSpec(until=UNTIL, seeds=SEEDS)
    weeks = []
    for seed in SEEDS:
        counts, stories = sample_weeks(county, rules, HistorySpec(until=UNTIL, seed=seed))
        lead = story_lead(county, counts.reported, stories, seed, spec)
        assert lead.village_week is not None and lead.village_week <= 8, lead
        assert lead.cooled_town_alerts == 0  # a town cooling down is never a rising trend
        weeks.append(lead.village_week)
    assert float(np.median(weeks)) <= 6


def test_story_free_history_has_at_most_one_percent_false_village_alerts(county: UnitTable,
                                                                          rules: CaseRules) -> None:
    shares = []
    for seed in SEEDS:
        counts, stories = sample_weeks(county, rules, HistorySpec(until=UNTIL, seed=seed, stories=False))
        assert "land_acquisition_village" not in stories
        shares.append(alerts_over_origins(county, counts.reported, Tier.VILLAGE, origins=12, rule=AlertRule()).mean())
    assert float(np.mean(shares)) <= 0.01


def test_story_free_history_has_no_planted_cases(county: UnitTable, rules: CaseRules) -> None:
    spec = HistorySpec(until=UNTIL, days=120, seed=3)
    planted = draw_cases(county, rules, spec)
    plain = draw_cases(county, rules, HistorySpec(until=UNTIL, days=120, seed=3, stories=False))
    assert set(plain.stories) == {"corridor_grids"}
    village = county.of(Tier.VILLAGE).index[str(planted.stories["land_acquisition_village"])]
    in_village = county.up[Tier.VILLAGE] == village
    land = lambda d: int(((d.category == "0303") & in_village[d.grid]).sum())  # noqa: E731
    assert land(planted) >= 20 > land(plain)
