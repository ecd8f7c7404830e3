// Case list: filters (status, warning, category, town, channel, time), paging, and the pinned board of
// overdue and warning cases that never drops off whatever the filters and page.
import { loadCases, selectCase, set, warningLabel } from "../store.js";
import { fmtTime, html } from "../view.js";

function Row({ c }) {
  const overdue = c.overdue;  // the server's one definition (before resolution, past the deadline)
  return html`<li class=${"case-row level-" + c.warning_level + (overdue ? " overdue" : "")}>
    <a href="#" data-case=${c.id} onClick=${(e) => { e.preventDefault(); selectCase(c.id); }}>${c.case_no}</a>
    <span>${c.category_name}</span> <span class="tag">${c.status_label}</span>
    ${c.warning_level !== "none" && html`<span class=${"tag warn-" + c.warning_level}>${warningLabel(c.warning_level)}</span>`}
    ${overdue && html`<span class="tag warn-red">已超期</span>`}
    <div class="sub">${c.handling_unit} · 期限 ${fmtTime(c.due_at)}</div>
  </li>`;
}

function Filters({ state }) {
  const f = state.filters;
  const meta = state.meta;
  const apply = (patch) => { set({ filters: { ...f, ...patch }, page: { ...state.page, offset: 0 } }); loadCases(); };
  const multi = (e) => [...e.target.selectedOptions].map((o) => o.value);
  return html`<form class="filters" onSubmit=${(e) => e.preventDefault()}>
    <label>状态 <select id="filter-status" multiple size="3" onChange=${(e) => apply({ status: multi(e) })}>
      ${meta.states.map((s) => html`<option value=${s.code} selected=${f.status.includes(s.code)}>${s.label}</option>`)}</select></label>
    <label>预警 <select id="filter-warning" multiple size="3" onChange=${(e) => apply({ warning: multi(e) })}>
      ${Object.entries(meta.warning_levels).map(([code, label]) => html`<option value=${code} selected=${f.warning.includes(code)}>${label}</option>`)}</select></label>
    <label>类别 <select id="filter-category" onChange=${(e) => apply({ category: e.target.value })}>
      <option value="">全部</option>
      ${state.categories.filter((c) => c.code === c.class_code).map((c) => html`<option value=${c.code} selected=${f.category === c.code}>${c.name}</option>`)}</select></label>
    <label>镇（街道） <select id="filter-town" onChange=${(e) => apply({ town: e.target.value })}>
      <option value="">全部</option>
      ${(state.towns || []).map((t) => html`<option value=${t.code} selected=${f.town === t.code}>${t.name}</option>`)}</select></label>
    <label>来源 <select id="filter-channel" onChange=${(e) => apply({ channel: e.target.value })}>
      <option value="">全部</option>
      ${meta.channels.map((c) => html`<option value=${c.code} selected=${f.channel === c.code}>${c.label}</option>`)}</select></label>
    <label>起 <input type="date" value=${f.since} onChange=${(e) => apply({ since: e.target.value })} /></label>
    <label>止 <input type="date" value=${f.until} onChange=${(e) => apply({ until: e.target.value })} /></label>
    <label class="check"><input id="filter-overdue" type="checkbox" checked=${f.overdue} onChange=${(e) => apply({ overdue: e.target.checked })} /> 只看超期</label>
  </form>`;
}

export function CasesPanel({ state }) {
  const { offset, limit } = state.page;
  const total = state.list.total;
  const go = (to) => { set({ page: { ...state.page, offset: to } }); loadCases(); };
  return html`<section id="watch"><h2>超期与预警 <span class="count" id="watch-totals">超期 ${state.watchTotals.overdue} · 预警 ${state.watchTotals.warned}</span></h2>
      <p class="hint">开放中的超期、黄色和红色预警案件始终列在这里，不随筛选和翻页消失。</p>
      <ol id="watch-list" class="cases">${state.watch.map((c) => html`<${Row} key=${c.id} c=${c} />`)}</ol>
    </section>
    <section id="cases"><h2>案件列表 <span class="count">${total}</span></h2>
      <${Filters} state=${state} />
      <ol id="case-list" class="cases">${state.list.items.map((c) => html`<${Row} key=${c.id} c=${c} />`)}</ol>
      <div class="pager">
        <button class="small" disabled=${offset === 0} onClick=${() => go(Math.max(0, offset - limit))}>上一页</button>
        <span id="page-info">${total ? offset + 1 : 0}–${Math.min(offset + limit, total)} / ${total}</span>
        <button class="small" id="next-page" disabled=${offset + limit >= total} onClick=${() => go(offset + limit)}>下一页</button>
      </div>
    </section>`;
}
