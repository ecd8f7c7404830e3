// The dispatch board: active orders by case and status with the time since each step, updated live;
// and an assignment plan for the open cases on the list page (drawn on the map, then applied).
import { api, errorText } from "../api.js";
import { orderRoleCodes, staffRoleCodes } from "../codes.js";
import { loadBoard, orderStatus, selectCase, set, staffRoleLabel } from "../store.js";
import { html, since, useState } from "../view.js";
import { BoardFilters } from "./boardfilters.js";

function byCase(orders) {
  const groups = new Map();
  for (const o of orders) {
    if (!groups.has(o.case_id)) groups.set(o.case_id, { case_id: o.case_id, case_no: o.case_no, orders: [], o });
    groups.get(o.case_id).orders.push(o);
  }
  return [...groups.values()];
}

function Plan({ state }) {
  const [error, setError] = useState(null);
  const plan = state.plan;
  const make = async () => {
    const ids = state.list.items.filter((c) => state.meta.open_states.includes(c.status)).map((c) => c.id);
    if (!ids.length) { setError("列表中没有在办案件"); return; }
    const res = await api("/api/v1/assignments/plan", { method: "POST", json: { case_ids: ids, role: staffRoleCodes(state.meta).mediator } });
    if (!res.ok) { setError(errorText(res)); return; }
    setError(null);
    set({ plan: res.body });
  };
  const apply = async () => {
    const pairs = plan.optimal.pairs.map((p) => ({ case_id: p.case_id, staff_id: p.staff_id }));
    const res = await api("/api/v1/assignments/apply", { method: "POST", json: { pairs, role: orderRoleCodes(state.meta).lead } });
    if (!res.ok) { setError(errorText(res)); return; }
    set({ plan: null });
    loadBoard();
  };
  return html`<div id="plan"><h3>派单方案（调解员）</h3>
    <button class="small" id="make-plan" onClick=${make}>为列表中的在办案件生成方案</button>
    ${plan && html`<div class="plan">
      <p>最优：${plan.optimal.pairs.length} 对，合计 ${(plan.optimal.total_m / 1000).toFixed(2)} km；
        就近贪心：${(plan.greedy.total_m / 1000).toFixed(2)} km</p>
      <ol>${plan.optimal.pairs.map((p) => html`<li>#${p.case_id} ← ${p.staff_name || p.staff_id}
        ${Math.round(p.distance_m)} 米</li>`)}</ol>
      ${plan.optimal.unassigned.length > 0 && html`<p class="warn">未分配 ${plan.optimal.unassigned.length} 件</p>`}
      <button class="small" id="apply-plan" disabled=${!plan.optimal.pairs.length} onClick=${apply}>按方案派单</button>
      <button class="small ghost" onClick=${() => set({ plan: null })}>放弃</button></div>`}
    ${error && html`<p class="error">${error}</p>`}
  </div>`;
}

export function BoardPanel({ state }) {
  const now = Date.now();
  const groups = byCase(state.board);
  return html`<section id="board"><h2>调度看板 <span class="count" id="board-total">${state.boardTotal}</span>
      <button class="small ghost" onClick=${loadBoard}>刷新</button></h2>
    <${BoardFilters} />
    ${groups.length === 0 && html`<p class="hint">暂无在办派单。</p>`}
    <ol class="board">${groups.map((g) => html`<li class="board-case">
      <a href="#" onClick=${(e) => { e.preventDefault(); selectCase(g.case_id); }}>${g.case_no}</a>
      <span class="sub">${[g.o.town_name, g.o.village_name, g.o.grid_name].filter(Boolean).join(" · ")}</span>
      <ul>${g.orders.map((o) => html`<li data-order=${o.id} class=${"order st-" + o.status + (o.stale ? " stale" : "")}>
        ${o.staff_name}（${staffRoleLabel(o.staff_role)}，${state.meta.order_roles[o.role]}）
        <span class="order-status">${orderStatus(o.status).label}</span>
        <span class="when">${since(o.last_step_at, now)}</span>${o.stale ? html` <span class="tag warn-red">滞留</span>` : ""}</li>`)}</ul></li>`)}</ol>
    <${Plan} state=${state} />
  </section>`;
}
