"""Getting a layer into WGS84: the file's own CRS, or what GIS staff say it is (EPSG, GK zones, GCJ-02)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from gis.crs import OBFUSCATED, parse_crs, to_wgs84
from gis.errors import InvalidInput


def describe_coordinates(bounds: tuple[float, float, float, float]) -> str:
    """What raw coordinates look like, to help someone name the CRS of a file that has none."""
    minx, miny, maxx, maxy = bounds
    if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
        return (f"they look like degrees (x {minx:.4f}..{maxx:.4f}, y {miny:.4f}..{maxy:.4f}): "
                "--crs wgs84, cgcs2000 or, from Chinese map apps, gcj02")
    if 1.3e7 <= minx <= maxx <= 4.6e7 and 2e6 <= miny <= maxy <= 6.5e6:
        zone = int(minx // 1e6)
        hint = (f"EPSG:{4513 + zone - 25} (or gk{zone})" if 25 <= zone <= 45
                else "a CGCS2000 3-degree zone EPSG:4513-4533")
        return (f"they look like Gauss-Kruger metres with the zone prefix {zone} (x {minx:.0f}..{maxx:.0f}): "
                f"try --crs {hint}")
    if 1e5 <= minx <= maxx <= 9e5 and 2e6 <= miny <= maxy <= 6.5e6:
        return (f"they look like Gauss-Kruger metres without a zone prefix (x {minx:.0f}..{maxx:.0f}, "
                f"y {miny:.0f}..{maxy:.0f}): --crs EPSG:4534-4554 by central meridian "
                "(114E is EPSG:4547, or gk-cm114e)")
    return f"x {minx:.3f}..{maxx:.3f}, y {miny:.3f}..{maxy:.3f} match no usual system; name it with --crs"


def _mostly_degrees(frame: gpd.GeoDataFrame) -> bool:
    """Whether at least half the features have degree-like coordinates (lon/lat, or lat/lon swapped).

    A few odd features (one swapped or mistyped polygon) are findings of those features, reported by the
    extent check; only a layer that is mostly not degrees is refused as a whole.
    """
    bounds = frame.geometry.bounds.to_numpy(dtype=float)
    minx, miny, maxx, maxy = bounds.T
    plain = (minx >= -180) & (maxx <= 180) & (miny >= -90) & (maxy <= 90)
    swapped = (minx >= -90) & (maxx <= 90) & (miny >= -180) & (maxy <= 180)
    return bool(np.mean(plain | swapped | np.isnan(minx)) >= 0.5)


def to_wgs84_frame(frame: gpd.GeoDataFrame, *, crs: str | None, source: str) -> tuple[gpd.GeoDataFrame, str]:
    """The layer in EPSG:4326 and a note saying how its CRS was decided."""
    if crs:
        kind = parse_crs(crs)
        if kind in OBFUSCATED:
            converted = shapely.transform(frame.geometry.values,
                                          lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], kind)))
            out = frame.set_geometry(list(converted), crs="EPSG:4326")
            return out, f"{kind} converted to WGS84 (iterative inverse)"
        return frame.set_crs(kind, allow_override=True).to_crs("EPSG:4326"), f"{kind} as given"
    if frame.crs is None:
        bounds = tuple(float(v) for v in frame.total_bounds) if len(frame) else (0.0, 0.0, 0.0, 0.0)
        raise InvalidInput(f"{source}: no coordinate system in the file; {describe_coordinates(bounds)}",  # type: ignore[arg-type]
                           reason="missing_crs")
    declared = frame.crs.to_string()
    if frame.crs.is_geographic and len(frame) and not _mostly_degrees(frame):  # GK metres, say
        minx, miny, maxx, maxy = (float(v) for v in frame.total_bounds)
        raise InvalidInput(f"{source}: the file says {declared} (degrees) but the coordinates are not degrees; "
                           f"{describe_coordinates((minx, miny, maxx, maxy))}", reason="crs_mismatch")
    if frame.crs.equals("EPSG:4326"):
        return frame, "EPSG:4326 from the file"
    return frame.to_crs("EPSG:4326"), f"{declared} from the file"
