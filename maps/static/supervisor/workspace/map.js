// The risk map: Leaflet over the boundary tiles, hotspots per town, village, grid or H3 for a week, a legend in
// plain words, emerging trends, drill-down town -> village -> grid -> cases, and the forecast layer.
import { api, query } from "/static/console/api.js";
import { addTiers, baseLayer } from "/static/console/layers/tiers.js";
import { stateLabel } from "/static/console/store.js";
import { caseLink, el, local } from "./dom.js";
import { forecastLayer } from "./forecast.js";
import { finishedWeeks } from "./weeks.js";

const WEEKS = finishedWeeks(12);
const H3_RESOLUTION = 8;
const RISING = ["new_hot", "intensifying_hot", "consecutive_hot", "persistent_hot"];
const CHILD = { town: "village", village: "grid" };
const cache = new Map();
const s = { tier: "town", week: WEEKS.length - 1, town: null, village: null, layer: null, forecast: null, seq: 0 };
let map;
const $ = (id) => document.getElementById(id);

/** The unit codes are hierarchical (GB/T 2260 towns and villages, grids under their village). */
const inside = (code, parent, tier) => code.startsWith(tier === "town" ? parent.slice(0, 9) : parent);

async function hotspots(tier, week) {
  const key = tier + "|" + week.week;
  if (!cache.has(key)) {
    const params = tier === "h3" ? { h3: H3_RESOLUTION } : { tier };
    const asked = api("/api/v1/hotspots" + query({ ...params, since: week.since, until: week.until }));
    cache.set(key, asked);
    asked.then((res) => { if (!res.ok) cache.delete(key); });  // a failure is asked again next time
  }
  return cache.get(key);
}

export const villageShapes = (week) => hotspots("village", week);

function viewTier() { return s.village ? "grid" : s.town ? "village" : s.tier; }

export async function startMap() {
  map = L.map("ws-map", { preferCanvas: true, minZoom: 5, maxZoom: 18 }).setView([24.12, 114.62], 9);
  L.control.scale({ imperial: false }).addTo(map);
  const config = await fetch("/console/config.json").then((r) => r.json()).catch(() => null);
  const base = baseLayer(config);
  if (base) base.addTo(map);
  addTiers(map);
  window.addEventListener("ws-tab-map", () => map.invalidateSize());
  const slider = $("ws-week");
  slider.max = String(WEEKS.length - 1);
  slider.value = String(s.week);
  slider.addEventListener("input", () => { s.week = Number(slider.value); draw(); });
  $("ws-tier").addEventListener("change", (e) => { s.tier = e.target.value; s.town = null; s.village = null; draw(true); });
  $("ws-forecast").addEventListener("change", drawForecast);
  await draw(true);
}

async function draw(fit = false) {
  const seq = ++s.seq;
  const week = WEEKS[s.week];
  $("ws-week-label").textContent = week.label;
  $("ws-status").textContent = "正在计算 " + week.label + " 的热点……";
  $("ws-cases").textContent = "";
  const tier = viewTier();
  const res = await hotspots(tier, week);
  if (seq !== s.seq) return;
  if (!res.ok) { $("ws-status").textContent = "无法读取热点：" + ((res.body.error || {}).message || res.status); return; }
  const parent = s.village || s.town;
  const features = res.body.features.filter((f) => !parent || inside(f.properties.code, parent.code, s.village ? "village" : "town"));
  const meta = res.body.meta;
  legend(meta);
  if (s.layer) s.layer.remove();
  s.layer = L.geoJSON({ type: "FeatureCollection", features }, {
    style: (f) => ({ color: f.properties.level === "blue" ? "#ffffff" : "#333333", weight: f.properties.level === "blue" ? 0.4 : 1,
      fillColor: meta.colours[f.properties.level] || "#bbbbbb", fillOpacity: f.properties.level === "blue" ? 0.35 : 0.75 }),
    onEachFeature: (f, layer) => {
      const p = f.properties;
      layer.bindTooltip(`${p.name}：${p.count} 件 · ${p.level_label || ""}${p.trend_label ? " · " + p.trend_label : ""}`, { sticky: true });
      layer.on("click", () => pick(tier, p));
    },
  }).addTo(map);
  if (s.forecast) s.forecast.bringToFront();
  if ((fit || parent) && features.length) map.fitBounds(s.layer.getBounds(), { padding: [10, 10] });
  crumbs();
  units(tier, features.map((f) => f.properties), meta);
  trends(features.map((f) => f.properties));
  $("ws-status").textContent = `${week.label}：${meta.cases} 件案件，${features.length} 个单元。`;
  $("ws-map").dataset.drawn = String(features.length);
  if ($("ws-forecast").checked) drawForecast();
  // The next tiers down are asked for now: the county's grid analysis takes a while, drilling should not wait.
  if (tier === "town") hotspots("village", week).then(() => hotspots("grid", week));
}

function legend(meta) {
  const box = $("ws-legend");
  box.textContent = "";
  const words = { red: "案件在这里明显扎堆，而且把握很大（99%），应优先排查", yellow: "案件较为集中（把握 95%），需要关注",
    blue: "没有发现明显扎堆" };
  for (const key of ["red", "yellow", "blue"]) {
    const swatch = el("span", { className: "swatch" });
    swatch.style.background = meta.colours[key];
    box.append(el("p", {}, swatch, el("b", {}, meta.labels[key] || key), "：" + words[key]));
  }
  const lv = meta.levels;
  $("ws-method-text").replaceChildren(
    el("p", {}, "把每个单元这一周的案件数，连同它四周相邻单元的案件数，与全县平均水平比较（Getis-Ord Gi* 热点分析，相邻指边或角相接）。"),
    el("p", {}, `一片区域的案件数高出平均很多、不像是偶然时，标红（可信度 ${100 - 100 * lv.red_p}%）或标黄（${100 - 100 * lv.yellow_p}%）；` +
      `同时对全部单元做多重比较校正${lv.fdr ? "（错误发现率控制）" : ""}，并用 ${lv.permutations} 次随机重排复核。`),
    el("p", {}, `案件少于 ${lv.min_count} 件的单元不会标红或标黄。趋势（新增、加强、持续热点等）看的是近 12 周每周的热点变化。`),
    meta.h3 ? null : el("p", {}, "乡镇用户看到的是本乡镇自己的案件在本乡镇各单元之间的比较。"));
}

function crumbs() {
  const nav = $("ws-crumbs");
  nav.textContent = "";
  nav.append(el("a", { onclick: () => { s.town = null; s.village = null; draw(true); } }, "全县"));
  if (s.town) nav.append(" › ", el("a", { onclick: () => { s.village = null; draw(true); } }, s.town.name));
  if (s.village) nav.append(" › ", el("span", {}, s.village.name));
}

function pick(tier, p) {
  if (tier === "town") { s.town = { code: p.code, name: p.name }; s.village = null; draw(); }
  else if (tier === "village") {
    s.village = { code: p.code, name: p.name };
    if (s.town) { draw(); return; }
    const code = p.code.slice(0, 9) + "000";
    hotspots("town", WEEKS[s.week]).then((res) => {
      const town = res.ok ? res.body.features.find((f) => f.properties.code === code) : null;
      s.town = { code, name: town ? town.properties.name : code };
      draw();
    });
  } else if (tier === "grid") showCases("grid", p);
}

const LEVEL_ORDER = { red: 0, yellow: 1, blue: 2 };
function units(tier, rows, meta) {
  const box = $("ws-units");
  box.textContent = "";
  if (!rows.length) { box.append(el("p", { className: "hint" }, "这一周这里没有单元可显示。")); return; }
  rows = [...rows].sort((a, b) => (LEVEL_ORDER[a.level] ?? 3) - (LEVEL_ORDER[b.level] ?? 3) || b.count - a.count);
  const title = { town: "各乡镇（街道）", village: "各村（社区）", grid: "各网格", h3: "H3 六边形" }[tier];
  const body = rows.slice(0, 60).map((p) => {
    const name = CHILD[tier] ? el("a", { className: "drill", "data-code": p.code, onclick: () => pick(tier, p) }, p.name)
      : el("span", {}, p.name);
    const count = tier === "h3" || !p.count ? el("span", {}, String(p.count))
      : el("a", { className: "cases", "data-code": p.code, title: "查看这些案件", onclick: () => showCases(tier, p) }, String(p.count));
    return el("tr", {}, el("td", {}, name), el("td", { className: "num" }, count),
      el("td", { className: "level-" + p.level }, p.level_label || ""), el("td", {}, p.trend_label || ""));
  });
  box.append(el("h3", {}, title + (rows.length > 60 ? `（前 60 个，共 ${rows.length} 个）` : "")),
    el("table", { id: "ws-unit-table" }, el("thead", {}, el("tr", {}, el("th", {}, "名称"), el("th", { className: "num" }, "案件数"),
      el("th", {}, "风险等级"), el("th", {}, "近 12 周趋势"))), el("tbody", {}, body)),
    el("p", { className: "hint" }, CHILD[tier] ? "点名称进入下一级，点案件数看案件。" : "点案件数看这些案件。"));
}

function trends(rows) {
  const box = $("ws-trends");
  box.textContent = "";
  const rising = rows.filter((p) => RISING.includes(p.trend)).sort((a, b) => RISING.indexOf(a.trend) - RISING.indexOf(b.trend) || b.count - a.count);
  box.append(el("h3", {}, "新出现或加强的热点"));
  if (!rising.length) { box.append(el("p", { className: "hint" }, "近 12 周没有新出现、加强或持续的热点。")); return; }
  box.append(el("ul", {}, rising.slice(0, 15).map((p) => el("li", {}, `${p.name}：${p.trend_label}（本周 ${p.count} 件）`))));
}

async function showCases(tier, p) {
  const week = WEEKS[s.week];
  const box = $("ws-cases");
  box.replaceChildren(el("p", { className: "hint" }, "正在读取案件……"));
  const res = await api("/api/v1/cases" + query({ [tier]: p.code, since: week.since + "T00:00:00+08:00",
    until: week.until + "T00:00:00+08:00", limit: 100 }));
  if (!res.ok) { box.replaceChildren(el("p", {}, "无法读取案件：" + ((res.body.error || {}).message || res.status))); return; }
  const rows = res.body.items.map((c) => el("tr", {}, el("td", {}, caseLink(c.id, c.case_no)), el("td", {}, c.category_name),
    el("td", {}, c.status_label || stateLabel(c.status)), el("td", {}, local(c.created_at || c.due_at))));
  box.replaceChildren(el("h3", {}, `${p.name}：${week.label} 的案件（${res.body.total} 件）`),
    el("table", { id: "ws-case-table" }, el("thead", {}, el("tr", {}, el("th", {}, "案件编号"), el("th", {}, "类别"), el("th", {}, "状态"),
      el("th", {}, "登记时间"))), el("tbody", {}, rows)));
  box.scrollIntoView({ behavior: "smooth", block: "start" });
}

async function drawForecast() {
  if (s.forecast) { s.forecast.remove(); s.forecast = null; }
  const panel = $("ws-forecast-panel");
  if (!$("ws-forecast").checked) { panel.hidden = true; return; }
  const week = WEEKS[s.week];
  panel.hidden = false;
  panel.replaceChildren(el("p", { className: "hint" }, "正在读取预测……"));
  const result = await forecastLayer(week, await villageShapes(week), panel);
  if (result && $("ws-forecast").checked && WEEKS[s.week] === week) { s.forecast = result.addTo(map); }
}
