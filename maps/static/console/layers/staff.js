// Staff positions live from the event stream: coloured by role, ringed by duty status, greyed when the
// last fix is stale, clustered when zoomed out. A click shows their orders, workload and work phone
// (the server masks what the caller's role may not see).
import { orderStatus, staffRoleLabel, state } from "../store.js";
import { since } from "../view.js";

export const ROLE_COLOURS = { grid_worker: "#2e7d32", mediator: "#00838f", police: "#1a237e", lawyer: "#6a1b9a",
  judicial: "#8d6e63", psychologist: "#ad1457" };
const DUTY_RING = { on_duty: "#ffffff", busy: "#ff6f00", off_duty: "#9e9e9e" };
export const STALE_MS = 10 * 60 * 1000;

function style(s, now) {
  const stale = !s.position_at || now - new Date(s.position_at).getTime() > STALE_MS;
  return { radius: 7, weight: 2.5, color: DUTY_RING[s.duty_status] || "#fff",
    fillColor: stale ? "#b0bec5" : ROLE_COLOURS[s.role] || "#455a64", fillOpacity: stale ? 0.6 : 0.95,
    className: "staff-marker" + (stale ? " stale" : "") };
}

/** A phone as the locate panel shows it (reveal.js Tel): a tel: link, masked numbers as text. */
function phoneHtml(phone) {
  if (!phone) return "—";
  const text = String(phone).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
  return phone.includes("*") ? text : `<a class="phone tel" href="tel:${phone.replace(/[^0-9+]/g, "")}">${text}</a>`;
}

function popup(s) {
  const duty = (state.meta && state.meta.duty_statuses[s.duty_status]) || s.duty_status;
  const orders = state.board.filter((o) => o.staff_id === s.id)
    .map((o) => `<li>${o.case_no} · ${orderStatus(o.status).label}</li>`).join("");  // statuses in Chinese
  const esc = (t) => String(t == null ? "" : t).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
  return `<b>${esc(s.name)}</b> ${esc(staffRoleLabel(s.role))}<br>${esc(s.organisation)}<br>` +
    `值班：${esc(duty)} · 在办 ${s.active_orders}/${s.capacity}<br>电话：${phoneHtml(s.phone)}<br>` +
    `定位：${since(s.position_at)}前${s.accuracy_m ? "（±" + Math.round(s.accuracy_m) + " 米）" : ""}` +
    (orders ? `<ul class="popup-orders">${orders}</ul>` : "");
}

export function staffLayer() {
  const group = L.markerClusterGroup({ maxClusterRadius: 45, disableClusteringAtZoom: 14, chunkedLoading: true,
    showCoverageOnHover: false });
  const markers = new Map();
  function update(staff) {
    const now = Date.now();
    const seen = new Set();
    for (const s of staff.values()) {
      if (s.position_lat == null) continue;
      seen.add(s.id);
      let m = markers.get(s.id);
      if (!m) {
        m = L.circleMarker([s.position_lat, s.position_lon], style(s, now)).bindPopup(() => popup(m.staff));
        markers.set(s.id, m);
        group.addLayer(m);
      } else {
        m.setLatLng([s.position_lat, s.position_lon]);
        m.setStyle(style(s, now));
      }
      m.staff = s;
    }
    for (const [id, m] of markers) if (!seen.has(id)) { group.removeLayer(m); markers.delete(id); }
    if (group._map) group.refreshClusters();
  }
  return { layer: group, update, markers };
}
