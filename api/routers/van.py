"""The mobile mediation van's day plan (流动调解车): which villages, in which order, at what times.

The villages come from the early-warning figures (gis.forecast.van_service); a town user plans over their own
town from their own town's cases. The answer carries the route as GeoJSON for the map and the times for the
printed plan (/maps/van).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.deps import HotspotsDep, RulesDep, ServicesDep, allow
from api.errors import error_responses
from gis.cases.taxonomy import Taxonomy
from gis.forecast.van import DETOUR_FACTOR, TravelMode, WorkingDay
from gis.forecast.van_service import VanPlan, plan_van_day
from gis.policy import SYSTEM, Scope
from gis.storage.pool import Conn, translate_pg_errors

router = APIRouter(prefix="/api/v1", tags=["forecast"])
VanScope = Annotated[Scope, allow("forecast.read")]
Clock = Annotated[str, Query(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM, China time")]


def county_van_connection(services: ServicesDep, scope: VanScope) -> Iterator[Conn]:
    """The forecasts read every grid's history; a town user's plan is computed from their own town only."""
    with translate_pg_errors(), services.pool.session(SYSTEM) as conn:
        yield conn


VanConn = Annotated[Conn, Depends(county_van_connection, scope="function")]


class VanStop(BaseModel):
    """One village of the day, in visiting order."""

    order: int
    code: str
    name: str
    lon: float
    lat: float
    arrive: str = Field(description="到达时间 HH:MM")
    depart: str = Field(description="离开时间 HH:MM")
    leg_km: float = Field(description="from the previous stop (or the centre), estimated road km")
    priority: float = Field(description="expected cases of the category in the plan's week, doubled if alerted")
    forecast: float
    category_share: float
    alerted: bool


class LeftOut(BaseModel):
    """A candidate village that did not fit into the day."""

    code: str
    name: str
    priority: float


class VanPlanOut(BaseModel):
    """The day's plan: where it starts and ends, the stops, the way back, and what was left out."""

    day: date
    category: str | None
    category_name: str | None
    mode: TravelMode
    mode_label: str
    start: str
    end: str
    visit_minutes: int
    detour_factor: float
    km_per_hour: float
    centre: list[float]
    centre_name: str
    forecast_week: str
    alert_week: str
    stops: list[VanStop]
    return_km: float
    back_at: str
    total_km: float
    left_out: list[LeftOut]
    route: dict[str, object] = Field(description="GeoJSON LineString of the legs (straight lines)")


def _clock(value: str) -> time:
    hour, minute = value.split(":")
    return time(int(hour), int(minute))


def _at(start: time, minutes: int) -> str:
    moment = datetime.combine(date(2000, 1, 1), start) + timedelta(minutes=minutes)
    return moment.strftime("%H:%M")


def _category_name(taxonomy: Taxonomy, code: str | None) -> str | None:
    return None if code is None else taxonomy.get(code).name


def _out(plan: VanPlan, working: WorkingDay, taxonomy: Taxonomy) -> VanPlanOut:
    route = plan.route
    stops = [VanStop(order=i, code=s.candidate.code, name=s.candidate.name, lon=s.candidate.lon, lat=s.candidate.lat,
                     arrive=_at(working.start, s.arrive_minute), depart=_at(working.start, s.depart_minute),
                     leg_km=s.leg_km, priority=s.candidate.priority, forecast=plan.reasons[s.candidate.code].forecast,
                     category_share=plan.reasons[s.candidate.code].share,
                     alerted=plan.reasons[s.candidate.code].alerted)
             for i, s in enumerate(route.stops, start=1)]
    line = [list(plan.centre), *([s.lon, s.lat] for s in stops), list(plan.centre)]
    return VanPlanOut(
        day=plan.day, category=plan.category, category_name=_category_name(taxonomy, plan.category), mode=working.mode,
        mode_label=working.mode.label, start=_at(working.start, 0), end=_at(working.start, working.minutes),
        visit_minutes=working.visit_minutes, detour_factor=working.detour, km_per_hour=working.mode.km_per_hour,
        centre=list(plan.centre), centre_name=plan.centre_name, forecast_week=plan.forecast_week,
        alert_week=plan.alert_week, stops=stops, return_km=route.return_km,
        back_at=_at(working.start, route.back_minute), total_km=round(route.total_km, 2),
        left_out=[LeftOut(code=c.code, name=c.name, priority=c.priority) for c in route.left_out],
        route={"type": "LineString", "coordinates": line})


@router.get("/forecast/van-route", response_model=VanPlanOut, responses=error_responses(401, 403, 422))
def van_route(conn: VanConn, scope: VanScope, rules: RulesDep, hotspots: HotspotsDep,
              day: Annotated[date, Query(description="the plan's day")],
              category: Annotated[str | None, Query(pattern=r"^\d{2}(\d{2})?$")] = None,
              mode: TravelMode = TravelMode.VAN, start: Clock = "08:30", end: Clock = "17:30",
              visit_minutes: Annotated[int, Query(ge=10, le=240)] = 60,
              detour: Annotated[float, Query(ge=1.0, le=3.0)] = DETOUR_FACTOR) -> VanPlanOut:
    """A day's route over the villages the early-warning figures rank highest for a category (or all).

    Start and end at the centre (the county's, or a town user's town), within the working hours, a visit of
    ``visit_minutes`` per village; distances are great-circle km times ``detour`` (no road network offline).
    """
    _category_name(rules.taxonomy, category)
    working = WorkingDay(_clock(start), _clock(end), visit_minutes, mode, detour)
    now = datetime.now(UTC)
    plan = plan_van_day(conn, hotspots.weights(conn), day=day, category=category, working=working, now=now,
                        town_code=scope.town_code)
    return _out(plan, working, rules.taxonomy)
