// The supervisors' hotspot layer: drawn when /api/v1/hotspots answers, left out of the map otherwise. Levels,
// their labels and colours come from /api/v1/meta (data/hotspots/levels.toml); units without a case are not
// painted at all, low-risk units only faintly.
import { api } from "../api.js";

const FILL = { red: 0.5, yellow: 0.4, blue: 0.12 };

export async function hotspotLayer(meta) {
  const res = await api("/api/v1/hotspots?tier=grid");
  if (!res.ok || !res.body || !Array.isArray(res.body.features)) return null;
  const levels = new Map(((meta && meta.hotspot_levels) || []).map((l) => [l.code, l]));
  const esc = (t) => String(t == null ? "" : t).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
  return L.geoJSON(res.body, {
    filter: (f) => (f.properties.count || 0) > 0,
    style: (f) => {
      const level = levels.get(f.properties.level);
      const colour = level ? level.colour : "#9e9e9e";
      return { weight: 1, color: colour, fillColor: colour, fillOpacity: FILL[f.properties.level] ?? 0.1 };
    },
    onEachFeature: (f, layer) => {
      const level = levels.get(f.properties.level);
      layer.bindTooltip(`${esc(f.properties.name || f.properties.code)} · ${f.properties.count} 件` +
        (level ? ` · ${esc(level.label)}` : ""));
    },
  });
}
