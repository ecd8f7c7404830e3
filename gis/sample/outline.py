"""County outlines for the sample generator: a synthetic one, or a real file reprojected to metres."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely

from gis.sample.tiling import local_transformers


def synthetic_outline_m(seed: int, area_km2: float = 2600.0, vertices: int = 1400) -> shapely.Polygon:
    """A star-shaped outline with a ragged, river-and-ridge-like edge, centred on the origin (metres).

    The radius is a sum of sines with falling amplitude (a 1/f spectrum), so the edge is
    irregular at every scale but never self-intersects (the radius stays positive).
    """
    rng = np.random.default_rng(seed)
    theta = np.linspace(0.0, 2.0 * np.pi, vertices, endpoint=False)
    radius = np.ones_like(theta)
    for k in range(2, 120):
        radius += rng.normal(0.0, 0.18 / k**1.1) * np.sin(k * theta + rng.uniform(0, 2 * np.pi))
    radius = np.clip(radius, 0.45, None)
    ring = np.column_stack([np.cos(theta) * radius * 1.25, np.sin(theta) * radius * 0.8])
    poly = shapely.Polygon(ring)
    scale = np.sqrt(area_km2 * 1e6 / poly.area)
    return shapely.Polygon(ring * scale)


def read_outline_m(path: Path) -> tuple[shapely.Geometry, float, float]:
    """Read a real WGS84 outline, dissolve it and return it in local metres with its centre."""
    import geopandas as gpd

    frame = gpd.read_file(path)
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    outline = shapely.union_all(shapely.make_valid(frame.geometry.values))
    centre = outline.centroid
    to_m, _ = local_transformers(centre.x, centre.y)
    projected = shapely.transform(outline, lambda xy: np.column_stack(to_m.transform(*xy.T)))
    return projected, centre.x, centre.y
