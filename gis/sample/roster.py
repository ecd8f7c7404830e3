"""A sample roster for the synthetic county: grid workers, mediators, police, lawyers, psychologists."""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from gis.sample.names import person_names

ROSTER_COLUMNS = (
    "staff_code",
    "name",
    "role",
    "organisation",
    "phone",
    "skills",
    "territory",
    "home_lon",
    "home_lat",
    "capacity",
    "languages",
)
MEDIATOR_SKILLS = "01;02;03;05;06"
POLICE_SKILLS = "0104;07;10"
LAWYER_SKILLS = "03;04;05;07;08"


def build_roster(layers: dict[str, gpd.GeoDataFrame], seed: int) -> list[dict[str, object]]:
    """One grid worker per grid, two mediators per village, town mediators, police and legal staff."""
    rng = np.random.default_rng(seed + 2)
    grids, villages, towns = layers["grids"], layers["villages"], layers["towns"]
    rows: list[dict[str, object]] = []

    def add(role: str, org: str, skills: str, territory: str, point: shapely.Point, capacity: int) -> None:
        rows.append(
            {
                "staff_code": f"S{len(rows) + 1:06d}",
                "name": "",
                "role": role,
                "organisation": org,
                "phone": f"1{rng.choice([35, 37, 38, 39, 50, 58, 86, 89])}{rng.integers(0, 10**8):08d}",
                "skills": skills,
                "territory": territory,
                "home_lon": round(point.x, 6),
                "home_lat": round(point.y, 6),
                "capacity": capacity,
                "languages": "普通话;" + str(rng.choice(["客家话", "粤语", "潮汕话"])),
            }
        )

    grid_points = shapely.point_on_surface(grids.geometry.values)
    for code, name, point in zip(grids.code, grids.name, grid_points, strict=True):
        add("grid_worker", f"{name}工作站", "02;06;10", code, point, 3)  # a unit's name people read, not its code
    village_points = shapely.point_on_surface(villages.geometry.values)
    for code, name, point in zip(villages.code, villages.name, village_points, strict=True):
        for _ in range(2):
            add("mediator", f"{name}人民调解委员会", MEDIATOR_SKILLS, code, _jitter(rng, point), 2)
    town_points = shapely.point_on_surface(towns.geometry.values)
    for code, name, point in zip(towns.code, towns.name, town_points, strict=True):
        stem = name.removesuffix("镇").removesuffix("街道")
        for _ in range(4):
            add("mediator", f"{name}人民调解委员会", MEDIATOR_SKILLS + ";04", code, _jitter(rng, point), 3)
        for _ in range(8):
            add("police", f"{stem}派出所", POLICE_SKILLS, code, _jitter(rng, point), 2)
        add("department_liaison", f"{name}司法所", "01;05", code, point, 4)
    county_point = shapely.point_on_surface(layers["county"].geometry.values[0])
    for firm in ("云溪律师事务所", "法律援助中心", "正和律师事务所"):
        for _ in range(10):
            add("lawyer", firm, LAWYER_SKILLS, "", _jitter(rng, county_point, 3000), 2)
    for _ in range(6):
        add("psychologist", "县心理服务中心", "01;10", "", _jitter(rng, county_point, 3000), 2)
    for row, name in zip(rows, person_names(rng, len(rows)), strict=True):
        row["name"] = name
    return rows


def _jitter(rng: np.random.Generator, point: shapely.Point, metres: float = 400) -> shapely.Point:
    dx, dy = rng.normal(0, metres, 2)
    return shapely.Point(point.x + dx / 101_000, point.y + dy / 111_000)


def write_roster(rows: list[dict[str, object]], path: Path) -> None:
    """Write the roster as UTF-8 CSV (with a BOM so Excel shows Chinese correctly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=ROSTER_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
