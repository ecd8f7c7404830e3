"""A map of a boundary load's problems, for GIS staff (one offline HTML file)."""

from __future__ import annotations

from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import shapely

from gis.boundaries.load import Prepared
from maps.folium_assets import offline_html

COLOURS = {"error": "#c62828", "warning": "#ef8f00"}


class OfflineMap:
    """A folium map that saves as a self-contained page."""

    def __init__(self, m: folium.Map) -> None:
        self.map = m

    def save(self, path: str) -> None:
        """Write the HTML (no CDN references)."""
        Path(path).write_text(offline_html(self.map), encoding="utf-8")

    def html(self) -> str:
        """The HTML as text."""
        return offline_html(self.map)


def base_map(bounds: tuple[float, float, float, float]) -> folium.Map:
    """A map with no base tiles (intranets have none): the boundaries themselves are the base."""
    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=True)
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    return m


def add_outlines(m: folium.Map, frame: gpd.GeoDataFrame, *, name: str, colour: str = "#4d7ea8",
                 weight: float = 0.8) -> folium.Map:
    """Outlines of areas with code and name on hover, simplified for the browser (coverage-preserving)."""
    geoms = np.asarray(frame.geometry.values, dtype=object)
    simple = geoms
    if len(geoms) > 200:
        try:
            simple = shapely.coverage_simplify(geoms, 0.0002)
        except shapely.errors.GEOSException:  # not a clean coverage (that is why there is a report)
            simple = shapely.simplify(geoms, 0.0002, preserve_topology=True)
    layer = gpd.GeoDataFrame({"code": frame.code.to_numpy(), "name": frame.name.to_numpy()}, geometry=list(simple),
                             crs="EPSG:4326")
    folium.GeoJson(layer.to_json(), name=name, tooltip=folium.GeoJsonTooltip(["code", "name"]),
                   style_function=lambda _: {"color": colour, "weight": weight, "fillOpacity": 0.03}).add_to(m)
    return m


def report_map(prepared: Prepared) -> OfflineMap:
    """Outlines of the loaded tier, areas with findings in red, a marker per located finding (popup: message)."""
    areas = prepared.areas
    m = base_map(tuple(float(v) for v in areas.total_bounds))  # type: ignore[arg-type]
    top = max(prepared.loaded_tiers)
    add_outlines(m, areas[areas.tier == top], name=f"tier {top}")
    flagged = {f.feature for f in prepared.report.findings if f.feature}
    problems = areas[areas.code.isin(flagged)]
    if len(problems):
        add_outlines(m, problems, name="areas with findings", colour=COLOURS["error"], weight=2.0)
    for finding in prepared.report.findings:
        if finding.location is None:
            continue
        text = f"<b>{finding.code}</b> {finding.feature}<br>{finding.message}"
        if finding.area_m2 is not None:
            text += f"<br>{finding.area_m2:,.1f} m²"
        folium.CircleMarker(location=[finding.location[1], finding.location[0]], radius=7,
                            color=COLOURS.get(finding.severity, "#555"), fill=True, fill_opacity=0.8,
                            popup=folium.Popup(text, max_width=320)).add_to(m)
    return OfflineMap(m)
