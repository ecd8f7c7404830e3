// The field page: my orders as cards (the job, the team, the parties to call, the way there), buttons that
// say what they do (接单, 出发, 到场, 完成; 拒单, 退单), progress notes and photos, my completed orders, my
// position on the map. Steps, notes and photos wait in an outbox (IndexedDB) while there is no signal; a
// service worker keeps the page, my orders and the last map view for when there is no server at all.
import { api, errorText, here, signedIn, whoami } from "/static/console/api.js";
import { userLabel } from "/static/console/userbar.js";
import { openStream } from "/static/console/stream.js";
import { fmtTime, html, render, since, useEffect, useState } from "/static/console/view.js";
import { enqueue, flush, pending } from "./queue.js";
import { preparePhoto } from "./photo.js";

const VIEW_KEY = "fengqiao.field.view";  // the last map view (a string: centre and zoom)
const app = { meta: null, me: null, user: null, checked: false, orders: [], cards: {}, history: [], live: "off",
  online: navigator.onLine, cachedAt: null, outbox: [], message: "", position: null, geo: "未开始",
  drafts: {}, listeners: new Set() };
const update = (patch) => { Object.assign(app, patch); app.listeners.forEach((fn) => fn()); };

/** An API read; notes whether the answer came from the phone's saved copy (no server). */
async function read(path) {
  const res = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(async (r) => ({ ok: r.ok, status: r.status, cached: r.headers.get("X-Fengqiao-Cached"), body: await r.json().catch(() => ({})) }))
    .catch(() => ({ ok: false, status: 0, cached: null, body: {} }));
  if (res.status === 401) return api(path);  // the session ended: api() takes the person to sign in again
  if (res.ok) update({ cachedAt: res.cached ? (app.cachedAt || new Date(res.cached).toISOString()) : null });
  return res;
}

async function loadOrders() {
  const res = await read("/api/v1/dispatches?limit=100");
  if (!res.ok) return;
  const orders = res.body.orders;
  const cards = {};
  await Promise.all(orders.filter((o) => o.active).map(async (o) => {
    const card = await read(`/api/v1/dispatches/${o.id}/card`);
    cards[o.id] = card.ok ? card.body : app.cards[o.id];
  }));
  update({ orders, cards });
  const done = await read("/api/v1/field/history?limit=30");
  if (done.ok) update({ history: done.body.orders });
}

async function refreshOutbox() { update({ outbox: await pending() }); }

let sending = false;
async function sendQueue() {
  if (sending) return;
  sending = true;
  try {
    const result = await flush((item, error) => {
      if (error) update({ message: `${kindLabel(item)}未能提交：${error}` });
    });
    const offline = "信号不佳，已保存在本机，恢复后自动发送";
    if (result.status === 401) update({ message: "登录已失效，请重新登录；待发送内容仍保存在本机" });
    else update({ message: result.sent ? (app.message === offline ? "" : app.message) : offline });
    update({ online: result.sent || app.online });
  } finally {
    sending = false;
  }
  await refreshOutbox();
  loadOrders();
}

const kindLabel = (item) => ({ step: `订单 ${item.orderId} 的“${statusOf(item.status).action}”`, note: "进展记录",
  photo: "现场照片" })[item.kind] || "内容";

const statusOf = (code) => (app.meta ? app.meta.order_statuses.find((s) => s.code === code) : null)
  || { code, label: code, action: code, next: [] };

async function step(order, status) {
  const s = statusOf(status);
  let reason = "";
  if (s.needs_reason) {
    reason = prompt(`${s.action}：请填写原因`) || "";
    if (!reason.trim()) return;
  }
  await enqueue({ kind: "step", orderId: order.id, status, reason: reason.trim() });
  update({ orders: app.orders.map((o) => (o.id === order.id ? { ...o, status } : o)) });
  await refreshOutbox();
  sendQueue();
}

async function addNote(order) {
  const body = (app.drafts[order.id] || "").trim();
  if (!body) return;
  await enqueue({ kind: "note", orderId: order.id, caseId: order.case_id, body });
  update({ drafts: { ...app.drafts, [order.id]: "" } });
  await refreshOutbox();
  sendQueue();
}

async function addPhoto(order, input) {
  const file = input.files && input.files[0];
  input.value = "";
  if (!file) return;
  try {
    const { blob, place } = await preparePhoto(file);
    await enqueue({ kind: "photo", orderId: order.id, caseId: order.case_id, blob, place });
    update({ message: place.lat !== null ? `照片已保存（拍摄位置 ${place.lon.toFixed(5)}, ${place.lat.toFixed(5)}）`
      : "照片已保存（照片中没有位置信息）" });
  } catch (err) {
    update({ message: "无法读取这张照片，请重拍" });
    return;
  }
  await refreshOutbox();
  sendQueue();
}

async function sendPosition(lon, lat, accuracy, how) {
  if (!app.me) return;
  const res = await api(`/api/v1/staff/${app.me.id}/positions`, { method: "POST",
    json: { lon, lat, accuracy_m: accuracy, crs: "wgs84" } });
  update({ position: { lon, lat, accuracy, how, at: new Date().toISOString(),
    error: res.ok ? null : (res.status === 0 ? "未能上报（无网络）" : errorText(res)) } });
}

function watchGeolocation() {
  if (!("geolocation" in navigator) || !window.isSecureContext) {
    update({ geo: "浏览器不提供定位（需 HTTPS 或本机访问）：请在地图上点选当前位置" });
    return;
  }
  navigator.geolocation.watchPosition(
    (p) => { update({ geo: "定位中（浏览器 GPS，WGS84）" }); sendPosition(p.coords.longitude, p.coords.latitude, p.coords.accuracy, "gps"); },
    (err) => update({ geo: `无法定位（${({ 1: "未获准使用定位", 2: "暂时无法取得位置", 3: "定位超时" })[err.code] || "定位出错"}）：请在地图上点选当前位置` }),
    { enableHighAccuracy: true, maximumAge: 30000, timeout: 20000 });
}

const waitingFor = (orderId, kind) => app.outbox.filter((i) => i.orderId === orderId && i.kind === kind).length;

function Job({ card }) {
  const c = card.case;
  const late = c.due_at && new Date(c.due_at).getTime() < Date.now();
  return html`<dl class="job">
    <dt>类别</dt><dd class="category">${c.category.class_name ? c.category.class_name + " · " : ""}${c.category.name}</dd>
    <dt>紧急程度</dt><dd class=${"severity sev-" + c.severity}>${c.severity_label}</dd>
    <dt>办结期限</dt><dd class=${late ? "deadline late" : "deadline"}>${fmtTime(c.due_at)}${late ? "（已超期）" : ""}</dd>
    <dt>事由</dt><dd class="description">${c.description || "（未填写）"}</dd>
  </dl>`;
}

function Team({ card }) {
  const others = card.team.filter((t) => !t.me);
  if (!others.length) return html`<p class="team hint">本案只派了您一人。</p>`;
  return html`<div class="team"><b>同案人员</b><ul>${others.map((t) => html`<li>
    ${t.staff_name}（${t.staff_role_label}） <span class="role">${t.role_label}</span> <span class="hint">${t.status_label}</span></li>`)}</ul></div>`;
}

function Parties({ card }) {
  if (!card.parties.length) return null;
  return html`<div class="parties"><b>当事人</b><ul>${card.parties.map((p) => html`<li data-party=${p.id}>
    ${p.name}（${p.role_label}）
    ${p.phone_full ? html`<a class="tel" href=${"tel:" + p.phone}>${p.phone}</a>` : html`<span>${p.phone || "无电话"}</span>`}</li>`)}</ul>
    ${card.parties.some((p) => p.phone_full) && html`<p class="hint">电话仅供本次上门联系，每次查看都会记录。</p>`}</div>`;
}

function Navigation({ card }) {
  const nav = card.navigation;
  if (!nav) return html`<p class="hint">案件没有坐标，无法导航。</p>`;
  return html`<div class="nav">
    <a class="button small" data-nav="amap" href=${nav.links.amap} target="_blank" rel="noopener">高德导航</a>
    <a class="button small" data-nav="baidu" href=${nav.links.baidu} target="_blank" rel="noopener">百度导航</a>
    <a class="button small" data-nav="geo" href=${nav.links.geo}>其他地图</a>
    <span class="hint">WGS84 ${nav.wgs84.lon.toFixed(5)}, ${nav.wgs84.lat.toFixed(5)}</span></div>`;
}

function Progress({ o, card }) {
  const notes = card ? card.notes : [];
  const photos = card ? card.attachments.filter((a) => a.content_type.startsWith("image/")) : [];
  const waitingNotes = waitingFor(o.id, "note");
  const waitingPhotos = waitingFor(o.id, "photo");
  return html`<div class="progress">
    <b>进展记录</b>
    <ol class="notes">${notes.map((n) => html`<li><span class="hint">${fmtTime(n.written_at || n.created_at)} ${n.author_name}</span> ${n.body}</li>`)}</ol>
    ${(waitingNotes > 0 || waitingPhotos > 0) && html`<p class="waiting">待发送：${waitingNotes ? `记录 ${waitingNotes} 条` : ""}${waitingNotes && waitingPhotos ? "，" : ""}${waitingPhotos ? `照片 ${waitingPhotos} 张` : ""}</p>`}
    <div class="photos">${photos.map((a) => html`<a href=${a.url} target="_blank" rel="noopener"><img class="thumb" alt="现场照片" src=${a.url} /></a>`)}</div>
    <textarea class="note-text" rows="2" maxlength="2000" placeholder="记录现场情况、调解进展…" value=${app.drafts[o.id] || ""}
      onInput=${(e) => { app.drafts[o.id] = e.target.value; }}></textarea>
    <div class="note-actions">
      <button type="button" class="add-note" onClick=${() => addNote(o)}>添加记录</button>
      <label class="button photo">拍照上传<input class="photo-input" type="file" accept="image/*" capture="environment"
        onChange=${(e) => addPhoto(o, e.target)} /></label>
    </div></div>`;
}

function OrderCard({ o }) {
  const card = app.cards[o.id];
  const next = statusOf(o.status).next.filter((code) => !statusOf(code).centre_only);
  const place = [o.town_name, o.village_name, o.grid_name].filter(Boolean).join(" ");
  return html`<li class=${"order st-" + o.status} data-order=${o.id}>
    <div class="head"><b>${o.case_no}</b> <span class="role">${app.meta.order_roles[o.role]}</span>
      <span class="status">${statusOf(o.status).label}</span></div>
    <div class="place">${place || o.grid_code}</div>
    <div class="when">最近一步：${since(o.last_step_at)}前</div>
    ${card ? html`<${Job} card=${card} /><${Navigation} card=${card} /><${Team} card=${card} /><${Parties} card=${card} />`
      : html`<p class="hint">详情暂不可用（无网络，且本机没有保存）。</p>`}
    <div class="steps">${next.map((code) => html`<button type="button" data-step=${code}
      class=${statusOf(code).needs_reason ? "secondary" : ""} onClick=${() => step(o, code)}>${statusOf(code).action}</button>`)}</div>
    <${Progress} o=${o} card=${card} />
  </li>`;
}

function History() {
  if (!app.history.length) return html`<p class="pad hint">还没有已完成的派单。</p>`;
  return html`<ol id="history">${app.history.map((o) => html`<li data-order=${o.id}>
    <b>${o.case_no}</b> <span class="role">${o.role_label}</span> ${[o.town_name, o.village_name].filter(Boolean).join(" ")}
    <span class="hint">完成于 ${fmtTime(o.completed_at)}${o.notes ? ` · 记录 ${o.notes}` : ""}${o.attachments ? ` · 照片 ${o.attachments}` : ""}</span></li>`)}</ol>`;
}

function savedView() {
  try {
    const v = JSON.parse(localStorage.getItem(VIEW_KEY) || "null");
    return v && Number.isFinite(v.lat) && Number.isFinite(v.lon) && Number.isFinite(v.zoom) ? v : null;
  } catch (err) { return null; }
}

function FieldMap() {
  useEffect(() => {
    const view = savedView();
    const map = L.map("field-map", { minZoom: 5, maxZoom: 18, zoomControl: false })
      .setView(view ? [view.lat, view.lon] : [24.12, 114.62], view ? view.zoom : 11);
    L.vectorGrid.protobuf("/tiles/villages/{z}/{x}/{y}.pbf", { rendererFactory: L.canvas.tile, interactive: false,
      minZoom: 9, maxNativeZoom: 18, vectorTileLayerStyles: { areas: { weight: 1, color: "#4d7ea8", fill: false }, labels: () => ({ radius: 0, opacity: 0 }) } }).addTo(map);
    const marks = L.layerGroup().addTo(map);
    let fitted = Boolean(view);
    const draw = () => {
      marks.clearLayers();
      const pts = [];
      for (const o of app.orders.filter((x) => x.active)) {
        if (o.lat == null) continue;
        L.circleMarker([o.lat, o.lon], { radius: 8, color: "#c62828" }).bindTooltip(o.case_no).addTo(marks);
        pts.push([o.lat, o.lon]);
      }
      const p = app.position;
      if (p) {
        if (p.accuracy) L.circle([p.lat, p.lon], { radius: p.accuracy, color: "#1565c0", weight: 1, fillOpacity: 0.1 }).addTo(marks);
        L.circleMarker([p.lat, p.lon], { radius: 7, color: "#fff", weight: 2, fillColor: "#1565c0", fillOpacity: 1 })
          .bindTooltip("我的位置").addTo(marks);
        pts.push([p.lat, p.lon]);
      }
      if (pts.length && !fitted) { map.fitBounds(pts, { maxZoom: 15, padding: [20, 20] }); fitted = true; }
    };
    app.listeners.add(draw);
    draw();
    map.on("moveend", () => {
      const c = map.getCenter();
      localStorage.setItem(VIEW_KEY, JSON.stringify({ lon: c.lng, lat: c.lat, zoom: map.getZoom() }));
    });
    map.on("click", (e) => sendPosition(e.latlng.lng, e.latlng.lat, null, "tap"));
    window.fengqiaoField = { map, app };
  }, []);
  return html`<div id="field-map"></div>`;
}

function LiveBadge() {
  const live = app.live === "on" && app.online;
  const text = live ? "实时" : (app.cachedAt ? `离线 · 显示 ${fmtTime(app.cachedAt)} 保存的数据` : "离线");
  return html`<span id="live" class=${"live " + (live ? "on" : "off")}>${text}</span>`;
}

function signOut() {
  // Nothing personal stays on a shared phone: the service worker drops the saved orders, cards and map tiles
  // while the form signs out (it also drops them when the server answers 401 for them).
  const worker = navigator.serviceWorker && navigator.serviceWorker.controller;
  if (worker) worker.postMessage("forget");
}

function App() {
  const [, tick] = useState(0);
  useEffect(() => { const fn = () => tick((n) => n + 1); app.listeners.add(fn); return () => app.listeners.delete(fn); }, []);
  if (!app.checked) return html`<p class="pad">加载中…</p>`;
  if (!signedIn()) return html`<div class="pad" id="signed-out"><p>${app.online ? "尚未登录。" : "无网络，且本机没有保存的登录信息。"}共用或新手机请扫描指挥中心发放的登录二维码；
      也可以用账号密码登录。</p><p><a id="sign-in" class="button" href=${"/login?next=" + encodeURIComponent(here())}>账号密码登录</a></p></div>`;
  if (!app.me) return html`<div class="pad" id="no-staff"><p>${userLabel(app.user)}</p>
      <p>此账号未关联一线人员，无法接收派单。请联系指挥中心在账号中关联人员编号。</p>
      <form class="sign-out" method="post" action="/auth/logout" onSubmit=${signOut}><button id="sign-out" type="submit">退出</button></form></div>`;
  if (!app.meta) return html`<p class="pad">加载中…</p>`;
  const active = app.orders.filter((o) => o.active);
  const pos = app.position;
  const waiting = app.outbox.length;
  return html`<header><b>一线工作台</b> <span id="who">${userLabel(app.user)}</span>
      <form class="sign-out" method="post" action="/auth/logout" onSubmit=${signOut}><button id="sign-out" type="submit">退出</button></form>
      <${LiveBadge} />
      <span id="queue" class=${waiting ? "queue waiting" : "queue"}>${waiting ? `待发送 ${waiting}` : "已同步"}</span></header>
    ${app.message && html`<p class="message" id="message">${app.message}</p>`}
    <h2>我的派单 <span class="count">${active.length}</span></h2>
    <ol id="orders">${active.map((o) => html`<${OrderCard} key=${o.id} o=${o} />`)}</ol>
    ${active.length === 0 && html`<p class="pad hint">暂无待办派单。</p>`}
    <h2>我的位置</h2>
    <p class="pad hint" id="geo">${app.geo}。位置来自浏览器定位（WGS84 坐标），不是 GCJ-02。</p>
    ${pos && html`<p class="pad" id="my-position">已上报 ${pos.lon.toFixed(5)}, ${pos.lat.toFixed(5)}
      （${pos.how === "tap" ? "地图点选" : "GPS ±" + Math.round(pos.accuracy || 0) + " 米"}）${pos.error ? " · " + pos.error : ""}</p>`}
    <${FieldMap} />
    <p class="pad hint">点地图可手动设定当前位置；蓝点是我的位置，红点是待办案件。</p>
    <h2>已完成 <span class="count">${app.history.length}</span></h2>
    <${History} />`;
}

function installWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/field/sw.js", { scope: "/field" }).catch(() => {
    update({ message: "本机浏览器未能启用离线功能（需要 HTTPS 且证书受信任）" });
  });
}

async function start() {
  render(html`<${App} />`, document.getElementById("app"));
  installWorker();
  window.addEventListener("offline", () => update({ online: false, live: "off" }));
  window.addEventListener("online", () => { update({ online: true }); sendQueue(); });
  await refreshOutbox();
  const user = await whoami();
  update({ user, checked: true });
  if (!user) return;
  const meta = await read("/api/v1/meta");
  // The staff member this account is linked to (orders and positions are theirs).
  const me = user.staff_id ? await read("/api/v1/staff/" + user.staff_id) : null;
  update({ meta: meta.body, me: me && me.ok ? me.body : null });
  if (!app.me) return;
  await loadOrders();
  openStream({ onEvent: (kind) => { if (kind.startsWith("dispatch.")) loadOrders(); },
    onState: (live) => {
      update({ live, online: live === "on" ? true : app.online, cachedAt: live === "on" ? null : app.cachedAt });
      const p = app.position;
      if (live === "on" && p && p.error) sendPosition(p.lon, p.lat, p.accuracy, p.how);  // back: report it again
    } });
  watchGeolocation();
  setInterval(() => { if (app.outbox.length) sendQueue(); }, 5000);
  if (app.outbox.length) sendQueue();
}
start();
