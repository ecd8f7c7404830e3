"""GDAL for files from outside: only the drivers boundary files need, no network, no virtual file systems.

GDAL picks a driver by a file's content, not its name. Many of its formats point at other files or URLs
(OGR VRT, GDALG pipelines, GML with xlinks, WFS, CSV and SQLite tricks), so a file named ``grids.geojson``
could make the server read its own keys. The process therefore keeps only the drivers below registered
(GeoJSON, Shapefile, GeoPackage, KML and DXF are all the product reads or writes through GDAL), and each
upload is also checked by content against its declared format (``gis.boundaries.sniff``).
"""

from __future__ import annotations

import threading

import pyogrio
from pyogrio._ogr import _register_drivers

# Every format the product opens or writes through GDAL (LIBKML reads KML with folders and ExtendedData).
ALLOWED_DRIVERS = frozenset({"GeoJSON", "ESRI Shapefile", "GPKG", "KML", "LIBKML", "DXF"})

# No network for anything GDAL reads: /vsicurl/ and friends may open nothing, HTTP gives up at once,
# KML styles are never fetched, PROJ never downloads grids.
NETWORK_OFF = {
    "CPL_VSIL_CURL_ALLOWED_FILENAME": "/nonexistent/fengqiao-no-network",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".fengqiao-no-network",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_CONNECTTIMEOUT": "1",
    "LIBKML_EXTERNAL_STYLE": "NO",
    "LIBKML_RESOLVE_STYLE": "NO",
    "GML_SKIP_RESOLVE_ELEMS": "ALL",
    "PROJ_NETWORK": "OFF",
}

_lock = threading.Lock()
_done = False


def lock_down() -> frozenset[str]:
    """Unregister every GDAL vector driver but ``ALLOWED_DRIVERS`` and turn the network off (idempotent).

    Returns the drivers left; raises RuntimeError when any other driver survives (fail closed).
    """
    global _done
    with _lock:
        if not _done:
            skip = sorted(d for d in pyogrio.list_drivers() if d not in ALLOWED_DRIVERS)
            pyogrio.set_gdal_config_options({**NETWORK_OFF, "OGR_SKIP": ",".join(skip)})
            _register_drivers()  # GDALAllRegister() unregisters what OGR_SKIP names
            _done = True
        left = frozenset(pyogrio.list_drivers())
    if not left <= ALLOWED_DRIVERS:
        raise RuntimeError("GDAL drivers that may read other files are still registered: "
                           f"{sorted(left - ALLOWED_DRIVERS)}")
    return left
