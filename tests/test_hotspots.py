"""Hotspot statistics on synthetic lattices with known answers: Gi*, FDR, 蓝黄红, emerging hotspots, roll-ups."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from esda.getisord import G_Local

from gis.errors import InvalidInput
from gis.hotspots.aggregate import grid_vector, grid_week_matrix, roll_up_matrix, tier_counts
from gis.hotspots.emerging import emerging_hotspots, mann_kendall
from gis.hotspots.gistar import fdr_adjust, gi_star, gi_star_z
from gis.hotspots.levels import LevelRules, load_level_rules, risk_levels
from gis.hotspots.units import TierUnits, build_units
from gis.hotspots.weights import queen_weights
from gis.models import Tier

SIDE = 30


def lattice(side: int = SIDE) -> TierUnits:
    """``side`` x ``side`` square grids of about 1 km near the sample county (row-major codes)."""
    step = 0.01
    boxes = [shapely.box(114.5 + c * step, 24.0 + r * step, 114.5 + (c + 1) * step, 24.0 + (r + 1) * step)
             for r in range(side) for c in range(side)]
    n = side * side
    return TierUnits(Tier.GRID, np.array([f"G{i:04d}" for i in range(n)]), np.array([f"网格{i}" for i in range(n)]),
                     np.array([""] * n), np.full(n, 500.0), np.ones(n), np.array(boxes, dtype=object))


@pytest.fixture(scope="module")
def weights():  # type: ignore[no-untyped-def]
    return queen_weights(lattice())


def block(row: int, col: int, size: int = 3) -> list[int]:
    return [(row + r) * SIDE + col + c for r in range(size) for c in range(size)]


def test_queen_weights_of_a_lattice_have_known_neighbour_counts(weights) -> None:  # type: ignore[no-untyped-def]
    counts = np.asarray(weights.matrix.sum(axis=1)).ravel()
    assert counts[0] == 3 and counts[1] == 5 and counts[SIDE + 1] == 8
    assert weights.matrix.diagonal().sum() == 0 and weights.islands_attached == 0


def test_islands_are_attached_to_their_nearest_unit() -> None:
    units = lattice(4)
    far = shapely.box(115.0, 24.0, 115.01, 24.01)
    island = TierUnits(Tier.GRID, np.append(units.codes, "ISLAND"), np.append(units.names, "岛"),
                       np.append(units.parent_codes, ""), np.append(units.population, 10.0),
                       np.append(units.area_km2, 1.0), np.append(units.geometry, far))
    w = queen_weights(island)
    assert w.islands_attached == 1
    assert np.asarray(w.matrix.sum(axis=1)).ravel()[-1] == 1  # its nearest square, no longer alone


def test_analytic_z_equals_esda(weights) -> None:  # type: ignore[no-untyped-def]
    y = np.random.default_rng(7).poisson(3, SIDE * SIDE).astype(float)
    esda_z = G_Local(y, weights.w, transform="B", star=True, permutations=0).Zs
    assert np.abs(gi_star_z(weights.matrix, y) - esda_z).max() < 1e-9


def test_planted_cluster_is_red_among_random_background(weights) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(2026)
    y = rng.poisson(2.0, SIDE * SIDE).astype(float)
    cluster = block(12, 12)
    y[cluster] = rng.poisson(12.0, len(cluster))
    gi = gi_star(weights, y, permutations=999, seed=1)
    levels = risk_levels(gi, y, LevelRules())
    assert set(levels[cluster]) == {"red"}
    assert (levels == "red").sum() <= len(cluster) + 8  # a ring of neighbours may share the local sum


def test_poisson_field_with_correction_has_no_red_and_at_most_one_percent_yellow(weights) -> None:  # type: ignore[no-untyped-def]
    for seed in range(5):
        y = np.random.default_rng(seed).poisson(3.0, SIDE * SIDE).astype(float)
        levels = risk_levels(gi_star(weights, y, permutations=999, seed=seed), y, LevelRules())
        assert (levels == "red").sum() == 0
        assert (levels == "yellow").mean() <= 0.01


def test_without_correction_the_null_field_shows_false_alarms(weights) -> None:  # type: ignore[no-untyped-def]
    y = np.random.default_rng(3).poisson(3.0, SIDE * SIDE).astype(float)
    gi = gi_star(weights, y, permutations=999, seed=3)
    uncorrected = risk_levels(gi, y, LevelRules(fdr=False))
    corrected = risk_levels(gi, y, LevelRules(fdr=True))
    assert (uncorrected != "blue").sum() > (corrected != "blue").sum()


def test_minimum_count_keeps_sparse_units_blue(weights) -> None:  # type: ignore[no-untyped-def]
    y = np.zeros(SIDE * SIDE)
    y[block(5, 5)] = 2.0  # a tight cluster of twos: significant, but fewer cases than min_count = 3
    gi = gi_star(weights, y, permutations=0)
    assert (risk_levels(gi, y, LevelRules(min_count=3)) == "blue").all()
    assert (risk_levels(gi, y, LevelRules(min_count=1))[block(5, 5)] == "red").any()


def test_level_rules_file_is_read_and_checked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rules = load_level_rules()
    assert (rules.red_p, rules.yellow_p, rules.fdr, rules.min_count, rules.permutations) == (0.01, 0.05, True, 3, 999)
    assert rules.label("red") == "红色（高风险）"
    bad = tmp_path / "levels.toml"
    bad.write_text("red_p = 0.1\nyellow_p = 0.05\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="red_p <= yellow_p"):
        load_level_rules(bad)


def test_fdr_adjustment_known_answer() -> None:
    assert fdr_adjust(np.array([0.01, 0.04, 0.03, 0.2])).round(6).tolist() == [0.04, 0.053333, 0.053333, 0.2]


def test_mann_kendall_known_answers() -> None:
    trend = mann_kendall(np.vstack([np.arange(10.0), -np.arange(10.0), np.ones(10)]))
    assert trend.s.tolist() == [45.0, -45.0, 0.0]
    assert trend.z.round(6).tolist() == [3.93548, -3.93548, 0.0]  # (45 - 1) / sqrt(10 * 9 * 25 / 18)
    assert trend.tau.tolist() == [1.0, -1.0, 0.0]
    tied = mann_kendall(np.array([[1.0, 2.0, 2.0, 3.0]]))
    assert tied.s.tolist() == [5.0] and round(float(tied.z[0]), 6) == 1.44463  # (5 - 1) / sqrt(156/18 - 18/18)


def weekly_field(weeks: int = 20) -> tuple[np.ndarray, dict[str, int]]:
    rng = np.random.default_rng(11)
    y = rng.poisson(2.0, (SIDE * SIDE, weeks)).astype(float)
    rising, recent, newest = block(4, 4), block(20, 20), block(4, 22)
    for t in range(weeks):
        y[rising, t] = 10 + 2 * t           # hot every week, more each week: intensifying
    y[recent, weeks - 3:] = 15              # hot only in the last three weeks: consecutive
    y[newest, weeks - 1] = 15               # hot only in the last week: new
    return y, {"rising": rising[4], "recent": recent[4], "newest": newest[4]}


def test_emerging_hotspot_categories_follow_the_published_rules(weights) -> None:  # type: ignore[no-untyped-def]
    y, centre = weekly_field()
    result = emerging_hotspots(weights.matrix, y)
    assert result.hot[centre["rising"]].mean() >= 0.9 and result.trend.z[centre["rising"]] > 0
    assert result.pattern[centre["rising"]] == "intensifying_hot"
    assert result.pattern[centre["recent"]] == "consecutive_hot"
    assert result.pattern[centre["newest"]] == "new_hot"
    assert (result.pattern == "no_pattern").mean() > 0.9


def test_rule_table_for_every_hot_and_cold_category() -> None:
    from gis.hotspots.emerging import _classify_one as classify

    none, weeks = np.zeros(10, bool), 10
    every = np.ones(weeks, bool)
    last = none.copy(); last[-1] = True  # noqa: E702
    tail = none.copy(); tail[-3:] = True  # noqa: E702
    gaps = none.copy(); gaps[[1, 4, 9]] = True  # noqa: E702
    early = every.copy(); early[-1] = False  # noqa: E702
    cold_once = none.copy(); cold_once[5] = True  # noqa: E702
    assert classify(last, none, 0.0, False) == "new_hot"
    assert classify(tail, none, 0.0, False) == "consecutive_hot"
    assert classify(every, none, 3.0, True) == "intensifying_hot"
    assert classify(every, none, 0.5, False) == "persistent_hot"
    assert classify(every, none, -3.0, True) == "diminishing_hot"
    assert classify(gaps, none, 0.0, False) == "sporadic_hot"
    assert classify(gaps, cold_once, 0.0, False) == "oscillating_hot"
    assert classify(early, none, 0.0, False) == "historical_hot"
    assert classify(none, last, 0.0, False) == "new_cold"
    assert classify(none, every, -3.0, True) == "intensifying_cold"
    assert classify(none, every, 3.0, True) == "diminishing_cold"
    assert classify(none, early, 0.0, False) == "historical_cold"
    assert classify(none, none, 0.0, False) == "no_pattern"


def small_units():  # type: ignore[no-untyped-def]
    """1 county, 2 towns, 3 villages, 5 grids; populations and areas chosen for round rates."""
    box = shapely.to_wkb(shapely.box(0, 0, 1, 1))
    rows = [("C", "县", 1, None, 5000.0, 50e6, box),
            ("T1", "一镇", 2, "C", 3000.0, 30e6, box), ("T2", "二镇", 2, "C", 2000.0, 20e6, box),
            ("V1", "甲村", 3, "T1", 2000.0, 20e6, box), ("V2", "乙村", 3, "T1", 1000.0, 10e6, box),
            ("V3", "丙村", 3, "T2", 2000.0, 20e6, box),
            ("G1", "甲一", 4, "V1", 1000.0, 10e6, box), ("G2", "甲二", 4, "V1", 1000.0, 10e6, box),
            ("G3", "乙一", 4, "V2", 1000.0, 10e6, box), ("G4", "丙一", 4, "V3", 1000.0, 10e6, box),
            ("G5", "丙二", 4, "V3", 1000.0, 10e6, box)]
    return build_units(7, rows)


def test_counts_roll_up_from_stored_grid_codes_with_rates() -> None:
    units = small_units()
    vec, unmapped = grid_vector(units, [("G1", 4), ("G2", 6), ("G4", 3), ("G5", 1), ("OLD-GRID", 2)])
    assert vec.tolist() == [4.0, 6.0, 0.0, 3.0, 1.0] and unmapped == 2
    towns = tier_counts(units, vec, Tier.TOWN, unmapped)
    assert towns.codes.tolist() == ["T1", "T2"] and towns.counts.tolist() == [10.0, 4.0]
    assert towns.per_1000.round(4).tolist() == [3.3333, 2.0]  # type: ignore[union-attr]
    assert towns.per_km2.round(4).tolist() == [0.3333, 0.2]
    assert tier_counts(units, vec, Tier.VILLAGE).counts.tolist() == [10.0, 0.0, 4.0]
    assert tier_counts(units, vec, Tier.COUNTY).counts.tolist() == [14.0]


def test_weekly_counts_roll_up() -> None:
    units = small_units()
    grid = grid_week_matrix(units, [("G1", 0, 2), ("G2", 1, 3), ("G5", 1, 1), ("G3", 9, 5)], weeks=2)
    assert grid.tolist() == [[2, 0], [0, 3], [0, 0], [0, 0], [0, 1]]  # week 9 is outside the two weeks
    assert roll_up_matrix(units, grid, Tier.TOWN).tolist() == [[2, 3], [0, 1]]
