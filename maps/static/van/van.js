// The van's day plan: a form, the route on the map and a printable timetable (GET /api/v1/forecast/van-route).
import { api, errorText, whoami } from "/static/console/api.js";
import { mountUserBar } from "/static/console/userbar.js";
import { addTiers } from "/static/console/layers/tiers.js";

const form = document.getElementById("plan-form");
const status = document.getElementById("status");
const map = L.map("map", { zoomControl: true, preferCanvas: false });
const routeLayer = L.layerGroup().addTo(map);

function say(text, error = false) { status.textContent = text; status.className = error ? "error" : ""; }

function cell(tr, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
}

function badge(text, cls) {
  return L.divIcon({ className: cls, iconSize: null, html: String(text).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";") });
}

function draw(plan) {
  routeLayer.clearLayers();
  const line = plan.route.coordinates.map(([x, y]) => [y, x]);
  L.polyline(line, { color: "#b3261e", weight: 3, dashArray: "6 6" }).addTo(routeLayer);
  L.marker([plan.centre[1], plan.centre[0]], { icon: badge("出发/收工：" + plan.centre_name, "centre-label") })
    .addTo(routeLayer);
  plan.stops.forEach((s) => {
    L.marker([s.lat, s.lon], { icon: badge(s.order, "stop-label"), title: s.name })
      .bindTooltip(`${s.order}. ${s.name} ${s.arrive}–${s.depart}`).addTo(routeLayer);
  });
  if (plan.stops.length) map.fitBounds(L.latLngBounds(line).pad(0.15));
}

function table(plan) {
  const what = plan.category_name || "全部类别";
  document.getElementById("plan-title").textContent = `${plan.day} ${plan.mode_label}路线：${what}`;
  document.getElementById("plan-summary").textContent =
    `${plan.start} 从${plan.centre_name}出发，走访 ${plan.stops.length} 个村（社区），每村停留 ${plan.visit_minutes} 分钟，` +
    `约 ${plan.back_at} 返回；估算路程 ${plan.total_km} 公里（直线距离 × ${plan.detour_factor}，平均 ${plan.km_per_hour} 公里/小时）。` +
    `依据 ${plan.forecast_week} 的预测和 ${plan.alert_week} 的上升预警。`;
  const body = document.querySelector("#stops tbody");
  body.textContent = "";
  plan.stops.forEach((s) => {
    const tr = document.createElement("tr");
    cell(tr, String(s.order)); cell(tr, s.name); cell(tr, s.arrive); cell(tr, s.depart); cell(tr, s.leg_km.toFixed(1));
    cell(tr, s.forecast.toFixed(1)); cell(tr, Math.round(s.category_share * 100) + "%");
    cell(tr, s.alerted ? "上升预警" : "—", s.alerted ? "alert" : "");
    body.appendChild(tr);
  });
  const tr = document.createElement("tr");
  cell(tr, "—"); cell(tr, "返回" + plan.centre_name); cell(tr, plan.back_at); cell(tr, ""); cell(tr, plan.return_km.toFixed(1));
  cell(tr, ""); cell(tr, ""); cell(tr, "");
  body.appendChild(tr);
  document.getElementById("left-out").textContent = plan.left_out.length
    ? "未排入当天的候选村：" + plan.left_out.map((c) => c.name).join("、") : "";
}

async function plan(event) {
  if (event) event.preventDefault();
  const query = new URLSearchParams();
  new FormData(form).forEach((value, key) => { if (value !== "") query.set(key, value); });
  say("正在排路线……");
  const res = await api("/api/v1/forecast/van-route?" + query);
  if (!res.ok) { say("无法排路线：" + errorText(res), true); return; }
  say(res.body.stops.length ? "" : "当天没有可排入的村（社区）。");
  draw(res.body);
  table(res.body);
}

async function start() {
  const user = await whoami();
  mountUserBar(document.getElementById("user-bar"), user);
  const tomorrow = new Date(Date.now() + 86400000);
  form.elements.day.value = tomorrow.toISOString().slice(0, 10);
  const [extent, categories] = await Promise.all([api("/api/v1/areas/extent"), api("/api/v1/categories")]);
  if (extent.ok && extent.body.bbox) {
    const [x0, y0, x1, y1] = extent.body.bbox;
    map.fitBounds([[y0, x0], [y1, x1]]);
  } else {
    map.setView([24, 116], 9);
  }
  if (categories.ok) {
    const select = form.elements.category;
    // Classes with their items under them (codes sort that way: "03" before "0301").
    [...categories.body.categories].sort((a, b) => a.code.localeCompare(b.code)).forEach((c) => {
      const option = document.createElement("option");
      option.value = c.code;
      option.textContent = (c.code === c.class_code ? "" : "　") + c.name;
      select.appendChild(option);
    });
  }
  addTiers(map);
  if (!user) { say("请先登录。", true); return; }
  form.addEventListener("submit", plan);
  document.getElementById("print").addEventListener("click", () => window.print());
}

start();
