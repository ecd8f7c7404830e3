"""A deterministic year of cases for the sample county: where, when, what and through which channel.

Rates are per 1,000 residents of each grid (population from the sample county), by kind of place
(rural village or urban community) and category class, shaped over the year by a season profile.
Three planted stories make the supervisors' pages worth reading: a village whose land-acquisition
disputes (征地) rise over the last eight weeks, a town that cooled down over the last three months and a
persistent hotspot in the county seat. ``HistorySpec(stories=False)`` draws the same county without them
(the background and the traffic corridors only), the null history on which false alarms are counted.
``gis.sample.history`` walks every case through the loop.
See data/cases/README.md for every rate, profile and story.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import shapely
from numpy.typing import NDArray

from gis.cases.book import CaseRules
from gis.hotspots.filters import local_midnight
from gis.hotspots.units import UnitTable
from gis.models import Tier

# Cases per 1,000 residents per year: (rural village, urban community), and the season profile.
CLASS_RATES: dict[str, tuple[float, float, str]] = {
    "01": (2.2, 2.0, "flat"),              # 婚姻家庭
    "02": (3.0, 3.2, "flat"),              # 邻里
    "03": (3.2, 0.3, "farming"),           # 土地山林: spring ploughing and harvest (田间地头)
    "04": (0.4, 2.2, "spring_festival"),   # 劳动争议: unpaid wages before the Spring Festival
    "05": (0.9, 1.6, "flat"),              # 合同与经济
    "06": (0.1, 1.8, "flat"),              # 物业与住房
    "07": (0.25, 0.45, "flat"),            # 交通事故: and 8x along the corridors
    "08": (0.15, 0.35, "flat"),            # 医疗
    "09": (0.3, 0.2, "summer"),            # 环境污染
    "10": (0.5, 0.9, "flat"),              # 治安与安全隐患
}
DEFAULT_RATES = (0.3, 0.3, "flat")  # a class a county adds that the generator does not know
ITEM_WEIGHTS = {"0303": 0.1}  # land acquisition is rare in the background (the story adds it)
# Source channel mix by class (codes from data/taxonomy/channels.toml; unknown codes are dropped).
BASE_CHANNELS = {"walk_in": 0.28, "grid_worker": 0.34, "hotline_12345": 0.16, "app": 0.1, "police_110": 0.05,
                 "petition": 0.03, "online_opinion": 0.02, "court_referral": 0.02}
CLASS_CHANNELS: dict[str, dict[str, float]] = {
    "03": {**BASE_CHANNELS, "petition": 0.12, "court_referral": 0.05},
    "04": {**BASE_CHANNELS, "hotline_12345": 0.3, "petition": 0.12, "online_opinion": 0.08},
    "07": {**BASE_CHANNELS, "police_110": 0.6, "court_referral": 0.08},
    "10": {**BASE_CHANNELS, "police_110": 0.5},
    "09": {**BASE_CHANNELS, "online_opinion": 0.15, "hotline_12345": 0.3},
}
SEVERITY_MIX = {"low": 0.35, "medium": 0.5, "high": 0.12, "critical": 0.03}
SPRING_FESTIVALS = [date(2024, 2, 10), date(2025, 1, 29), date(2026, 2, 17), date(2027, 2, 6), date(2028, 1, 26),
                    date(2029, 2, 13), date(2030, 2, 3)]
POINTS_PER_GRID = 24


@dataclass(frozen=True)
class HistorySpec:
    """What to generate: the last day (inclusive), how many days, the seed, a scale on every rate, the stories."""

    until: date
    days: int = 365
    seed: int = 20261123
    scale: float = 1.0
    stories: bool = True


@dataclass
class Draws:
    """The cases drawn, as arrays (one entry per case), and the stories planted."""

    grid: NDArray[np.int64]
    category: NDArray[np.str_]
    channel: NDArray[np.str_]
    severity: NDArray[np.str_]
    created: NDArray[np.int64]  # seconds since the epoch, UTC
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    stories: dict[str, object] = field(default_factory=dict)


def season(profile: str, days: list[date]) -> NDArray[np.float64]:
    """Relative intensity of a season profile on each day (weekends quieter for everything)."""
    doy = np.array([d.timetuple().tm_yday for d in days], dtype=float)
    weekday = np.array([d.weekday() for d in days])
    base = np.where(weekday >= 5, 0.75, 1.0)
    if profile == "farming":
        shape = 0.6 + 2.0 * np.exp(-(((doy - 95) / 18) ** 2)) + 1.8 * np.exp(-(((doy - 285) / 18) ** 2))
    elif profile == "spring_festival":
        shape = np.full(len(days), 0.7)
        for festival in SPRING_FESTIVALS:
            before = np.array([(festival - d).days for d in days])
            shape = np.where((before > 0) & (before <= 42), 0.7 + 3.5 * (1 - before / 42), shape)
            shape = np.where((before <= 0) & (before > -8), 0.2, shape)
    elif profile == "summer":
        shape = 0.7 + 0.9 * np.exp(-(((doy - 200) / 30) ** 2))
    else:
        shape = np.ones(len(days))
    return base * shape


def interior_points(geoms: NDArray[np.object_], k: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """``k`` random points inside each polygon, shape (n, k, 2); rejection sampling in the bounding boxes."""
    shapely.prepare(geoms)
    bounds = shapely.bounds(geoms)
    n, tries = len(geoms), 4 * k
    x = bounds[:, [0]] + rng.random((n, tries)) * (bounds[:, [2]] - bounds[:, [0]])
    y = bounds[:, [1]] + rng.random((n, tries)) * (bounds[:, [3]] - bounds[:, [1]])
    inside = shapely.contains_xy(np.repeat(geoms, tries).reshape(n, tries), x, y)
    fallback = shapely.get_coordinates(shapely.point_on_surface(geoms))
    out = np.empty((n, k, 2))
    for i in range(n):
        xs, ys = x[i][inside[i]], y[i][inside[i]]
        if len(xs) == 0:
            xs, ys = fallback[i, :1], fallback[i, 1:]
        pick = np.arange(k) % len(xs)
        out[i, :, 0], out[i, :, 1] = xs[pick], ys[pick]
    return out


def place_multipliers(units: UnitTable, rng: np.random.Generator) -> tuple[dict[str, NDArray[np.float64]],
                                                                            dict[str, object]]:
    """Per-grid rate multipliers by class (corridors, the persistent hotspot) and the stories' places."""
    grids, villages, towns = units.of(Tier.GRID), units.of(Tier.VILLAGE), units.of(Tier.TOWN)
    n = len(grids)
    centres = shapely.get_coordinates(shapely.point_on_surface(grids.geometry))
    town_pts = shapely.get_coordinates(shapely.point_on_surface(towns.geometry))
    mult: dict[str, NDArray[np.float64]] = {}
    # Traffic corridors: roads between three pairs of town seats; grids within 1.2 km carry 8x the traffic cases.
    corridor = np.zeros(n, dtype=bool)
    pairs = rng.choice(len(towns), size=(3, 2), replace=len(towns) < 6) if len(towns) > 1 else np.zeros((0, 2), int)
    kx = 101_000.0 * np.cos(np.radians(float(centres[:, 1].mean()))) if n else 101_000.0
    for a, b in pairs:
        if a == b:
            continue
        line = shapely.LineString([town_pts[a], town_pts[b]])
        scaled = shapely.affinity.scale(line, kx, 111_000.0, origin=(0, 0))
        pts = shapely.points(centres[:, 0] * kx, centres[:, 1] * 111_000.0)
        corridor |= shapely.distance(pts, scaled) < 1200
    mult["07"] = np.where(corridor, 8.0, 1.0)
    # Persistent hotspot: the most populous grid of the county seat (街道) and its neighbours, 5x on urban classes.
    seat = [i for i, name in enumerate(towns.names) if str(name).endswith("街道")] or [0]
    seat_code = towns.codes[seat[0]]
    in_seat = np.flatnonzero(towns.codes[units.up[Tier.TOWN]] == seat_code)
    core = int(in_seat[np.argmax(grids.population[in_seat])]) if len(in_seat) else 0
    tree = shapely.STRtree(grids.geometry)
    hot = sorted({core, *tree.query(grids.geometry[core], predicate="touches").tolist()})
    spot = np.ones(n)
    spot[hot] = 5.0
    for cls in ("02", "04", "05", "06"):
        mult[cls] = spot
    village_urban = np.array([str(v).endswith("社区") for v in villages.names])
    rural_towns = [t for t in range(len(towns)) if t != seat[0]]
    cooled = int(rng.choice(rural_towns)) if rural_towns else 0
    village_town = towns.positions(villages.parent_codes)
    grids_per_village = np.bincount(units.up[Tier.VILLAGE], minlength=len(villages))
    candidates = np.flatnonzero(~village_urban & (village_town != cooled) & (village_town != seat[0])
                                & (grids_per_village >= 4))
    if len(candidates) == 0:
        candidates = np.arange(len(villages))
    zhengdi = int(rng.choice(candidates))
    stories: dict[str, object] = {
        "hotspot_grids": [str(grids.codes[g]) for g in hot],
        "cooled_town": str(towns.codes[cooled]),
        "land_acquisition_village": str(villages.codes[zhengdi]),
        "corridor_grids": int(corridor.sum()),
    }
    return mult, stories


def draw_cases(units: UnitTable, rules: CaseRules, spec: HistorySpec) -> Draws:
    """Draw every case of the window: grid, category item, channel, severity, time and point."""
    rng = np.random.default_rng(spec.seed)
    grids, villages = units.of(Tier.GRID), units.of(Tier.VILLAGE)
    first = spec.until - timedelta(days=spec.days - 1)
    days = [first + timedelta(days=i) for i in range(spec.days)]
    urban = np.array([str(v).endswith("社区") for v in villages.names])[units.up[Tier.VILLAGE]]
    mult, stories = place_multipliers(units, rng)
    cooled_town = units.of(Tier.TOWN).index[str(stories["cooled_town"])]
    in_cooled = units.up[Tier.TOWN] == cooled_town
    if not spec.stories:  # the same places and rates, with nothing planted
        mult = {"07": mult["07"]}
        in_cooled = np.zeros(len(grids), dtype=bool)
        stories = {"corridor_grids": stories["corridor_grids"]}
    cool_from = spec.days - 90  # the cooled town: 2.2x the rate until 90 days ago, half of it since
    classes = sorted({c.class_code for c in rules.taxonomy.categories.values()})
    parts: list[tuple[NDArray[np.int64], NDArray[np.int64], str]] = []
    for cls in classes:
        rural, town_rate, profile = CLASS_RATES.get(cls, DEFAULT_RATES)
        rate = np.where(urban, town_rate, rural) * mult.get(cls, 1.0) * np.where(in_cooled, 2.2, 1.0)
        expected = grids.population / 1000.0 * rate * spec.days / 365.0 * spec.scale
        count = rng.poisson(expected)
        grid_of = np.repeat(np.arange(len(grids)), count)
        weights = season(profile, days)
        day_of = rng.choice(spec.days, size=len(grid_of), p=weights / weights.sum())
        keep = ~(in_cooled[grid_of] & (day_of >= cool_from)) | (rng.random(len(grid_of)) < 0.5 / 2.2)
        parts.append((grid_of[keep], day_of[keep], cls))
    zhengdi = (_land_acquisition(units, str(stories["land_acquisition_village"]), spec, rng) if spec.stories
               else (np.zeros(0, np.int64), np.zeros(0, np.int64)))
    grid_of = np.concatenate([p[0] for p in parts] + [zhengdi[0]])
    day_of = np.concatenate([p[1] for p in parts] + [zhengdi[1]])
    class_of = np.concatenate([np.full(len(p[0]), p[2]) for p in parts] + [np.full(len(zhengdi[0]), "03")])
    category = _items(rules, class_of, rng)
    category[len(category) - len(zhengdi[0]):] = "0303" if "0303" in rules.taxonomy.categories else "03"
    order = np.lexsort((grid_of, day_of))
    grid_of, day_of, category, class_of = grid_of[order], day_of[order], category[order], class_of[order]
    seconds = rng.uniform(7.5, 21.0, len(grid_of)) * 3600
    start = int(local_midnight(first).timestamp())
    created = start + day_of * 86400 + seconds.astype(np.int64)
    points = interior_points(grids.geometry, POINTS_PER_GRID, rng)
    pick = points[grid_of, rng.integers(0, POINTS_PER_GRID, len(grid_of))]
    return Draws(grid=grid_of, category=category, channel=_channels(rules, class_of, rng),
                 severity=rng.choice(list(SEVERITY_MIX), size=len(grid_of), p=list(SEVERITY_MIX.values())),
                 created=created, lon=pick[:, 0], lat=pick[:, 1], stories=stories)


def _land_acquisition(units: UnitTable, village_code: str, spec: HistorySpec, rng: np.random.Generator
                      ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """征地: extra land-acquisition disputes in one village, rising week by week over the last 8 weeks."""
    village = units.of(Tier.VILLAGE).index[village_code]
    members = np.flatnonzero(units.up[Tier.VILLAGE] == village)
    weekly = np.array([1, 2, 3, 5, 7, 9, 12, 15]) * max(spec.scale, 0.25)
    counts = rng.poisson(weekly)
    day_of = np.concatenate([spec.days - 56 + 7 * w + rng.integers(0, 7, c) for w, c in enumerate(counts)])
    day_of = day_of[(day_of >= 0) & (day_of < spec.days)].astype(np.int64)
    return rng.choice(members, size=len(day_of)).astype(np.int64), day_of


def _items(rules: CaseRules, class_of: NDArray[np.str_], rng: np.random.Generator) -> NDArray[np.str_]:
    out = class_of.astype("<U8").copy()
    for cls in np.unique(class_of):
        items = [c.code for c in rules.taxonomy.items() if c.class_code == cls]
        if not items:
            continue
        w = np.array([ITEM_WEIGHTS.get(i, 1.0) for i in items])
        mask = class_of == cls
        out[mask] = rng.choice(items, size=int(mask.sum()), p=w / w.sum())
    return out


def _channels(rules: CaseRules, class_of: NDArray[np.str_], rng: np.random.Generator) -> NDArray[np.str_]:
    known = rules.channels.channels
    out = np.empty(len(class_of), dtype="<U32")
    for cls in np.unique(class_of):
        mix = {k: v for k, v in CLASS_CHANNELS.get(str(cls), BASE_CHANNELS).items() if k in known}
        if not mix:
            mix = dict.fromkeys(known, 1.0)
        mask = class_of == cls
        w = np.array(list(mix.values()))
        out[mask] = rng.choice(list(mix), size=int(mask.sum()), p=w / w.sum())
    return out
