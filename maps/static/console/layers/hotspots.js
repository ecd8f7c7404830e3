// The supervisors' hotspot layer: drawn when /api/v1/hotspots answers, left out of the map otherwise.
import { api } from "../api.js";

const COLOURS = { hot: "#d32f2f", warm: "#f57c00", cold: "#1976d2", none: "#9e9e9e" };

export async function hotspotLayer() {
  const res = await api("/api/v1/hotspots?tier=grid");
  if (!res.ok || !res.body || !Array.isArray(res.body.features)) return null;
  return L.geoJSON(res.body, {
    style: (f) => {
      const level = f.properties.level || f.properties.risk || "none";
      return { weight: 1, color: COLOURS[level] || COLOURS.hot, fillOpacity: 0.35 };
    },
    onEachFeature: (f, layer) => layer.bindTooltip(`${f.properties.name || f.properties.code || ""} ${f.properties.count ?? ""}`),
  });
}
