// The GIS officer's boundaries page: upload a file for a dry run, read the report in Chinese with names beside
// codes, compare the current and the new boundaries side by side (problems and changes marked, the list zooms to
// each), save the new generation, read what activating it changes, confirm and activate. Signed in by the session
// cookie; no inline script (CSP script-src 'self'). Leaflet is the vendored global L.
import { api, authorize, errorText, whoami } from "/static/console/api.js";
import { mountUserBar } from "/static/console/userbar.js";

const $ = (id) => document.getElementById(id);
const TIERS = { 1: "县", 2: "乡镇（街道）", 3: "村（社区）", 4: "网格" };
const CHANGES = { added: "新增", removed: "删除", changed: "变更" };
const COLORS = { error: "#d32f2f", warning: "#f29d0b", added: "#2e7d32", removed: "#616161", changed: "#7b3fa0" };
const state = { file: null, options: null, result: null, generation: null, active: null, markers: [] };

function say(id, text, ok) {
  const el = $(id);
  el.textContent = text;
  el.className = "msg " + (ok ? "ok" : "error");
}
const named = (code, names) => (code && names[code] ? `${code}（${names[code]}）` : code || "");

// -- maps ---------------------------------------------------------------------------------------------------
function makeMap(id) {
  const map = L.map(id, { zoomControl: true, attributionControl: false });
  map.setView([24.12, 114.62], 9);
  return map;
}
const maps = { old: null, new: null, oldLayer: null, newLayer: null, marks: null };

function syncMaps() {
  let busy = false;
  const follow = (from, to) => from.on("moveend", () => {
    if (busy) return;
    busy = true;
    to.setView(from.getCenter(), from.getZoom(), { animate: false });
    busy = false;
  });
  follow(maps.old, maps.new);
  follow(maps.new, maps.old);
}

async function outlines(ref) {
  const res = await fetch(`/api/v1/boundaries/generations/${encodeURIComponent(ref)}/export?tier=village&format=geojson`,
    authorize({ headers: { Accept: "application/geo+json" } }));
  return res.ok ? res.json() : null;
}

function drawOutlines(which, geojson, color) {
  const key = which + "Layer";
  if (maps[key]) maps[key].remove();
  if (!geojson) return;
  maps[key] = L.geoJSON(geojson, {
    style: { color, weight: 1, fillOpacity: 0.04 },
    onEachFeature: (f, layer) => layer.bindTooltip(`${f.properties.name || ""}（${f.properties.code || ""}）`, { sticky: true }),
  }).addTo(maps[which]);
}

function dot(lon, lat, color, text) {
  return L.circleMarker([lat, lon], { radius: 7, color: "#fff", weight: 1.5, fillColor: color, fillOpacity: 0.95 })
    .bindTooltip(text);
}

function fitBoth(layer) {
  const bounds = layer && layer.getBounds && layer.getBounds();
  if (bounds && bounds.isValid()) maps.old.fitBounds(bounds.pad(0.05));
}

// -- step 1: the dry run ------------------------------------------------------------------------------------
function formData(commit) {
  const data = new FormData();
  data.append("file", state.file, state.file.name);
  for (const [k, v] of Object.entries(state.options)) if (v !== "" && v !== false) data.append(k, String(v));
  if (commit) data.append("commit", "true");
  return data;
}

async function upload(commit) {
  const res = await fetch("/api/v1/boundaries/uploads", authorize({ method: "POST", body: formData(commit),
    headers: { Accept: "application/json" } }));
  const body = await res.json().catch(() => ({}));
  return { ok: res.ok, status: res.status, body };
}

function showReport(result) {
  const report = result.report;
  const names = result.names || {};
  const titles = result.titles || {};
  $("report").hidden = false;
  $("verdict").textContent = `文件 ${report.source}：` + (report.ok ? "检查通过，可以保存为新版本" : "检查未通过，改正错误后才能保存")
    + `（错误 ${report.errors} 项，提醒 ${report.warnings} 项）`;
  $("verdict").className = report.ok ? "ok" : "bad";
  $("counts").textContent = "各级区划数量：" + Object.entries(report.counts)
    .map(([t, n]) => `${TIERS[t] || t} ${Number(n).toLocaleString("zh-CN")} 个`).join("，");
  const notes = $("notes");
  notes.textContent = "";
  for (const n of report.notes) notes.append(Object.assign(document.createElement("li"), { textContent: n }));
  const list = $("problems");
  list.textContent = "";
  for (const m of state.markers) m.remove();
  state.markers = [];
  report.findings.forEach((f, k) => {
    const li = document.createElement("li");
    const sev = Object.assign(document.createElement("span"), { className: "sev-" + f.severity,
      textContent: f.severity === "error" ? "【错误】" : "【提醒】" });
    const where = f.feature ? named(f.feature, names) : "";
    const tier = f.tier ? ` · ${TIERS[f.tier] || ""}` : "";
    const area = f.area_m2 != null ? ` · 面积 ${Number(f.area_m2).toLocaleString("zh-CN")} 平方米` : "";
    const overlap = f.code === "sibling_overlap" && f.message.startsWith("overlaps ")
      ? `：与 ${named(f.message.slice(9).trim(), names)} 重叠` : "";
    const message = /[\u4e00-\u9fff]/.test(f.message) ? `：${f.message}` : overlap;
    const fix = f.repair ? `（修正：${f.repair}）` : "";
    li.append(sev, `${titles[f.code] || f.code} ${where}${tier}${area}${message}${fix}`);
    li.dataset.code = f.code;
    if (f.location) {
      const [lon, lat] = f.location;
      const marker = dot(lon, lat, COLORS[f.severity] || COLORS.warning, `${titles[f.code] || f.code} ${where}`);
      marker.addTo(maps.new);
      state.markers.push(marker);
      li.addEventListener("click", () => {
        for (const other of list.children) other.classList.remove("selected");
        li.classList.add("selected");
        maps.new.setView([lat, lon], 15);
        marker.openTooltip();
      });
    } else {
      li.title = "此问题涉及整个图层，没有具体位置";
    }
    list.append(li);
  });
  $("no-problems").hidden = report.findings.length > 0;
  $("commit").disabled = !report.ok;
}

async function check(event) {
  event.preventDefault();
  const file = $("file").files[0];
  if (!file) return say("upload-msg", "请选择边界文件", false);
  state.file = file;
  state.options = { tier: $("tier").value, crs: $("crs-text").value.trim() || $("crs").value,
    generation: $("generation").value.trim(), standalone: $("standalone").checked };
  say("upload-msg", "正在检查，文件较大时需要一两分钟……", true);
  $("check-submit").disabled = true;
  try {
    const res = await upload(false);
    if (!res.ok) return say("upload-msg", errorText(res), false);
    say("upload-msg", "检查完成", true);
    state.result = res.body;
    $("new-caption").textContent = `新文件 ${file.name}（问题标注在图上，灰线为现行界线）`;
    showReport(res.body);
  } finally {
    $("check-submit").disabled = false;
  }
}

// -- step 2: commit; step 3: what activation changes, confirm, activate --------------------------------------
async function commitGeneration() {
  $("commit").disabled = true;
  say("commit-msg", "正在保存……", true);
  const res = await upload(true);
  if (!res.ok) {
    $("commit").disabled = false;
    return say("commit-msg", errorText(res), false);
  }
  state.generation = res.body.generation.name;
  say("commit-msg", `已保存为新版本 ${state.generation}（尚未启用）`, true);
  $("new-caption").textContent = `新版本 ${state.generation}`;
  drawOutlines("new", await outlines(state.generation), "#7b3fa0");
  await showActivation();
}

function changeTable(preview) {
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const h of ["层级", "新增", "删除", "变更"]) head.append(Object.assign(document.createElement("th"), { textContent: h }));
  const body = table.createTBody();
  for (const [tier, counts] of Object.entries(preview.tiers)) {
    const row = body.insertRow();
    for (const v of [TIERS[tier], counts.added, counts.removed, counts.changed]) row.insertCell().textContent = String(v);
  }
  return table;
}

function line(text, cls) {
  return Object.assign(document.createElement("p"), { textContent: text, className: cls || "" });
}

async function showActivation() {
  const res = await api(`/api/v1/boundaries/generations/${encodeURIComponent(state.generation)}/activation`);
  if (!res.ok) return say("activate-msg", errorText(res), false);
  const p = res.body;
  const box = $("changes");
  box.textContent = "";
  box.append(line(`启用版本 ${p.generation} 将替换现行版本 ${p.active || "（无）"}，共 ${p.changes_total.toLocaleString("zh-CN")} 处区划变化：`));
  box.append(changeTable(p));
  const examples = p.changes.slice(0, 8).map((c) => `${CHANGES[c.change]}${TIERS[c.tier]} ${c.name}（${c.code}）`);
  if (examples.length) box.append(line("例如：" + examples.join("；") + (p.changes_total > 8 ? " ……" : "")));
  const m = p.open_cases_moving;
  box.append(line(`未办结案件：${m.grid} 件将换网格（其中 ${m.village} 件换村、${m.town} 件换乡镇），`
    + `${p.open_cases_unplaced} 件将落在所有网格以外。`, p.open_cases_unplaced ? "warn" : ""));
  box.append(line(p.staff.length ? `${p.staff.length} 名工作人员的责任区将有区划消失：`
    + p.staff.slice(0, 8).map((s) => `${s.name}（${s.staff_code}）`).join("、") : "没有工作人员的责任区消失。",
  p.staff.length ? "warn" : ""));
  box.append(line(`网格：现行 ${p.grids_active.toLocaleString("zh-CN")} 个，将删除 ${p.grids_removed.toLocaleString("zh-CN")} 个`
    + `（${(p.removed_share * 100).toFixed(1)}%）；县域未被网格覆盖 ${(p.uncovered_share * 100).toFixed(1)}%。`));
  for (const c of p.changes.slice(0, 500)) {
    if (c.lon == null) continue;
    const marker = dot(c.lon, c.lat, COLORS[c.change], `${CHANGES[c.change]} ${c.name}（${c.code}）`);
    marker.addTo(c.change === "removed" ? maps.old : maps.new);
    state.markers.push(marker);
  }
  const first = p.changes.find((c) => c.lon != null);
  if (first) maps.new.setView([first.lat, first.lon], 13);
  $("override-box").hidden = !p.needs_override;
  $("override-text").textContent = p.needs_override
    ? `我明确同意：${p.override_reasons_zh.join("；")}` : "";
  if (!p.may_activate) box.append(line("您只能启用本乡镇范围内的变化；此版本需由县级地理信息管理员启用。", "warn"));
  $("activation").hidden = false;
  state.preview = p;
  refreshActivate();
}

function refreshActivate() {
  const p = state.preview;
  $("activate").disabled = !(p && p.may_activate && $("confirm").checked && (!p.needs_override || $("override").checked));
}

async function activateGeneration() {
  $("activate").disabled = true;
  const override = state.preview.needs_override && $("override").checked;
  const res = await api(`/api/v1/boundaries/generations/${encodeURIComponent(state.generation)}/activate`
    + (override ? "?override=true" : ""), { method: "POST" });
  if (!res.ok) {
    refreshActivate();
    return say("activate-msg", errorText(res), false);
  }
  say("activate-msg", `版本 ${res.body.name} 已启用，各服务将在几秒内切换`, true);
}

// -- start ----------------------------------------------------------------------------------------------------
const user = await whoami();
mountUserBar($("user-bar"), user);
if (!user) {
  say("page-msg", "请先登录", false);
} else {
  maps.old = makeMap("map-old");
  maps.new = makeMap("map-new");
  syncMaps();
  const gens = await api("/api/v1/generations");
  const active = gens.ok ? gens.body.find((g) => g.is_active) : null;
  state.active = active ? active.name : null;
  $("old-caption").textContent = active ? `现行版本 ${active.name}` : "现行版本（无）";
  if (active) {
    state.activeOutlines = await outlines(active.name);
    drawOutlines("old", state.activeOutlines, "#2c6fbb");
    drawOutlines("new", state.activeOutlines, "#9aa5b1");
    fitBoth(maps.oldLayer);
  }
  $("upload-form").addEventListener("submit", check);
  $("commit").addEventListener("click", commitGeneration);
  $("confirm").addEventListener("change", refreshActivate);
  $("override").addEventListener("change", refreshActivate);
  $("activate").addEventListener("click", activateGeneration);
  document.body.dataset.ready = "1";
}
