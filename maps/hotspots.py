"""The supervisors' hotspot map: 蓝黄红 risk grids, choropleths per tier, H3 density, heat map, week slider.

Builders compose on one ``folium.Map`` (no base tiles: the boundaries are the base) and the page is saved
with every asset inlined (``maps.folium_assets.offline_html``), so it opens on an intranet with no internet.
Grid polygons come coverage-simplified from ``HotspotWeights.display_geometry`` (shared edges stay shared).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import folium
import mapclassify
import numpy as np
import shapely
from branca.element import MacroElement
from folium.plugins import HeatMap
from jinja2 import Template

from gis.hotspots.analysis import HotspotTable
from gis.hotspots.levels import LevelRules
from gis.hotspots.mapdata import HotspotMapData
from gis.models import Tier
from maps.report_map import OfflineMap, base_map

TIER_NAMES = {Tier.GRID: "网格", Tier.VILLAGE: "村（社区）", Tier.TOWN: "乡镇（街道）"}
PALETTE = ["#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"]


def _features(table: HotspotTable, geoms: np.ndarray, rules: LevelRules, keys: tuple[str, ...]) -> dict[str, Any]:
    rows = table.rows()
    idx = np.flatnonzero(table.keep) if table.keep is not None else np.arange(len(rows))
    features = []
    shapes = shapely.set_precision(geoms[idx], 1e-4)
    for n, (row, geom) in enumerate(zip(rows, shapes, strict=True)):
        props = {k: _short(row.get(k)) for k in keys if k in row}
        if "level" in row:
            props["level_label"] = rules.label(str(row["level"]))
            props["level"] = row["level"]
        if "code" in keys:
            props["code"] = row["code"]
        features.append({"type": "Feature", "id": n, "properties": props,
                         "geometry": shapely.geometry.mapping(geom)})
    return {"type": "FeatureCollection", "features": features}


def _short(value: object) -> object:
    """Round floats for the page (3 significant decimals are plenty in a tooltip)."""
    return round(value, 3) if isinstance(value, float) else value


def class_breaks(values: np.ndarray, k: int = 5) -> list[float]:
    """Upper bounds of ``k`` classes (mapclassify natural breaks; fewer when there are few distinct values)."""
    distinct = np.unique(values)
    if len(distinct) <= k:
        return [float(v) for v in distinct]
    return sorted({float(b) for b in mapclassify.NaturalBreaks(values, k=k, initial=1).bins})


def _colour(value: float, breaks: list[float]) -> str:
    for i, bound in enumerate(breaks):
        if value <= bound:
            return PALETTE[min(i, len(PALETTE) - 1)]
    return PALETTE[-1]


def risk_tip(row: dict[str, Any], rules: LevelRules) -> str:
    """The tooltip of a unit on the 蓝黄红 layer: the statistic behind its colour, as far as the caller may see it.

    A town user's rows carry no z, p, expected value or neighbourhood sum (gis/stats_cut.py).
    """
    head = f"{row['name']}<br>风险等级：{rules.label(str(row['level']))}<br>案件数：{row['count']}"
    if row.get("z") is not None:
        head += f"　Gi* z：{row['z']:.2f}"
    return head + risk_tip_extra(row, rules)


def risk_tip_extra(row: dict[str, Any], rules: LevelRules) -> str:
    """The tooltip's lines after name, level, count and z: only for units with a level or a trend to explain."""
    if row.get("level") == "blue" and row.get("trend") in (None, "no_pattern"):
        return ""
    extra = ""
    p_name = "p（FDR校正）" if rules.fdr else "p"
    p_value = row.get("p_fdr") if rules.fdr else row.get("p")
    if p_value is not None and row.get("expected") is not None and row.get("local_sum") is not None:
        extra += f"<br>{p_name}：{p_value:.4f}　期望值：{row['expected']:.2f}　邻域合计：{row['local_sum']:.0f}"
    if row.get("p_sim") is not None:
        extra += f"<br>置换检验 p：{row['p_sim']:.3f}"
    return extra + f"<br>趋势：{row.get('trend_label', '')}　每千人：{row.get('per_1000')}"


def add_risk_layer(m: folium.Map, data: HotspotMapData, *, tier: Tier = Tier.GRID, show: bool = True) -> folium.Map:
    """蓝黄红: each unit coloured by its level, with count, z, p, expected and trend in the tooltip."""
    table, rules = data.tables[tier], data.rules
    rows = table.rows()
    idx = np.flatnonzero(table.keep) if table.keep is not None else np.arange(len(rows))
    shapes = shapely.set_precision(data.weights.display_geometry(tier)[idx], 1e-4)
    # Short keys and the tooltip put together in the page (RiskTips): thousands of grids stay a few MB.
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": n, "properties": _risk_props(r, rules), "geometry": shapely.geometry.mapping(g)}
        for n, (r, g) in enumerate(zip(rows, shapes, strict=True))]}
    colours = dict(rules.colours)
    layer = folium.GeoJson(
        fc, name=f"风险等级（蓝黄红）·{TIER_NAMES[tier]}", show=show,
        style_function=lambda f: {"fillColor": colours.get(f["properties"]["l"]), "color": "#555",
                                  "weight": 0.3, "fillOpacity": 0.25 if f["properties"]["l"] == "blue" else 0.8},
    )
    layer.add_to(m)
    # The z label goes into the page only when a row carries z (county-wide callers; a town user's rows do not).
    z_label = "　Gi* z：" if any(r.get("z") is not None for r in rows) else ""
    RiskTips(layer, dict(rules.labels), z_label).add_to(m)
    return m


def _risk_props(row: dict[str, Any], rules: LevelRules) -> dict[str, Any]:
    props: dict[str, Any] = {"l": row["level"], "n": row["name"], "c": row["count"]}
    if row.get("z") is not None:
        props["z"] = round(float(row["z"]), 2)
    extra = risk_tip_extra(row, rules)
    if extra:
        props["x"] = extra
    return props


class RiskTips(MacroElement):
    """The 蓝黄红 layer's tooltips, as ``risk_tip`` words them, put together from each unit's short fields."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function() {
  var labels = {{ this.labels|tojson }}, zLabel = {{ this.z_label|tojson }};
  function esc(s) { return String(s).replace(/[&<>"']/g, function(c) { return '&#' + c.charCodeAt(0) + ';'; }); }
  {{ this.layer.get_name() }}.eachLayer(function(l) {
    var p = l.feature.properties, tip = document.createElement('div');
    tip.innerHTML = esc(p.n) + '<br>风险等级：' + labels[p.l] + '<br>案件数：' + p.c +
      (p.z === undefined ? '' : zLabel + p.z.toFixed(2)) + (p.x || '');
    l.bindTooltip(tip, {sticky: true});
  });
})();
{% endmacro %}
""")

    def __init__(self, layer: folium.GeoJson, labels: dict[str, str], z_label: str) -> None:
        super().__init__()
        self.layer = layer
        self.labels = labels
        self.z_label = z_label


def add_choropleth(m: folium.Map, data: HotspotMapData, tier: Tier, *, show: bool = False) -> folium.GeoJson:
    """Cases per unit in natural-breaks classes, with the breaks in a legend; returns the layer."""
    table = data.tables[tier]
    fc = _features(table, data.weights.display_geometry(tier), data.rules, ("name", "code", "count", "per_1000",
                                                                             "trend_label"))
    values = np.array([f["properties"]["count"] for f in fc["features"]], dtype=float)
    breaks = class_breaks(values) if len(values) else [0.0]
    layer = folium.GeoJson(
        fc, name=f"案件数分级·{TIER_NAMES[tier]}", show=show,
        style_function=lambda f: {"fillColor": _colour(f["properties"]["count"], breaks), "color": "#666",
                                  "weight": 0.5, "fillOpacity": 0.7},
        tooltip=folium.GeoJsonTooltip(["name", "count", "per_1000", "level_label", "trend_label"],
                                      aliases=["名称", "案件数", "每千人", "风险等级", "趋势"]),
    )
    layer.add_to(m)
    place = "bottom:24px;right:12px" if tier == Tier.TOWN else "bottom:24px;right:190px"
    add_legend(m, f"案件数（{TIER_NAMES[tier]}）", breaks, place=place)
    return layer


def add_h3_layer(m: folium.Map, data: HotspotMapData, *, show: bool = False) -> folium.Map:
    """H3 cells coloured by cases per km2 (no layer when the period holds no case: a tooltip needs fields)."""
    rows = data.h3.rows()
    if not rows:
        return m
    values = np.array([r["per_km2"] for r in rows], dtype=float)
    breaks = class_breaks(values) if len(values) else [0.0]
    features = [{"type": "Feature", "id": n,
                 "properties": {"cell": r["code"], "count": r["count"], "per_km2": r["per_km2"]},
                 "geometry": {"type": "Polygon", "coordinates": [[[round(lon, 5), round(lat, 5)] for lat, lon in
                                                                  _ring(str(r["code"]))]]}} for n, r in enumerate(rows)]
    folium.GeoJson({"type": "FeatureCollection", "features": features},
                   name=f"H3 密度（分辨率 {data.h3.h3_resolution}）", show=show,
                   style_function=lambda f: {"fillColor": _colour(f["properties"]["per_km2"], breaks),
                                             "color": "#888", "weight": 0.2, "fillOpacity": 0.7},
                   tooltip=folium.GeoJsonTooltip(["cell", "count", "per_km2"],
                                                 aliases=["H3 单元", "案件数", "每平方公里"]),
                   ).add_to(m)
    return m


def _ring(cell: str) -> list[tuple[float, float]]:
    import h3

    ring = list(h3.cell_to_boundary(cell))
    return ring + ring[:1]


def add_heat(m: folium.Map, data: HotspotMapData, *, show: bool = False) -> folium.Map:
    """A point heat map of the located cases (leaflet.heat, vendored)."""
    points = [[round(float(lat), 5), round(float(lon), 5)] for lon, lat in data.points]
    HeatMap(points, name="案件热力图", show=show, radius=12, blur=15, min_opacity=0.3).add_to(m)
    return m


class Legend(MacroElement):
    """A fixed legend box listing colours and labels."""

    _template = Template("""
{% macro html(this, kwargs) %}
<div class="fq-legend" style="position:fixed;{{ this.place }};z-index:9999;background:#fff;padding:6px 10px;
 border:1px solid #999;font:12px sans-serif;line-height:18px">
<b>{{ this.title }}</b><br>
{% for colour, label in this.items %}<i style="display:inline-block;width:14px;height:10px;background:{{ colour }};
 margin-right:4px"></i>{{ label }}<br>{% endfor %}
</div>
{% endmacro %}
""")

    def __init__(self, title: str, items: list[tuple[str, str]], place: str = "bottom:24px;left:12px") -> None:
        super().__init__()
        self.title = title
        self.items = items
        self.place = place


def add_legend(m: folium.Map, title: str, breaks: list[float], *, place: str = "bottom:24px;right:12px"
               ) -> folium.Map:
    """A legend with the class breaks (upper bounds) of a choropleth."""
    items, low = [], 0.0
    for i, bound in enumerate(breaks):
        items.append((PALETTE[min(i, len(PALETTE) - 1)], f"{low:g} – {bound:g}"))
        low = bound
    Legend(title, items, place).add_to(m)
    return m


def add_risk_legend(m: folium.Map, rules: LevelRules) -> folium.Map:
    """The 蓝黄红 legend, naming the thresholds."""
    correction = "FDR校正后" if rules.fdr else "未校正"
    Legend(f"风险等级（Gi*，{correction}）", [
        (rules.colour("red"), f"{rules.label('red')}：热点 p≤{rules.red_p:g}"),
        (rules.colour("yellow"), f"{rules.label('yellow')}：热点 p≤{rules.yellow_p:g}"),
        (rules.colour("blue"), rules.label("blue"))]).add_to(m)
    return m


class WeekSlider(MacroElement):
    """A range input over weeks that recolours a GeoJSON layer from per-week counts by feature code."""

    _template = Template("""
{% macro html(this, kwargs) %}
<div style="position:fixed;top:12px;left:60px;z-index:9999;background:#fff;padding:6px 10px;border:1px solid #999;
 font:12px sans-serif">周（拖动查看村（社区）每周案件数）：
 <input id="fq-week" type="range" min="0" max="{{ this.last }}" value="{{ this.last }}">
 <span id="fq-week-label"></span><br>每周分级上限：{{ this.break_labels|join("、") }}</div>
{% endmacro %}
{% macro script(this, kwargs) %}
(function() {
  var weeks = {{ this.labels|tojson }}, counts = {{ this.counts|tojson }}, breaks = {{ this.breaks|tojson }},
      palette = {{ this.palette|tojson }}, layer = {{ this.layer }};
  function colour(v) { for (var i = 0; i < breaks.length; i++) { if (v <= breaks[i]) return palette[i]; }
                       return palette[palette.length - 1]; }
  function show(w) {
    document.getElementById('fq-week-label').textContent = weeks[w] + ' 起';
    layer.eachLayer(function(l) { var c = counts[l.feature.properties.code];
      l.setStyle({fillColor: colour(c ? c[w] : 0)}); });
  }
  var input = document.getElementById('fq-week');
  input.addEventListener('input', function() { show(+input.value); });
  show(+input.value);
})();
{% endmacro %}
""")

    def __init__(self, layer: folium.GeoJson, labels: list[str], counts: dict[str, list[int]], breaks: list[float]
                 ) -> None:
        super().__init__()
        self.layer = layer.get_name()
        self.labels, self.counts, self.breaks = labels, counts, breaks
        self.break_labels = [f"{b:g}" for b in breaks]
        self.palette = PALETTE
        self.last = len(labels) - 1


def add_week_slider(m: folium.Map, data: HotspotMapData, layer: folium.GeoJson) -> folium.Map:
    """A slider over the last weeks that recolours ``layer`` (the village choropleth) by each week's cases."""
    table = data.tables[Tier.VILLAGE]
    keep = np.flatnonzero(table.keep) if table.keep is not None else np.arange(len(table.counts.codes))
    codes = table.counts.codes
    counts = {str(codes[i]): [int(v) for v in data.village_weeks[i]] for i in keep}
    breaks = class_breaks(data.village_weeks[keep].ravel()) if len(keep) else [0.0]
    WeekSlider(layer, data.week_labels, counts, breaks).add_to(m)
    return m


class CompactMap(OfflineMap):
    """An offline map whose embedded GeoJSON is written compactly (no spaces, UTF-8 instead of escapes)."""

    def html(self) -> str:
        """The page as text."""
        env = folium.GeoJson._template.environment
        saved = env.policies["json.dumps_kwargs"]
        env.policies["json.dumps_kwargs"] = {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": False}
        try:
            return super().html()
        finally:
            env.policies["json.dumps_kwargs"] = saved

    def save(self, path: str) -> None:
        """Write the page."""
        Path(path).write_text(self.html(), encoding="utf-8")


def hotspot_map(data: HotspotMapData) -> CompactMap:
    """The whole page: risk grids (shown), choropleths, H3, heat map, week slider, legends, layer control."""
    grids = data.weights.display_geometry(Tier.GRID)
    keep = data.tables[Tier.GRID].keep
    shown = grids[keep] if keep is not None else grids
    bounds = shapely.total_bounds(shown) if len(shown) else (0.0, 0.0, 1.0, 1.0)
    m = base_map(tuple(float(v) for v in bounds))  # type: ignore[arg-type]
    add_risk_layer(m, data, tier=Tier.GRID, show=True)
    add_choropleth(m, data, Tier.TOWN)
    add_week_slider(m, data, add_choropleth(m, data, Tier.VILLAGE))
    add_h3_layer(m, data)
    add_heat(m, data)
    add_risk_legend(m, data.rules)
    folium.LayerControl(collapsed=False).add_to(m)
    return CompactMap(m)
