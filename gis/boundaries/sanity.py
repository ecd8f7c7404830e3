"""CRS sanity of a load: whether the codes, the declared coordinate system and the geometry agree.

- The province prefix of GB/T 2260 codes against the province extents in ``data/boundaries/province_extents.csv``
  (declared sample ranges such as the synthetic county's 4499 included).
- A Gauss-Kruger layer that lands outside the province its codes name: which 3-degree zone would fit.
- A layer whose own properties say GCJ-02 (map-app coordinates) read as WGS84.
- A layer that fits the active generation's county only after undoing a GCJ-02 (or BD-09) shift.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Transformer

from gis.boundaries import validate as qa
from gis.boundaries.report import Report
from gis.settings import PROJECT_ROOT

EXTENTS = PROJECT_ROOT / "data" / "boundaries" / "province_extents.csv"
MISMATCH_SHARE = 0.5  # more than this share of a prefix's areas outside its province: the codes or the CRS are wrong
FIT_SHARE = 0.9  # a zone "fits" when this share of the points lands in the province
GCJ_WORDS = re.compile(r"gcj[\s_-]*0?2|火星坐标|国测局|高德坐标", re.IGNORECASE)
ZONE_FAMILIES = ((4513, 4533, 25), (4534, 4554, None))  # (first EPSG, last EPSG, first zone or None: CM family)


@dataclass(frozen=True)
class Extent:
    """One row of the province table."""

    prefix: str
    kind: str
    name: str
    box: tuple[float, float, float, float]

    def holds(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.bool_]:
        """True for the points inside the extent."""
        minx, miny, maxx, maxy = self.box
        return np.asarray((x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy))


HOME_EXTENT = Extent("", "china", "中国", (73.0, 3.0, 135.5, 54.0))


@cache
def extents(path: Path = EXTENTS) -> tuple[Extent, ...]:
    """The province table, longest prefix first (a sample range wins over its province)."""
    with path.open(encoding="utf-8") as source:
        rows = csv.DictReader(line for line in source if not line.startswith("#"))
        out = [Extent(r["prefix"], r["kind"], r["name"], (float(r["min_lon"]), float(r["min_lat"]),
                                                           float(r["max_lon"]), float(r["max_lat"]))) for r in rows]
    return tuple(sorted(out, key=lambda e: -len(e.prefix)))


def extent_of(code: str) -> Extent | None:
    """The table row a code belongs to, or None for a code of no known province."""
    return next((e for e in extents() if code.startswith(e.prefix)), None)


def province_at(x: float, y: float) -> Extent | None:
    """The smallest province extent holding a point (extents overlap; the smallest is the likeliest)."""
    holding = [e for e in extents() if e.kind == "province" and e.holds(np.array([x]), np.array([y]))[0]]
    return min(holding, key=lambda e: (e.box[2] - e.box[0]) * (e.box[3] - e.box[1]), default=None)


def _points(geoms: NDArray[np.object_]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    xy = shapely.get_coordinates(shapely.point_on_surface(geoms))
    return xy[:, 0], xy[:, 1]


def zone_label(epsg: int) -> str:
    """A Gauss-Kruger EPSG code as GIS staff name it, with the ``--crs`` value that selects it."""
    if 4513 <= epsg <= 4533:
        zone = epsg - 4513 + 25
        return f"3 度带第 {zone} 带（EPSG:{epsg}，--crs gk{zone}）"
    meridian = 75 + 3 * (epsg - 4534)
    return f"中央经线 {meridian}°E 的 3 度带（EPSG:{epsg}，--crs gk-cm{meridian}e）"


def _family(epsg: int | None) -> range | None:
    for first, last, _ in ZONE_FAMILIES:
        if epsg is not None and first <= epsg <= last:
            return range(first, last + 1)
    return None


def fitting_zone(raw: gpd.GeoDataFrame, used_epsg: int, extent: Extent, *,
                 home: shapely.Geometry | None = None, on_home: bool = False) -> int | None:
    """The Gauss-Kruger zone of the same family under which the raw layer lands in ``extent``, if any.

    Several zones of the central-meridian family can land inside a wide province (each shifts by 3 degrees);
    the one landing on the active county (``home``) wins, else the one nearest the province's middle.
    """
    family = _family(used_epsg)
    if family is None or not len(raw):
        return None
    xy = shapely.get_coordinates(shapely.point_on_surface(np.asarray(raw.geometry.values, dtype=object)))
    fits: list[tuple[bool, float, int]] = []
    middle = (extent.box[0] + extent.box[2]) / 2
    for epsg in family:
        if epsg == used_epsg:
            continue
        lon, lat = Transformer.from_crs(f"EPSG:{epsg}", "EPSG:4326", always_xy=True).transform(xy[:, 0], xy[:, 1])
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        if not np.isfinite(lon).all() or extent.holds(lon, lat).mean() < FIT_SHARE:
            continue
        away = home is None or not bool(shapely.intersects_xy(home, lon, lat).any())
        if not (on_home and away):
            fits.append((away, abs(float(np.median(lon)) - middle), epsg))
    return min(fits)[2] if fits else None


def check_province(layer: gpd.GeoDataFrame, report: Report, *, raw: gpd.GeoDataFrame | None = None,
                   crs_epsg: int | None = None, home: shapely.Geometry | None = None) -> None:
    """Codes whose province prefix names a province the geometry is not in; a GK layer gets the zone that fits."""
    codes = layer.code.astype(str)
    usable = codes.str.fullmatch(r"\d{6,}").to_numpy().copy()
    if not usable.any():
        return
    geoms = np.asarray(layer.geometry.values, dtype=object)[usable]
    x, y = _points(geoms)
    china = HOME_EXTENT.holds(x, y)  # swapped or far-off coordinates are the extent check's to report
    if not china.all():
        usable[usable] = china
        x, y = x[china], y[china]
        if not usable.any():
            return
    prefixes = codes[usable].str[:2].to_numpy()
    tier = int(layer.tier.iloc[0]) if len(layer) else None
    for prefix in sorted(set(prefixes)):
        rows = prefixes == prefix
        sample = str(codes[usable][rows].iloc[0])
        extent = extent_of(sample)
        if extent is None:
            report.add("warning", "unknown_province_code",
                       f"代码 {sample} 的前两位 {prefix} 不是 GB/T 2260 的省级代码，也不在声明的示例代码范围内",
                       feature=sample, tier=tier)
            continue
        outside = ~extent.holds(x[rows], y[rows])
        if outside.mean() <= MISMATCH_SHARE:
            _check_zone_at_home(raw, crs_epsg, home, x[rows], y[rows], report, feature=sample, tier=tier)
            continue
        k = int(np.flatnonzero(outside)[0])
        actual = province_at(float(np.median(x[rows])), float(np.median(y[rows])))
        where_text = f"大多落在{actual.name}范围内" if actual else "不在任何省份范围内"
        message = (f"代码前缀 {prefix} 属于{extent.name}，但 {outside.mean():.0%} 的区划图形{where_text}"
                   f"（约东经 {np.median(x[rows]):.2f}°、北纬 {np.median(y[rows]):.2f}°）")
        zone = fitting_zone(raw, crs_epsg, extent, home=home) if raw is not None and crs_epsg is not None else None
        if zone is not None:
            report.add("error", "gauss_kruger_wrong_zone",
                       f"{message}：按{zone_label(crs_epsg or 0)}换算的结果落错了省份，"
                       f"按{zone_label(zone)}换算才落在{extent.name}；请改用 --crs gk{_zone_arg(zone)} 重新载入",
                       feature=sample, tier=tier, location=(float(x[rows][k]), float(y[rows][k])),
                       repair=f"--crs {_zone_arg_full(zone)}")
        else:
            report.add("error", "code_province_mismatch", f"{message}：区划代码或坐标系有误，请核对代码和 --crs",
                       feature=sample, tier=tier, location=(float(x[rows][k]), float(y[rows][k])))


def _check_zone_at_home(raw: gpd.GeoDataFrame | None, crs_epsg: int | None, home: shapely.Geometry | None,
                        x: NDArray[np.float64], y: NDArray[np.float64], report: Report, *, feature: str,
                        tier: int | None) -> None:
    """A Gauss-Kruger layer inside its province's extent but off the active county, which another zone hits."""
    if raw is None or crs_epsg is None or home is None or _family(crs_epsg) is None:
        return
    if shapely.intersects_xy(home, x, y).mean() >= MISMATCH_SHARE:
        return
    zone = fitting_zone(raw, crs_epsg, HOME_EXTENT, home=home, on_home=True)
    if zone is None:
        return
    report.add("error", "gauss_kruger_wrong_zone",
               f"按{zone_label(crs_epsg)}换算后，区划落在启用版本的县域以外（约东经 {np.median(x):.2f}°），"
               f"按{zone_label(zone)}换算才落在县域内；请改用 --crs {_zone_arg_full(zone)} 重新载入",
               feature=feature, tier=tier, location=(float(x[0]), float(y[0])), repair=f"--crs {_zone_arg_full(zone)}")


def _zone_arg(epsg: int) -> str:
    return str(epsg - 4513 + 25) if epsg <= 4533 else f"-cm{75 + 3 * (epsg - 4534)}e"


def _zone_arg_full(epsg: int) -> str:
    return f"gk{_zone_arg(epsg)}"


def declared_gcj02(frame: gpd.GeoDataFrame, *names: str) -> str | None:
    """The first place a layer says GCJ-02 itself: a field name, a property value, or the layer's name."""
    for name in names:
        if GCJ_WORDS.search(name):
            return f"名称 {name!r}"
    for column in frame.columns:
        if column == frame.geometry.name:
            continue
        if GCJ_WORDS.search(str(column)):
            return f"字段名 {column!r}"
        values = frame[column].head(200)
        for value in values[values.map(lambda v: isinstance(v, str))]:
            if GCJ_WORDS.search(value):
                return f"字段 {column!r} 的值 {value[:40]!r}"
    return None


def check_declared_gcj02(frame: gpd.GeoDataFrame, report: Report, *, crs: str | None, source: str,
                         layer: str) -> None:
    """A layer that names GCJ-02 in its own properties but was read as WGS84 (by default or by --crs)."""
    if crs is not None and crs.strip().lower().replace("-", "").replace("_", "") == "gcj02":
        return
    said = declared_gcj02(frame, layer)
    if said is None:
        return
    report.add("warning" if crs else "error", "declared_gcj02",
               f"{source} [{layer}] 的{said}写明坐标系为 GCJ-02（火星坐标），却按 "
               f"{crs or 'WGS84'} 读入，图形会偏移约 100-700 米：请用 --crs gcj02 重新载入",
               feature=source, repair="--crs gcj02")


SHIFT_MIN_M = 30.0  # median offset from the same codes in the active generation worth a look


def check_matched_shift(layer: gpd.GeoDataFrame, active: gpd.GeoDataFrame, report: Report, *,
                        crs_given: bool) -> bool:
    """Areas whose codes the active generation holds, all moved the same 100-700 m: undo GCJ-02 and they fit.

    Compares each area's centroid with its namesake's; True when a shift was reported.
    """
    if not len(layer) or not len(active):
        return False
    pairs = layer[["code", "geometry"]].merge(active[["code", "geometry"]], on="code", suffixes=("", "_active"))
    if not len(pairs):
        return False
    new = shapely.get_coordinates(shapely.centroid(np.asarray(pairs.geometry.values, dtype=object)))
    old = shapely.get_coordinates(shapely.centroid(np.asarray(pairs.geometry_active.values, dtype=object)))
    scale = np.array([111_320.0 * np.cos(np.radians(float(np.mean(old[:, 1])))), 110_574.0])

    def offset(xy: NDArray[np.float64]) -> float:
        return float(np.median(np.hypot(*((xy - old) * scale).T)))

    before = offset(new)
    if before < SHIFT_MIN_M:
        return False
    fixed = {kind: offset(np.column_stack(undo(new[:, 0], new[:, 1]))) for kind, undo in qa.SHIFTS.items()}
    kind = min(fixed, key=lambda k: fixed[k])
    if fixed[kind] >= before / 4:
        return False
    label = {"gcj02": "GCJ-02", "bd09": "BD-09"}[kind]
    report.add("warning" if crs_given else "error", f"suspected_{kind}",
               f"{len(pairs):,} 个区划与启用版本中同代码的区划整体偏移约 {before:,.0f} 米，按 {label} 纠偏后只差 "
               f"{fixed[kind]:,.1f} 米：文件很可能是 {label} 坐标，请用 --crs {kind} 重新载入",
               tier=int(layer.tier.iloc[0]), repair=f"--crs {kind}")
    return True


def check_active_county_shift(loaded: gpd.GeoDataFrame, county: gpd.GeoDataFrame, report: Report, *,
                              crs_given: bool) -> None:
    """A layer that fits the active county only after undoing GCJ-02 (or BD-09): the parent-tier check, county-wide.

    The tier-by-tier check cannot see it when the file holds every tier, all shifted alike.
    """
    if any(f.code.startswith("suspected_") for f in report.findings) or not len(county):
        return
    qa.check_gcj02_shift(loaded, county, report, crs_given=crs_given)
