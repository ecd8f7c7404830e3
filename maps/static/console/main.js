// The operator console: map layers + panels, state in store.js, live events applied one by one.
import { api, signedIn, whoami } from "./api.js";
import { mayUse } from "./codes.js";
import { addTiers, baseLayer } from "./layers/tiers.js";
import { caseLayer } from "./layers/cases.js";
import { hotspotLayer } from "./layers/hotspots.js";
import { staffLayer } from "./layers/staff.js";
import { BoardPanel } from "./panels/board.js";
import { CasePanel } from "./panels/case.js";
import { CasesPanel } from "./panels/cases.js";
import { DevicesPanel } from "./panels/devices.js";
import { Header } from "./panels/header.js";
import { SearchBox } from "./panels/search.js";
import { LocatePanel, locateAt } from "./panels/locate.js";
import { openStream } from "./stream.js";
import { handleMapClicks } from "./mapclick.js";
import { fitRecommendations, followSelection, openOnTown } from "./follow.js";
import { noticeEvent, startNotices } from "./notices.js";
import { applyEvent, loadBoard, loadCases, loadStaff, loadWatch, note, selectCase, set, state, subscribe } from "./store.js";
import { html, render, useEffect, useState } from "./view.js";

// Explicit zoom limits: otherwise Leaflet takes them from the layers (the grids layer would force z12).
const map = L.map("map", { preferCanvas: true, minZoom: 5, maxZoom: 18 }).setView([24.12, 114.62], 10);
L.control.scale({ imperial: false }).addTo(map);

const TABS = [["locate", "定位登记"], ["cases", "案件"], ["case", "详情"], ["board", "调度"]];
// Who issues device sign-in links to field staff: the roles the server's rule admits.
const tabs = () => (state.user && state.meta && mayUse(state.meta, state.user.role, "devices.manage")
  ? [...TABS, ["devices", "设备"]] : TABS);

// The selection lives in the address's hash (#case=12&tab=board), so signing in again returns to it.
function readHash() {
  const h = new URLSearchParams(window.location.hash.slice(1));
  return { caseId: Number(h.get("case")) || null, tab: h.get("tab") };
}
function writeHash(s) {
  const h = new URLSearchParams();
  if (s.selected) h.set("case", s.selected);
  if (s.tab) h.set("tab", s.tab);
  const next = "#" + h.toString();
  if (window.location.hash !== next) history.replaceState(null, "", window.location.pathname + window.location.search + next);
}

function useStore() {
  const [, tick] = useState(0);
  useEffect(() => subscribe(() => tick((n) => n + 1)), []);
  useEffect(() => { const t = setInterval(() => tick((n) => n + 1), 15000); return () => clearInterval(t); }, []);
}

function Top() {
  useStore();
  return html`<${Header} state=${state} />`;
}

function App() {
  useStore();
  const panel = { locate: LocatePanel, cases: CasesPanel, case: CasePanel, board: BoardPanel,
    devices: DevicesPanel }[state.tab] || CasesPanel;
  return html`${state.user && html`<${SearchBox} />`}<div id="tabs" role="tablist">${tabs().map(([key, label]) => html`<button role="tab" data-tab=${key}
      class=${state.tab === key ? "tab on" : "tab"} onClick=${() => set({ tab: key })}>${label}</button>`)}</div>
    <div id="panel-body">${state.meta ? html`<${panel} state=${state} />` : html`<p class="hint">加载中…</p>`}</div>`;
}
render(html`<${Top} />`, document.getElementById("top"));
render(html`<${App} />`, document.getElementById("panel"));

// -- map layers ---------------------------------------------------------------------------------------
const overlays = {};
const lines = L.layerGroup().addTo(map);
const svg = L.svg();  // lines as SVG paths above the canvas tiles
const staff = staffLayer();

async function start() {
  const user = await whoami();
  set({ user, checked: true });
  const [ready, meta, categories, config, extent] = await Promise.all([
    fetch("/readyz").then((r) => r.json()).catch(() => null), api("/api/v1/meta"), api("/api/v1/categories"),
    fetch("/console/config.json").then((r) => r.json()).catch(() => null), api("/api/v1/areas/extent")]);
  window.fengqiaoMeta = meta.body;
  set({ ready, meta: meta.ok ? meta.body : null, categories: categories.ok ? categories.body.categories : [] });
  if (extent.ok && extent.body.bbox) {
    const [x0, y0, x1, y1] = extent.body.bbox;
    map.invalidateSize();
    map.fitBounds([[y0, x0], [y1, x1]]);
    loadTowns((x0 + x1) / 2, (y0 + y1) / 2);
  }
  openOnTown(map);  // not awaited: the lists and the stream do not wait for it
  if (signedIn()) {  // live data first: the stream and the lists do not wait for map tiles
    openStream({ onEvent: (kind, data) => { applyEvent(kind, data); noticeEvent(kind); }, onState: (live) => set({ live }) });
    startNotices();
    Promise.all([loadCases(), loadWatch(), loadBoard(), loadStaff()]);
    const back = readHash();
    if (back.tab && tabs().some(([key]) => key === back.tab)) set({ tab: back.tab });
    if (back.caseId) selectCase(back.caseId).then(() => back.tab && set({ tab: back.tab }));
    subscribe(writeHash);
  }
  const base = baseLayer(config);
  if (base) base.addTo(map);
  if (base && config.basemap.crs !== "wgs84") {  // GCJ-02 / BD-09 tiles are shifted by hundreds of metres
    note("warning", `底图坐标系为 ${config.basemap.crs}，与 WGS84 边界和案件点位存在数百米偏移`);
  }
  Object.assign(overlays, await addTiers(map));
  if (signedIn()) {
    overlays["案件"] = caseLayer().addTo(map);
    overlays["人员"] = staff.layer.addTo(map);
    staff.update(state.staff);
    const hot = await hotspotLayer(state.meta);
    if (hot) overlays["热点"] = hot;
  }
  L.control.layers(base ? { 底图: base } : null, overlays, { collapsed: true }).addTo(map);
}

async function loadTowns(lon, lat) {
  const centre = await api(`/api/v1/locate?lon=${lon}&lat=${lat}`);
  if (!centre.ok || !centre.body.inside) return;
  const county = await api("/api/v1/areas/" + centre.body.chain[0].code);
  if (county.ok) set({ towns: county.body.children });
}

handleMapClicks(map, { caseLayer: () => overlays["案件"], openCase: (id) => selectCase(id), locate: locateAt,
  mark: (latlng) => { lines.clearLayers(); L.circleMarker(latlng, { radius: 7, color: "#c62828" }).addTo(lines); } });

// Recommended staff and plans drawn as lines with distances; staff markers follow the store.
subscribe((s) => {
  staff.update(s.staff);
  if (s.recommendations && s.recommendations.spots && s.recommendations.case[0] != null) {
    const rec = s.recommendations;
    if (lines.rec !== rec) {
      lines.clearLayers();
      lines.rec = rec;
      for (const r of Object.values(rec.roles)) {
        for (const c of r.candidates) {
          const to = rec.spots[c.staff_id];
          if (!to) continue;
          L.polyline([rec.case, to], { color: "#00838f", weight: 2, dashArray: "6 4", className: "rec-line", renderer: svg })
            .bindTooltip(`${c.name} ${Math.round(c.distance_m)} 米`, { permanent: true, className: "dist" }).addTo(lines);
        }
      }
      fitRecommendations(map, rec);
    }
  } else if (lines.rec) { lines.clearLayers(); lines.rec = null; }
  drawPlan(s.plan);
});

// An assignment plan: a line from each case to the staff member the plan gives it (where their position is known).
const planLines = L.layerGroup().addTo(map);
async function drawPlan(plan) {
  if (planLines.plan === plan) return;
  planLines.plan = plan;
  planLines.clearLayers();
  if (!plan) return;
  const cases = new Map(state.list.items.map((c) => [c.id, c]));
  for (const p of plan.optimal.pairs) {
    const c = cases.get(p.case_id);
    const s = state.staff.get(p.staff_id) || (await api("/api/v1/staff/" + p.staff_id)).body;
    const at = s && s.position_lat != null ? [s.position_lat, s.position_lon] : s && s.home_lat != null ? [s.home_lat, s.home_lon] : null;
    if (!c || c.lat == null || !at || planLines.plan !== plan) continue;
    L.polyline([[c.lat, c.lon], at], { color: "#6a1b9a", weight: 2, renderer: svg,
      className: "plan-line" }).bindTooltip(`${c.case_no} ← ${p.staff_name} ${Math.round(p.distance_m)} 米`).addTo(planLines);
  }
}

followSelection(map);
start().catch((err) => console.error("start failed", err && err.stack ? err.stack : err));
window.fengqiaoConsole = { map, state, set, selectCase, locateAt, overlays, staff };
