"""Generate (if missing) and load the sample county into PostGIS as the active generation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd

from gis.errors import NotFound
from gis.models import Generation
from gis.sample.county import TIER_LAYERS, CountySpec, build_county, write_county
from gis.sample.roster import build_roster, write_roster
from gis.storage import areas
from gis.storage.pool import Conn

SAMPLE_GENERATION = "sample-county"


def ensure_sample_files(data_dir: Path, spec: CountySpec | None = None) -> Path:
    """Write data/boundaries/sample_county.gpkg and the sample roster unless they exist."""
    spec = spec or CountySpec()
    gpkg = data_dir / "boundaries" / "sample_county.gpkg"
    roster = data_dir / "roster" / "sample_roster.csv"
    if gpkg.exists() and roster.exists():
        return gpkg
    layers = build_county(spec)
    write_county(layers, gpkg)
    write_roster(build_roster(layers, spec.seed), roster)
    return gpkg


def area_rows(gpkg: Path) -> Iterator[areas.AreaRow]:
    """Rows of every tier of a sample-county GeoPackage, parents first."""
    for layer in TIER_LAYERS.values():
        frame = gpd.read_file(gpkg, layer=layer, engine="pyogrio")
        extra = [c for c in frame.columns if c not in {"code", "name", "tier", "parent_code", "population", "geometry"}]
        for rec in frame.itertuples(index=False):
            yield areas.AreaRow(
                code=rec.code,
                name=rec.name,
                tier=int(rec.tier),
                parent_code=rec.parent_code if isinstance(rec.parent_code, str) else None,
                geometry=rec.geometry,
                population=int(rec.population),
                attrs={c: getattr(rec, c) for c in extra},
            )


def load_sample_county(conn: Conn, *, gpkg: Path, activate: bool = True) -> Generation:
    """Load the sample county once (a no-op when its generation exists) and activate it if none is."""
    try:
        return areas.get_generation(conn, ref=SAMPLE_GENERATION)
    except NotFound:
        pass
    with conn.transaction():
        gen = areas.create_generation(
            conn, name=SAMPLE_GENERATION, description="云溪县 sample county", source=str(gpkg.name)
        )
        areas.insert_areas(conn, generation_id=gen.id, rows=area_rows(gpkg))
    has_active = True
    try:
        areas.get_generation(conn)
    except NotFound:
        has_active = False
    if activate and not has_active:
        return areas.activate_generation(conn, generation_id=gen.id)
    return gen
