// Dispatch from a case: recommended staff per role (lines with distances on the map), each picked as
// lead (主办) or assistant (协办), several roles sent in one action; the case's orders with lead changes.
import { api, errorText, query } from "../api.js";
import { orderRoleCodes, orderStatusCodes, staffRoleCodes } from "../codes.js";
import { loadBoard, orderStatus, selectCase, set, staffRoleLabel, state as store } from "../store.js";
import { html, since, useState } from "../view.js";

const jointRoles = (s = staffRoleCodes(store.meta)) => [s.mediator, s.police, s.lawyer, s.grid_worker];

async function recommend(c) {
  const res = await api(`/api/v1/cases/${c.id}/recommendations` + query({ role: jointRoles(), k: 3 }));
  if (!res.ok) return { error: errorText(res) };
  // Where each candidate is, for the lines on the map (live position, else the staff record).
  const ids = Object.values(res.body.roles).flatMap((r) => r.candidates.map((x) => x.staff_id));
  const spots = {};
  await Promise.all(ids.map(async (id) => {
    const live = store.staff.get(id);
    const s = live || (await api("/api/v1/staff/" + id)).body;
    const lon = s.position_lon ?? s.home_lon;
    const lat = s.position_lat ?? s.home_lat;
    if (lon != null) spots[id] = [lat, lon];
  }));
  return { ...res.body, spots, case: [c.lat, c.lon] };
}

export function DispatchPanel({ state, c }) {
  const [picks, setPicks] = useState({});
  const [error, setError] = useState(null);
  const rec = state.recommendations && state.recommendations.case_id === c.id ? state.recommendations : null;
  const open = state.meta.open_states.includes(c.status);
  const ROLE = orderRoleCodes(state.meta);
  const hasLead = state.orders.some((o) => o.active && o.role === ROLE.lead);
  const toggle = (id, role) => {
    const next = { ...picks };
    if (role === null) delete next[id]; else next[id] = role;
    setPicks(next);
  };
  const send = async () => {
    const staff = Object.entries(picks).map(([id, role]) => ({ staff_id: Number(id), role }));
    const res = await api(`/api/v1/cases/${c.id}/dispatches`, { method: "POST", json: { staff } });
    if (!res.ok) { setError(errorText(res)); return; }
    setError(null); setPicks({});
    set({ recommendations: null });
    await selectCase(c.id);
    loadBoard();
  };
  const lead = async (o) => {
    const res = await api(`/api/v1/cases/${c.id}/lead`, { method: "POST", json: { dispatch_id: o.id } });
    if (!res.ok) setError(errorText(res)); else selectCase(c.id);
  };
  const cancel = async (o) => {
    const reason = prompt("撤销原因");
    if (!reason) return;
    const res = await api(`/api/v1/dispatches/${o.id}`, { method: "PATCH", json: { status: orderStatusCodes(state.meta).cancelled, reason } });
    if (!res.ok) setError(errorText(res)); else { selectCase(c.id); loadBoard(); }
  };
  const chosen = Object.keys(picks).length;
  const leads = Object.values(picks).filter((r) => r === ROLE.lead).length;
  return html`<div id="dispatch">
    <h3>派单</h3>
    ${state.orders.length > 0 && html`<ul id="orders" class="orders">${state.orders.map((o) => html`<li data-order=${o.id}>
      <b>${o.staff_name}</b> ${staffRoleLabel(o.staff_role)} · ${state.meta.order_roles[o.role]} ·
      <span class="order-status">${orderStatus(o.status).label}</span>
      ${o.active && o.role !== ROLE.lead && html` <button class="small ghost" onClick=${() => lead(o)}>设为主办</button>`}
      ${o.active && html` <button class="small ghost" onClick=${() => cancel(o)}>撤销</button>`}
      ${o.reason && html`<div class="sub">${o.reason}</div>`}</li>`)}</ul>`}
    ${open && !rec && html`<button class="small" id="recommend" onClick=${async () => set({ recommendations: await recommend(c) })}>推荐人员（联合派单）</button>`}
    ${rec && rec.error && html`<p class="error">${rec.error}</p>`}
    ${rec && !rec.error && html`<div class="recs">
      ${Object.entries(rec.roles).map(([role, r]) => html`<div class="rec-role"><h4>${staffRoleLabel(role)}</h4>
        ${r.candidates.length === 0 && html`<p class="hint">无可派人员（已查 ${r.searched.examined} 人，半径 ${Math.round(r.searched.radius_m)} 米）</p>`}
        <ol class="cands">${r.candidates.map((x) => html`<li data-staff=${x.staff_id}>
          <b>${x.name}</b> ${Math.round(x.distance_m)} 米 · 在办 ${x.active_orders}/${x.capacity}
          <select class="pick" aria-label="派单角色" value=${picks[x.staff_id] || ""}
            onChange=${(e) => toggle(x.staff_id, e.target.value || null)}>
            <option value="">不派</option>
            <option value=${ROLE.lead} disabled=${hasLead}>${state.meta.order_roles.lead}</option>
            <option value=${ROLE.assist}>${state.meta.order_roles.assist}</option>
          </select>
          <div class="why">${x.reasons.join("，")}</div></li>`)}</ol></div>`)}
      <button id="send-dispatch" disabled=${!chosen || leads > 1}
        onClick=${send}>派遣已选 ${chosen} 人${leads > 1 ? "（主办只能一人）" : ""}</button>
      <button class="small ghost" onClick=${() => set({ recommendations: null })}>收起</button>
    </div>`}
    ${error && html`<p class="error">${error}</p>`}
  </div>`;
}

export const sinceStep = (o) => since(o.last_step_at);
