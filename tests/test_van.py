"""The van's day route: road distances, which villages fit into a day, and in what order."""

from __future__ import annotations

from datetime import time

import numpy as np
import pytest

from gis.errors import InvalidInput
from gis.forecast.van import Candidate, TravelMode, WorkingDay, plan_day, road_km

CENTRE = (116.0, 24.0)
STEP_KM = 13.21  # 0.1 degree of longitude at 24 N (10.158 km) times the detour factor 1.3


def test_road_km_is_great_circle_times_detour() -> None:
    one_degree = road_km(np.array([0.0, 0.0]), np.array([0.0, 1.0]), 1.0)
    assert one_degree[0, 1] == pytest.approx(111.195, abs=0.001)
    steps = road_km(np.array([116.0, 116.1, 116.3]), np.array([24.0, 24.0, 24.0]), 1.3)
    assert steps[0, 1] == pytest.approx(13.2056, abs=0.001)
    assert steps[0, 2] == pytest.approx(3 * 13.2056, abs=0.001) and steps[2, 0] == steps[0, 2]


def test_a_long_day_visits_every_village_in_a_sensible_order() -> None:
    villages = [Candidate("b", "乙村", 116.2, 24.0, 1.0), Candidate("a", "甲村", 116.1, 24.0, 1.0),
                Candidate("c", "丙村", 116.3, 24.0, 1.0)]
    route = plan_day(CENTRE, villages, WorkingDay())
    order = [s.candidate.code for s in route.stops]
    assert order in (["a", "b", "c"], ["c", "b", "a"])  # out along the road and back, never zig-zag
    assert route.left_out == ()
    assert route.total_km == pytest.approx(6 * STEP_KM, abs=0.05)
    first = route.stops[0]
    assert first.arrive_minute == (26 if order[0] == "a" else 79)  # 13.2 km at 30 km/h is 26 minutes
    assert all(s.depart_minute - s.arrive_minute == 60 for s in route.stops)
    assert route.back_minute == 3 * 60 + 26 + 26 + 26 + 79  # three visits plus 6 steps of 26.4 minutes, rounded


def test_a_short_day_keeps_the_higher_priority_village() -> None:
    west = Candidate("w", "西村", 115.9, 24.0, 0.5)
    east = Candidate("e", "东村", 116.1, 24.0, 2.0)
    route = plan_day(CENTRE, [west, east], WorkingDay(time(8, 30), time(10, 30)))
    assert [s.candidate.code for s in route.stops] == ["e"]
    assert route.left_out == (west,)
    assert route.back_minute == 26 + 60 + 26


def test_on_foot_a_far_village_does_not_fit() -> None:
    far = Candidate("f", "远村", 116.5, 24.0, 5.0)  # 66 km of road: 16 hours on foot
    route = plan_day(CENTRE, [far], WorkingDay(mode=TravelMode.FOOT))
    assert route.stops == () and route.left_out == (far,) and route.total_km == 0


@pytest.mark.parametrize(("kwargs", "reason"), [
    ({"start": time(17, 0), "end": time(9, 0)}, "bad_working_hours"),
    ({"visit_minutes": 5}, "bad_visit_minutes"),
    ({"detour": 0.8}, "bad_detour"),
])
def test_a_working_day_that_makes_no_sense_is_refused(kwargs: dict[str, object], reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        WorkingDay(**kwargs)  # type: ignore[arg-type]
    assert caught.value.reason == reason
