"""Navigation links to a case's place: 高德 (GCJ-02), 百度 (BD-09) and the phone's own map app (geo:, WGS84).

Chinese map apps expect their own datums; the conversions are the server's (gis/crs.py), so the phone never
sends a WGS84 point to an app that would read it as GCJ-02 and land a few hundred metres off.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from gis.crs import wgs84_to_bd09, wgs84_to_gcj02

DIGITS = 6  # about 0.1 m: more than a phone's GPS can tell


def navigation(lon: float, lat: float, label: str) -> dict[str, Any]:
    """The point in each datum and a link per map app."""
    glon, glat = (round(float(v), DIGITS) for v in wgs84_to_gcj02(lon, lat))
    blon, blat = (round(float(v), DIGITS) for v in wgs84_to_bd09(lon, lat))
    wlon, wlat = round(lon, DIGITS), round(lat, DIGITS)
    amap = "https://uri.amap.com/marker?" + urlencode(
        {"position": f"{glon},{glat}", "name": label, "coordinate": "gaode", "callnative": 1, "src": "fengqiao"},
        safe=",")
    baidu = "https://api.map.baidu.com/marker?" + urlencode(
        {"location": f"{blat},{blon}", "title": label, "content": label, "coord_type": "bd09ll", "output": "html",
         "src": "fengqiao"}, safe=",")
    geo = f"geo:{wlat},{wlon}?q={wlat},{wlon}({quote(label)})"
    return {
        "wgs84": {"lon": wlon, "lat": wlat},
        "gcj02": {"lon": glon, "lat": glat},
        "bd09": {"lon": blon, "lat": blat},
        "links": {"amap": amap, "baidu": baidu, "geo": geo},
    }
