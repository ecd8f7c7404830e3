"""Export a generation's tier: GeoJSON (RFC 7946), GeoPackage, or Shapefile with GB18030 attributes."""

from __future__ import annotations

import json
from pathlib import Path

from gis.errors import InvalidInput
from gis.models import Tier
from gis.progress import Progress, silent
from gis.storage import areas as area_store
from gis.storage import boundaries as store
from gis.storage.pool import Conn

FORMATS = {"geojson": ("GeoJSON", ".geojson"), "gpkg": ("GPKG", ".gpkg"), "shp": ("ESRI Shapefile", ".shp")}


def export_generation(conn: Conn, *, ref: str | int, tier: str, fmt: str, out: Path,
                      progress: Progress = silent) -> Path:
    """Write one tier; Shapefiles get GB18030 attributes (what Chinese desktop GIS expects) and a .cpg.

    ``progress`` hears ``("exporting", step, 2)``: after reading the tier and after writing it.
    """
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown export format {fmt!r}; one of {sorted(FORMATS)}", reason="unknown_format")
    generation = area_store.get_generation(conn, ref=ref)
    progress("exporting", 0, 2)
    frame = store.tier_frame(conn, generation_id=generation.id, tier=int(Tier.parse(tier)))
    progress("exporting", 1, 2)
    frame["attrs"] = [json.dumps(a or {}, ensure_ascii=False) for a in frame["attrs"]]
    driver, suffix = FORMATS[fmt]
    out = out if out.suffix else out.with_suffix(suffix)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "geojson":
        frame.to_file(out, driver=driver, engine="pyogrio", layer_options={"RFC7946": "YES"})
    elif fmt == "shp":
        frame = frame.rename(columns={"parent_code": "parent"})  # dBase field names: 10 characters
        frame.to_file(out, driver=driver, engine="pyogrio", encoding="GB18030")
        out.with_suffix(".cpg").write_text("GB18030")
    else:
        frame.to_file(out, driver=driver, engine="pyogrio", layer=tier)
    progress("exporting", 2, 2)
    return out
