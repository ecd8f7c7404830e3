// The dispatch board's filters (order status, role, town, case status) and pager; stale orders are marked by
// the server (time since the last step over the status's threshold).
import { loadBoard, set, state } from "../store.js";
import { html } from "../view.js";

export function BoardFilters() {
  const q = state.boardQuery;
  const meta = state.meta;
  const apply = (patch) => { set({ boardQuery: { ...q, ...patch, offset: patch.offset ?? 0 } }); loadBoard(); };
  const multi = (e) => [...e.target.selectedOptions].map((o) => o.value);
  const label = (code) => (meta.order_statuses.find((s) => s.code === code) || {}).label || code;
  const total = state.boardTotal;
  return html`<form class="filters board-filters" onSubmit=${(e) => e.preventDefault()}>
      <label>派单状态 <select id="board-status" multiple size="2" onChange=${(e) => apply({ status: multi(e) })}>
        ${meta.order_statuses.filter((s) => s.active).map((s) => html`<option value=${s.code} selected=${q.status.includes(s.code)}>${label(s.code)}</option>`)}</select></label>
      <label>角色 <select id="board-role" onChange=${(e) => apply({ role: e.target.value ? [e.target.value] : [] })}>
        <option value="">全部</option>
        ${Object.entries(meta.order_roles).map(([c, l]) => html`<option value=${c} selected=${q.role.includes(c)}>${l}</option>`)}</select></label>
      <label>镇（街道） <select id="board-town" onChange=${(e) => apply({ town: e.target.value })}>
        <option value="">全部</option>
        ${(state.towns || []).map((t) => html`<option value=${t.code} selected=${q.town === t.code}>${t.name}</option>`)}</select></label>
      <label>案件状态 <select id="board-case-status" multiple size="2" onChange=${(e) => apply({ case_status: multi(e) })}>
        ${meta.states.filter((s) => s.open).map((s) => html`<option value=${s.code} selected=${q.case_status.includes(s.code)}>${s.label}</option>`)}</select></label>
    </form>
    <div class="pager">
      <button class="small" disabled=${q.offset === 0} onClick=${() => apply({ offset: Math.max(0, q.offset - q.limit) })}>上一页</button>
      <span id="board-page">${total ? q.offset + 1 : 0}–${Math.min(q.offset + q.limit, total)} / ${total}</span>
      <button class="small" id="board-next" disabled=${q.offset + q.limit >= total} onClick=${() => apply({ offset: q.offset + q.limit })}>下一页</button>
    </div>`;
}
