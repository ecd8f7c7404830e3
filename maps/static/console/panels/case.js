// One case: summary, parties (masked by the server per role), the actions the workflow allows now (each
// asking for what it requires), a timeline of transitions, supervisions and dispatch steps, and dispatch.
import { api, errorText } from "../api.js";
import { orderStatusCodes } from "../codes.js";
import { action, loadBoard, loadWatch, orderStatus, selectCase, set, state, stateLabel, warningLabel } from "../store.js";
import { fmtTime, html, useState } from "../view.js";
import { DispatchPanel } from "./dispatch.js";
import { PartyContact } from "./reveal.js";

function ActionForm({ c, name, onDone }) {
  const a = action(name);
  const [error, setError] = useState(null);
  const requires = a.requires || [];
  const submit = async (e) => {
    e.preventDefault();
    const f = e.target.elements;
    const body = { action: name, note: f.note ? f.note.value : "" };
    if (f.satisfaction) body.satisfaction = Number(f.satisfaction.value);
    if (f.duplicate_of) body.duplicate_of_case_no = f.duplicate_of.value.trim();  // by number, as people say it
    const res = await api(`/api/v1/cases/${c.id}/transitions`, { method: "POST", json: body });
    if (!res.ok) { setError(errorText(res)); return; }
    onDone();
    selectCase(c.id);
    loadWatch();
    window.dispatchEvent(new Event("fengqiao:cases-changed"));
  };
  return html`<form class="action-form" data-action=${name} onSubmit=${submit}>
    <b>${a.label}</b>${a.to_state ? ` → ${stateLabel(a.to_state)}` : ""}
    ${requires.includes("note") || !requires.length ? html`<label>说明${requires.includes("note") ? "（必填）" : ""}
      <textarea name="note" rows="2" required=${requires.includes("note")}></textarea></label>` : null}
    ${requires.includes("satisfaction") && html`<label>满意度（1-5）
      <input name="satisfaction" type="number" min="1" max="5" required value="5" /></label>`}
    ${requires.includes("duplicate_of") && html`<label>重复于案件编号
      <input name="duplicate_of" placeholder="如 AJ00000123" maxlength="32" required /></label>`}
    <button type="submit" class="small">确认${a.label}</button>
    <button type="button" class="small ghost" onClick=${onDone}>取消</button>
    ${error && html`<p class="error">${error}</p>`}
  </form>`;
}

function timelineRows(detail, orders) {
  const rows = detail.timeline.map((t) => ({
    at: t.at, who: t.actor_name || "系统",
    what: t.kind === "supervision" ? `督办：${warningLabel(t.action)}` :
      `${(action(t.action) || {}).label || (t.action === "register" ? "登记" : t.action)}` +
      (t.to_state ? ` → ${stateLabel(t.to_state)}` : ""),
    note: t.note, kind: t.kind,
  }));
  for (const o of orders) {
    for (const s of state.meta.order_statuses.map((x) => x.code)) {
      const at = o[s + "_at"];
      if (at) rows.push({ at, who: s === orderStatusCodes(state.meta).dispatched ? "指挥中心" : o.staff_name, kind: "dispatch",
        what: `派单 ${o.staff_name}（${orderRole(o.role)}）：${orderStatus(s).label}`, note: s === o.status ? o.reason : "" });
    }
  }
  return rows.sort((a, b) => new Date(a.at) - new Date(b.at));
}

export const orderRole = (role) => (window.fengqiaoMeta && window.fengqiaoMeta.order_roles[role]) || role;

export function CasePanel({ state }) {
  const c = state.detail;
  const [acting, setActing] = useState(null);
  if (!c) return html`<p class="hint">在列表或地图上选择一个案件。</p>`;
  const overdue = c.overdue;  // the server's one definition (before resolution, past the deadline)
  return html`<section id="case" key=${c.id}>
    <h2>案件 <span id="case-no">${c.case_no}</span> <span class="tag" id="case-status">${c.status_label}</span>
      ${c.warning_level !== "none" && html`<span class=${"tag warn-" + c.warning_level}>${warningLabel(c.warning_level)}</span>`}
      ${overdue && html`<span class="tag warn-red">已超期</span>`}</h2>
    <p>${c.category_name} · ${state.meta.severities[c.severity] || c.severity} · 承办：${c.handling_unit}<br />
      网格 <span class="code">${c.grid_code}</span> · 期限：${fmtTime(c.due_at)}</p>
    <p class="desc">${c.description}</p>
    ${c.parties.length > 0 && html`<h3>当事人</h3><ul id="parties">${c.parties.map((p) => html`<li>
      ${state.meta.party_roles[p.role] || p.role}：${p.name} <${PartyContact} caseId=${c.id} party=${p} user=${state.user} key=${c.id + ":" + p.id} /></li>`)}</ul>`}
    <h3>办理</h3>
    <div id="actions" class="actions">
      ${c.allowed_actions.length === 0 && html`<span class="hint">当前状态无可办理操作。</span>`}
      ${c.allowed_actions.map((name) => html`<button class="small" data-action=${name}
        onClick=${() => setActing(name)}>${(action(name) || {}).label || name}</button>`)}
    </div>
    ${acting && html`<${ActionForm} c=${c} name=${acting} key=${acting} onDone=${() => setActing(null)} />`}
    <${DispatchPanel} state=${state} c=${c} />
    <h3>时间线</h3>
    <ol id="timeline" class="timeline">${timelineRows(c, state.orders).map((r) => html`<li class=${"tl-" + r.kind}>
      <span class="when">${fmtTime(r.at)}</span> <b>${r.what}</b> <span class="who">${r.who}</span>
      ${r.note && html`<div class="sub">${r.note}</div>`}</li>`)}</ol>
  </section>`;
}
export { loadBoard, set };
