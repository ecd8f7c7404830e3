"""Response models of the 考核 figures, the weekly rankings, the overdue / 督办 boards and the forecast."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.schemas import Model
from gis.hotspots.kpi import FIGURES

_ROW = f"the unit's figures ({', '.join(FIGURES)}), each with its *_change on the previous period"


class Span(Model):
    """A period as ISO datetimes."""

    since: str
    until: str


class League(Model):
    """How a league table was ranked."""

    by: str = Field(description="the figure")
    basis: str = Field(description="the count the figure rests on")
    min_cases: int
    ranked: bool
    order: str = Field(description="ascending or descending")


class Figures(Span):
    """The loop's figures for a period and the previous one, with their definitions and column names."""

    by: str = Field(description="county, town, village, grid or staff")
    previous: Span
    definitions: dict[str, str] = Field(description="each figure's Chinese definition")
    league: League | None = Field(description="set when rank_by was asked")
    labels: dict[str, str] = Field(description="the Chinese name of every column")


class UnitFigures(Figures):
    """The figures per unit."""

    units: list[dict[str, Any]] = Field(description="unit, name, rank (with rank_by), " + _ROW)


class StaffFigures(Figures):
    """The figures per staff member (credited with the cases they led)."""

    staff: list[dict[str, Any]] = Field(description="staff_code, name, role_label, rank (with rank_by), " + _ROW)


class RedTown(Model):
    """A town by its red and yellow grids."""

    code: str
    name: str
    red_grids: int
    yellow_grids: int


class RisingGrid(Model):
    """A grid whose cases rose on the week before."""

    code: str
    name: str
    last_week: int
    change: int


class LateTown(Model):
    """A town with a low on-time rate (enough resolved cases to rank)."""

    code: str
    name: str
    on_time_rate: float
    resolved: int


class Rankings(Span):
    """The weekly meeting's three lists."""

    most_red: list[RedTown]
    fastest_rising: list[RisingGrid]
    lowest_on_time: list[LateTown]
    min_cases: int


class Board(Model):
    """A page of a board, oldest due first (overdue) or newest first (督办), with Chinese labels."""

    total: int
    limit: int
    offset: int
    items: list[dict[str, Any]]


class OverdueBoard(Board):
    """Warning and overdue cases."""

    overdue: int = Field(description="how many of the total are past due")


class ForecastUnit(Model):
    """A unit's expected cases in the week."""

    code: str
    name: str
    town_code: str
    forecast: float


class Forecast(Model):
    """Expected cases of an ISO week per unit."""

    tier: str
    week: str
    data_until: Any = Field(description="the last day of data the model saw")
    units: list[ForecastUnit]
    forecast_total: float


class AlertUnit(Model):
    """A unit's reported cases against its baseline; grid workers' own finds beside.

    County-wide callers also get the test's ``expected``, ``p`` and ``q`` (floats); town users never do.
    """

    code: str
    name: str
    town_code: str
    alert: bool
    recent: int
    baseline: int
    discovered_recent: int
    discovered_rising: bool


class AlertRule(Model):
    """The trend test's settings."""

    recent_weeks: int
    baseline_weeks: int
    fdr: float
    min_count: int


class ForecastAlerts(Model):
    """Rising-trend alerts at the end of an ISO week."""

    tier: str
    week: str
    rule: AlertRule
    alerted: int
    units: list[AlertUnit]
