// The field page: my orders and their steps, the case's place with a navigation link, my position from
// the browser (WGS84) or a tap on the map, and a queue that retries status updates when the signal drops.
import { api, errorText, here, signedIn, whoami } from "/static/console/api.js";
import { userLabel } from "/static/console/userbar.js";
import { openStream } from "/static/console/stream.js";
import { html, render, useEffect, useState } from "/static/console/view.js";
import { since } from "/static/console/view.js";
import { enqueue, flush, pending } from "./queue.js";

const app = { meta: null, me: null, user: null, checked: false, orders: [], live: "off", queue: pending().length, message: "", position: null,
  geo: "未开始", listeners: new Set() };
const update = (patch) => { Object.assign(app, patch); app.listeners.forEach((fn) => fn()); };

async function loadOrders() {
  const res = await api("/api/v1/dispatches?limit=100");
  if (res.ok) update({ orders: res.body.orders });
}

async function sendQueue() {
  const result = await flush((item, error) => {
    if (error) update({ message: `订单 ${item.orderId} 未更新：${error}` });
  });
  const offline = "信号不佳，状态已保存，恢复后自动重发";
  update({ queue: pending().length, message: result.sent ? (app.message === offline ? "" : app.message) : offline });
  loadOrders();
}

function step(order, status) {
  const label = statusOf(status).label;
  let reason = "";
  if (statusOf(status).needs_reason) {
    reason = prompt(`${label}：请填写原因`) || "";
    if (!reason.trim()) return;
  }
  enqueue(order.id, status, reason.trim());
  update({ queue: pending().length, orders: app.orders.map((o) => (o.id === order.id ? { ...o, status } : o)) });
  sendQueue();
}

const statusOf = (code) => (app.meta ? app.meta.order_statuses.find((s) => s.code === code) : null) || { code, label: code, next: [] };

async function sendPosition(lon, lat, accuracy, how) {
  if (!app.me) return;
  const res = await api(`/api/v1/staff/${app.me.id}/positions`, { method: "POST",
    json: { lon, lat, accuracy_m: accuracy, crs: "wgs84" } });
  update({ position: { lon, lat, accuracy, how, at: new Date().toISOString(), error: res.ok ? null : errorText(res) } });
}

function watchGeolocation() {
  if (!("geolocation" in navigator) || !window.isSecureContext) {
    update({ geo: "浏览器不提供定位（需 HTTPS 或本机访问）：请在地图上点选当前位置" });
    return;
  }
  navigator.geolocation.watchPosition(
    (p) => { update({ geo: "定位中（浏览器 GPS，WGS84）" }); sendPosition(p.coords.longitude, p.coords.latitude, p.coords.accuracy, "gps"); },
    (err) => update({ geo: `无法定位（${err.message || err.code}）：请在地图上点选当前位置` }),
    { enableHighAccuracy: true, maximumAge: 30000, timeout: 20000 });
}

function OrderCard({ o }) {
  const next = statusOf(o.status).next.filter((code) => !statusOf(code).centre_only);
  const place = [o.town_name, o.village_name, o.grid_name].filter(Boolean).join(" ");
  const ll = o.lat != null ? `${o.lat.toFixed(6)},${o.lon.toFixed(6)}` : null;
  const nav = ll ? `geo:${ll}?q=${ll}(${encodeURIComponent(o.case_no)})` : null;
  return html`<li class=${"order st-" + o.status} data-order=${o.id}>
    <div class="head"><b>${o.case_no}</b> <span class="role">${app.meta.order_roles[o.role]}</span>
      <span class="status">${statusOf(o.status).label}</span></div>
    <div class="place">${place || o.grid_code}</div>
    ${o.lat != null && html`<div class="coords">WGS84 ${o.lon.toFixed(5)}, ${o.lat.toFixed(5)} ·
      <a href=${nav}>导航</a></div>`}
    <div class="when">最近一步：${since(o.last_step_at)}前</div>
    <div class="steps">${next.map((code) => html`<button data-step=${code}
      class=${statusOf(code).needs_reason ? "secondary" : ""} onClick=${() => step(o, code)}>${statusOf(code).label}</button>`)}</div>
  </li>`;
}

function FieldMap() {
  useEffect(() => {
    const map = L.map("field-map", { minZoom: 5, maxZoom: 18, zoomControl: false }).setView([24.12, 114.62], 11);
    L.vectorGrid.protobuf("/tiles/villages/{z}/{x}/{y}.pbf", { rendererFactory: L.canvas.tile, interactive: false,
      minZoom: 9, maxNativeZoom: 18, vectorTileLayerStyles: { areas: { weight: 1, color: "#4d7ea8", fill: false }, labels: () => ({ radius: 0, opacity: 0 }) } }).addTo(map);
    const marks = L.layerGroup().addTo(map);
    const draw = () => {
      marks.clearLayers();
      const pts = [];
      for (const o of app.orders) {
        if (o.lat == null) continue;
        L.circleMarker([o.lat, o.lon], { radius: 8, color: "#c62828" }).bindTooltip(o.case_no).addTo(marks);
        pts.push([o.lat, o.lon]);
      }
      if (app.position) {
        L.circleMarker([app.position.lat, app.position.lon], { radius: 7, color: "#1565c0", fillOpacity: 0.9 }).addTo(marks);
        pts.push([app.position.lat, app.position.lon]);
      }
      if (pts.length && !map._fitted) { map.fitBounds(pts, { maxZoom: 15, padding: [20, 20] }); map._fitted = true; }
    };
    app.listeners.add(draw);
    draw();
    map.on("click", (e) => sendPosition(e.latlng.lng, e.latlng.lat, null, "tap"));
    window.fengqiaoField = { map, app };
  }, []);
  return html`<div id="field-map"></div>`;
}

function App() {
  const [, tick] = useState(0);
  useEffect(() => { const fn = () => tick((n) => n + 1); app.listeners.add(fn); return () => app.listeners.delete(fn); }, []);
  if (!app.checked) return html`<p class="pad">加载中…</p>`;
  if (!signedIn()) return html`<div class="pad" id="signed-out"><p>尚未登录。共用或新手机请扫描指挥中心发放的登录二维码；
      也可以用账号密码登录。</p><p><a id="sign-in" class="button" href=${"/login?next=" + encodeURIComponent(here())}>账号密码登录</a></p></div>`;
  if (!app.me) return html`<div class="pad" id="no-staff"><p>${userLabel(app.user)}</p>
      <p>此账号未关联一线人员，无法接收派单。请联系指挥中心在账号中关联人员编号。</p>
      <form class="sign-out" method="post" action="/auth/logout"><button id="sign-out" type="submit">退出</button></form></div>`;
  if (!app.meta) return html`<p class="pad">加载中…</p>`;
  const active = app.orders.filter((o) => o.active);
  const pos = app.position;
  return html`<header><b>一线工作台</b> <span id="who">${userLabel(app.user)}</span>
      <form class="sign-out" method="post" action="/auth/logout"><button id="sign-out" type="submit">退出</button></form>
      <span id="live" class=${"live " + app.live}>${app.live === "on" ? "实时" : "离线"}</span>
      <span id="queue" class=${app.queue ? "queue waiting" : "queue"}>${app.queue ? `待发送 ${app.queue}` : "已同步"}</span></header>
    ${app.message && html`<p class="message">${app.message}</p>`}
    <h2>我的派单 <span class="count">${active.length}</span></h2>
    <ol id="orders">${active.map((o) => html`<${OrderCard} key=${o.id} o=${o} />`)}</ol>
    ${active.length === 0 && html`<p class="pad hint">暂无待办派单。</p>`}
    <h2>我的位置</h2>
    <p class="pad hint" id="geo">${app.geo}。位置来自浏览器定位（WGS84 坐标），不是 GCJ-02。</p>
    ${pos && html`<p class="pad" id="my-position">已上报 ${pos.lon.toFixed(5)}, ${pos.lat.toFixed(5)}
      （${pos.how === "tap" ? "地图点选" : "GPS ±" + Math.round(pos.accuracy || 0) + " 米"}）${pos.error ? " · " + pos.error : ""}</p>`}
    <${FieldMap} />
    <p class="pad hint">点地图可手动设定当前位置。</p>`;
}

async function start() {
  render(html`<${App} />`, document.getElementById("app"));
  const user = await whoami();
  update({ user, checked: true });
  if (!user) return;
  const meta = await api("/api/v1/meta");
  // The staff member this account is linked to (orders and positions are theirs).
  const me = user.staff_id ? await api("/api/v1/staff/" + user.staff_id) : null;
  update({ meta: meta.body, me: me && me.ok ? me.body : null });
  if (!app.me) return;
  await loadOrders();
  openStream({ onEvent: (kind) => { if (kind.startsWith("dispatch.")) loadOrders(); }, onState: (live) => update({ live }) });
  watchGeolocation();
  window.addEventListener("online", sendQueue);
  setInterval(() => { if (pending().length) sendQueue(); }, 5000);
  if (pending().length) sendQueue();
}
start();
