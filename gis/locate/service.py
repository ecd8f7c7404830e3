"""Locating one point as callers send it: any supported CRS, validated before the index is asked."""

from __future__ import annotations

import math

from gis.crs import to_wgs84
from gis.errors import InvalidInput
from gis.geodesy import in_china
from gis.locate.index import LocateIndex
from gis.locate.model import Location


def check_lon_lat(lon: float, lat: float) -> None:
    """Reject NaN/Infinity, swapped axes and points outside China, each with its own reason."""
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InvalidInput("lon and lat must be finite numbers", reason="not_finite", lon=str(lon), lat=str(lat))
    if in_china(lon, lat):
        return
    if in_china(lat, lon):
        raise InvalidInput(f"lon={lon}, lat={lat} looks swapped: did you mean lon={lat}, lat={lon}?",
                           reason="lat_lon_swapped", lon=lon, lat=lat)
    raise InvalidInput(f"lon={lon}, lat={lat} is outside China", reason="outside_china", lon=lon, lat=lat)


def locate_point(index: LocateIndex, *, lon: float, lat: float, crs: str = "wgs84",
                 border_m: float = 50.0) -> Location:
    """Convert to WGS84, validate and locate. Outside the county is an answer, not an error.

    Parameters
    ----------
    index
        The live locate index.
    lon, lat
        Coordinates in ``crs`` (for projected EPSG codes: easting, northing).
    crs
        ``wgs84``, ``cgcs2000``, ``gcj02``, ``bd09`` or ``EPSG:<code>``.
    border_m
        Neighbouring grids within this many metres are listed.
    """
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InvalidInput("lon and lat must be finite numbers", reason="not_finite")
    if border_m < 0 or not math.isfinite(border_m):
        raise InvalidInput("border_m must be a non-negative number", reason="invalid_border")
    declared = crs.strip().lower()
    if declared in ("wgs84", "cgcs2000", "gcj02", "bd09"):
        check_lon_lat(lon, lat)  # check before converting: swapped input is caught as sent
    x, y = to_wgs84(lon, lat, crs)
    wlon, wlat = float(x), float(y)
    check_lon_lat(wlon, wlat)
    return index.locate(wlon, wlat, border_m=border_m)
