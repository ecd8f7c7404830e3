"""Metres on the ground: the one place for local scale factors, geodesic areas and China's extent."""

from __future__ import annotations

import math

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Geod

# Metres per degree near China's latitudes (WGS84 / CGCS2000): for quick local scales, never for stored areas.
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON_EQUATOR = 111_320.0
# China's extent, generously (Hainan's southern islands to Heilongjiang, Pamirs to Wusuli river).
CHINA_LON = (73.0, 135.5)
CHINA_LAT = (3.0, 54.0)
WGS84 = Geod(ellps="WGS84")


def in_china(lon: float, lat: float) -> bool:
    """True when a WGS84 point lies in China's bounding box."""
    return CHINA_LON[0] <= lon <= CHINA_LON[1] and CHINA_LAT[0] <= lat <= CHINA_LAT[1]


def m2_per_deg2(lat: NDArray[np.float64] | float) -> NDArray[np.float64]:
    """Square metres per square degree at a latitude (local scale: for thresholds on small areas)."""
    return np.asarray(M_PER_DEG_LAT * M_PER_DEG_LON_EQUATOR * np.cos(np.radians(lat)), dtype=float)


def geodesic_area_m2(geom: shapely.Geometry | None) -> float:
    """Area on the WGS84 ellipsoid in square metres (pyproj.Geod), 0 for an empty geometry."""
    if geom is None or geom.is_empty:
        return 0.0
    return float(abs(WGS84.geometry_area_perimeter(geom)[0]))


def metres_to_degrees(metres: float, lat: float) -> tuple[float, float]:
    """(dlon, dlat) spanning ``metres`` at a latitude."""
    return metres / (M_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat))), metres / M_PER_DEG_LAT
