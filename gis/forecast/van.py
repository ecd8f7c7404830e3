"""The mobile mediation van (流动调解车): a day's route over the villages that most need a visit.

Distances are great-circle lengths times a detour factor, because an intranet install has no road network:
1.3 is the usual circuity of rural road networks (road distance / straight-line distance, which studies of
road networks put between about 1.2 and 1.4). Travel times follow from an average speed per mode.

The route is solved as a prize-collecting vehicle routing problem with OR-Tools: start and end at the centre,
within the working hours, a fixed visit time per village; a village that does not fit into the day is left
out, the lowest priority first (each village's drop penalty grows with its priority).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from gis.errors import InvalidInput

DETOUR_FACTOR = 1.3
SOLVER_SECONDS = 1  # guided local search runs until this limit; 15 villages need far less
EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
PRIORITY_SCALE = 1_000_000  # seconds of travel one unit of priority is worth: visiting always beats driving less


class TravelMode(StrEnum):
    """How the team travels, with its average speed on county roads or paths."""

    VAN = "van"
    FOOT = "foot"

    @property
    def km_per_hour(self) -> float:
        """Average speed, door to door."""
        return {TravelMode.VAN: 30.0, TravelMode.FOOT: 4.0}[self]

    @property
    def label(self) -> str:
        """The mode's name for people."""
        return {TravelMode.VAN: "调解车", TravelMode.FOOT: "步行"}[self]


@dataclass(frozen=True)
class WorkingDay:
    """The day's frame: working hours, the time spent in each village, how the team travels."""

    start: time = time(8, 30)
    end: time = time(17, 30)
    visit_minutes: int = 60
    mode: TravelMode = TravelMode.VAN
    detour: float = DETOUR_FACTOR

    def __post_init__(self) -> None:
        if self.minutes <= 0:
            raise InvalidInput("下班时间须晚于出发时间", reason="bad_working_hours")
        if not 10 <= self.visit_minutes <= 240:
            raise InvalidInput("每村停留时间须在 10 到 240 分钟之间", reason="bad_visit_minutes")
        if not 1.0 <= self.detour <= 3.0:
            raise InvalidInput("绕行系数须在 1.0 到 3.0 之间", reason="bad_detour")

    @property
    def minutes(self) -> int:
        """Length of the working day in minutes."""
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)

    def travel_minutes(self, km: float) -> float:
        """Minutes to cover ``km`` of road."""
        return km / self.mode.km_per_hour * 60


@dataclass(frozen=True)
class Candidate:
    """A village that may be visited, with its priority (higher first) and where the van stops (lon, lat)."""

    code: str
    name: str
    lon: float
    lat: float
    priority: float


@dataclass(frozen=True)
class Stop:
    """One visit of the plan: minutes after the day's start of arrival and departure, and the leg before it."""

    candidate: Candidate
    arrive_minute: int
    depart_minute: int
    leg_km: float


@dataclass(frozen=True)
class DayRoute:
    """The solved day: stops in order, the way back, and the candidates left out."""

    stops: tuple[Stop, ...]
    return_km: float
    back_minute: int
    left_out: tuple[Candidate, ...]

    @property
    def total_km(self) -> float:
        """Estimated road km of the whole day."""
        return sum(s.leg_km for s in self.stops) + self.return_km


def road_km(lon: NDArray[np.float64], lat: NDArray[np.float64], detour: float) -> NDArray[np.float64]:
    """Pairwise estimated road distances in km: haversine times the detour factor."""
    phi, lam = np.radians(lat), np.radians(lon)
    dphi = phi[:, None] - phi[None, :]
    dlam = lam[:, None] - lam[None, :]
    a = np.sin(dphi / 2) ** 2 + np.cos(phi[:, None]) * np.cos(phi[None, :]) * np.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))) * detour


def plan_day(centre: tuple[float, float], candidates: list[Candidate], day: WorkingDay) -> DayRoute:
    """The best route from the centre over the candidates that fit into the working day, and back."""
    if not candidates:
        return DayRoute((), 0.0, 0, ())
    lon = np.array([centre[0], *(c.lon for c in candidates)])
    lat = np.array([centre[1], *(c.lat for c in candidates)])
    km = road_km(lon, lat, day.detour)
    minutes = np.rint(np.vectorize(day.travel_minutes)(km)).astype(int)
    manager = pywrapcp.RoutingIndexManager(len(lon), 1, 0)
    routing = pywrapcp.RoutingModel(manager)

    def leg(from_index: int, to_index: int) -> int:
        a, b = manager.IndexToNode(from_index), manager.IndexToNode(to_index)
        return int(minutes[a, b]) + (day.visit_minutes if a != 0 else 0)

    transit = routing.RegisterTransitCallback(leg)
    routing.SetArcCostEvaluatorOfAllVehicles(transit)
    routing.AddDimension(transit, 0, day.minutes, True, "time")
    for node, candidate in enumerate(candidates, start=1):
        routing.AddDisjunction([manager.NodeToIndex(node)], int(PRIORITY_SCALE * max(candidate.priority, 1e-3)))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.seconds = SOLVER_SECONDS
    solution = routing.SolveWithParameters(params)
    if solution is None:  # even one village does not fit the day: nothing to visit
        return DayRoute((), 0.0, 0, tuple(candidates))
    time_dim = routing.GetDimensionOrDie("time")
    stops: list[Stop] = []
    index, previous = routing.Start(0), 0
    index = solution.Value(routing.NextVar(index))
    while not routing.IsEnd(index):
        node = manager.IndexToNode(index)
        arrive = solution.Value(time_dim.CumulVar(index))
        leg_km = round(float(km[previous, node]), 2)
        stops.append(Stop(candidates[node - 1], arrive, arrive + day.visit_minutes, leg_km))
        previous, index = node, solution.Value(routing.NextVar(index))
    visited = {s.candidate.code for s in stops}
    return DayRoute(tuple(stops), round(float(km[previous, 0]), 2), solution.Value(time_dim.CumulVar(index)),
                    tuple(c for c in candidates if c.code not in visited))
