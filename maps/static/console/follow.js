// The map follows the selected case: it pans (and zooms in) to the case and rings it, open cases in their
// warning colour, ended cases neutral. A town user's map opens on their town.
import { api } from "./api.js";
import { CLOSED_COLOUR, WARNING_COLOURS } from "./layers/cases.js";
import { state, subscribe } from "./store.js";

const FOLLOW_ZOOM = 15;

export function selectedColour(detail, meta) {
  const open = meta ? meta.open_states.includes(detail.status) : true;
  return open ? WARNING_COLOURS[detail.warning_level] || WARNING_COLOURS.none : CLOSED_COLOUR;
}

export function followSelection(map) {
  const ring = L.layerGroup().addTo(map);
  const svg = L.svg();  // an SVG path above the canvas tiles (the map draws on canvas by default)
  let shown = null;  // "id:status:level" of the ring drawn
  // The map moves after the store's listeners have run (a timer): moving it inside set() stalls the page's renders.
  subscribe((s) => { setTimeout(() => draw(s), 0); });
  function draw(s) {
    const d = s.detail;
    const key = d && d.lat != null ? `${d.id}:${d.status}:${d.warning_level}` : null;
    if (key === shown) return;
    const moved = !shown || !d || shown.split(":")[0] !== String(d.id);
    shown = key;
    ring.clearLayers();
    if (!key) return;
    const colour = selectedColour(d, s.meta);
    L.circleMarker([d.lat, d.lon], { radius: 11, weight: 3, color: colour, fillColor: colour, fillOpacity: 0.35,
      className: "selected-case", interactive: false, renderer: svg }).addTo(ring);
    if (moved) {
      const inView = map.getBounds().pad(-0.1).contains([d.lat, d.lon]);
      if (!inView || map.getZoom() < FOLLOW_ZOOM - 2) map.setView([d.lat, d.lon], Math.max(map.getZoom(), FOLLOW_ZOOM));
    }
  }
  return ring;
}

/** A town user's map opens on their town (county-wide users keep the county). */
export async function openOnTown(map) {
  const town = state.user && state.user.town_code;
  if (!town) return false;
  const res = await api("/api/v1/areas/" + encodeURIComponent(town));
  if (!res.ok || !res.body.bbox) return false;
  const [x0, y0, x1, y1] = res.body.bbox;
  map.fitBounds([[y0, x0], [y1, x1]]);
  return true;
}

/** Recommendations zoom the map to fit the case and every recommended staff member. */
export function fitRecommendations(map, rec) {
  const points = [rec.case, ...Object.values(rec.spots)].filter((p) => p && p[0] != null);
  if (points.length > 1) map.fitBounds(L.latLngBounds(points).pad(0.15), { maxZoom: 17 });
}
