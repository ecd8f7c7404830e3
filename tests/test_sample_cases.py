"""The sample case history: deterministic, shaped by place and season, walked consistently through the loop."""

from __future__ import annotations

from datetime import date

import numpy as np
import psycopg

from gis.cases.book import load_rules
from gis.hotspots.service import load_units
from gis.models import Generation, Tier
from gis.sample.cases import HistorySpec, draw_cases, season
from gis.sample.load_cases import load_sample_cases

SPEC = HistorySpec(until=date(2024, 6, 30), days=120, scale=0.25)


def test_draws_are_deterministic_and_use_every_channel(conn: psycopg.Connection,
                                                       active_generation: Generation) -> None:
    units = load_units(conn, active_generation.id)
    rules = load_rules()
    a, b = draw_cases(units, rules, SPEC), draw_cases(units, rules, SPEC)
    assert np.array_equal(a.grid, b.grid) and np.array_equal(a.created, b.created)
    assert len(a.grid) == 3800
    assert set(a.channel) == set(rules.channels.channels)  # all eight, 信访 / 舆情 / 诉前委派 included
    assert a.stories == {"hotspot_grids": ["449901001001009", "449901001001010", "449901001001011",
                                           "449901001001012", "449901001006004", "449901001006005",
                                           "449901001006009", "449901001006010"],
                         "cooled_town": "449901108000", "land_acquisition_village": "449901110244",
                         "corridor_grids": 626}
    inside = units.of(Tier.GRID).geometry[a.grid]
    import shapely

    assert shapely.contains_xy(inside, a.lon, a.lat).all()  # every point lies in its grid


def test_seasons_peak_where_they_should() -> None:
    days = [date(2026, 1, 5), date(2026, 2, 10), date(2026, 4, 6), date(2026, 7, 6), date(2026, 10, 12)]
    farming, wages = season("farming", days), season("spring_festival", days)
    assert farming[2] > 2 * farming[0] and farming[4] > 2 * farming[3]  # ploughing and harvest
    assert wages[1] > 3 * wages[3]  # a week before the 2026 Spring Festival (17 February)


def test_history_is_stored_consistently(conn: psycopg.Connection, active_generation: Generation) -> None:
    result = load_sample_cases(conn, rules=load_rules(), spec=SPEC, credit_staff=False)
    assert result.cases == 3800
    rows = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE c.status = 'closed'), count(*) FILTER (WHERE c.closed_at IS NOT NULL),"
        " count(*) FILTER (WHERE c.status IN ('closed', 'returned'))"
        " FROM cases c JOIN users u ON u.id = c.created_by AND u.username = 'sample'"
        " WHERE c.created_at >= '2024-03-01' AND c.created_at < '2024-07-01'").fetchone()
    assert rows is not None
    total, closed, with_closed_at, finished = rows[:4]
    assert total == 3800 and with_closed_at == finished and closed > total * 0.7
    # Every case starts with its registration, and no transition lies after the history's end.
    first = conn.execute(
        "SELECT count(DISTINCT c.id), count(*) FILTER (WHERE t.at > %s), bool_and(t.at >= c.created_at)"
        " FROM cases c JOIN users u ON u.id = c.created_by AND u.username = 'sample'"
        " JOIN case_transitions t ON t.case_id = c.id", (result.until,)).fetchone()
    assert first == (3800, 0, True)
    tiers = dict(conn.execute(
        "SELECT handling_tier, count(*) FROM cases c JOIN users u ON u.id = c.created_by AND u.username = 'sample'"
        " GROUP BY 1").fetchall())
    assert (tiers.get(3, 0) + tiers.get(4, 0)) / total > 0.6  # most stay at grid or village tier
    open_late = conn.execute(
        "SELECT count(*) FROM cases c JOIN users u ON u.id = c.created_by AND u.username = 'sample'"
        " WHERE c.status IN ('registered', 'triaged', 'handling', 'escalated')").fetchone()
    assert open_late is not None and 0 < open_late[0] < total * 0.1  # the newest are still open
    zhengdi = conn.execute(
        "SELECT count(*) FILTER (WHERE created_at >= '2024-05-06'), count(*) FILTER (WHERE created_at < '2024-05-06')"
        " FROM cases WHERE village_code = '449901110244' AND category_code = '0303'").fetchone()
    assert zhengdi is not None and zhengdi[0] > 10 * max(zhengdi[1], 1)  # 征地 disputes in the last 8 weeks
