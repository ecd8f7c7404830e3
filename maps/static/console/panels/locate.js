// Click-to-locate result and intake: category, channel, severity, description, parties; related cases.
import { api, errorText, signedIn } from "../api.js";
import { partyRoleCodes } from "../codes.js";
import { loadCases, selectCase, set, state } from "../store.js";
import { html, useState } from "../view.js";
import { DuplicateHint } from "./duplicates.js";
import { Tel } from "./reveal.js";

const DEFAULT_SEVERITY = "medium";  // 紧急程度 of a new case until the operator picks another

function Chain({ loc }) {
  if (!loc) return html`<p class="hint">点击地图查看所属网格、村（社区）、镇（街道）及责任人，并可在该点登记案件。</p>`;
  if (loc.error) return html`<p class="error">${loc.error}</p>`;
  if (!loc.inside) {
    return html`<p>该点不在辖区内。最近网格：${loc.nearest_grid.name}（${Math.round(loc.nearest_grid.distance_m)} 米）</p>`;
  }
  const tiers = loc.tierLabels || {};
  const people = loc.responsible ? loc.responsible.grid_workers.concat(loc.responsible.mediators) : [];
  return html`<dl class="chain">
      ${loc.chain.map((l) => html`<dt>${tiers[l.tier] || l.tier}</dt><dd>${l.name} <span class="code">${l.code}</span></dd>`)}
      <dt>距边界</dt><dd>${loc.distance_to_boundary_m.toFixed(1)} 米</dd>
    </dl>
    ${loc.neighbours.length > 0 && html`<p class="warn">靠近边界，也可能属于：${loc.neighbours.map((n) => `${n.name}（${n.distance_m} 米）`).join("、")}</p>`}
    ${loc.responsible && html`<p id="responsible">责任人：${people.length ? people.map((p, i) => html`${i ? "；" : ""}${p.name} ${p.organisation} <${Tel} phone=${p.phone} />`) : "未配置"}</p>`}`;
}

const emptyParty = () => ({ name: "", role: partyRoleCodes(state.meta).applicant, id_number: "", phone: "" });

function Intake({ state, loc }) {
  const meta = state.meta;
  const [parties, setParties] = useState([]);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState(null);
  const items = state.categories.filter((c) => c.code !== c.class_code);
  const [category, setCategory] = useState(items.length ? items[0].code : "");
  const submit = async (e) => {
    e.preventDefault();
    const f = e.target.elements;
    setBusy(true);
    const body = { category: f.category.value, source_channel: f.channel.value, severity: f.severity.value,
      description: f.description.value, lon: loc.lon, lat: loc.lat,
      parties: parties.filter((p) => p.name.trim()).map((p) => ({ name: p.name.trim(), role: p.role,
        id_number: p.id_number.trim() || null, phone: p.phone.trim() || null })) };
    const res = await api("/api/v1/cases", { method: "POST", json: body,
      headers: { "Idempotency-Key": "console-" + Date.now() + "-" + Math.random().toString(36).slice(2) } });
    setBusy(false);
    if (!res.ok) { setResult({ error: errorText(res) }); return; }
    setResult({ created: res.body });
    setParties([]);
    e.target.reset();
    f.severity.value = DEFAULT_SEVERITY;  // reset() picks the first option: Preact sets "selected" as a property only
    loadCases();
    window.dispatchEvent(new Event("fengqiao:cases-changed"));
  };
  const edit = (i, key, value) => setParties(parties.map((p, j) => (j === i ? { ...p, [key]: value } : p)));
  return html`<section id="intake"><h2>登记矛盾纠纷</h2>
    <form id="case-form" onSubmit=${submit}>
      <label>类别 <select id="case-category" name="category" required onChange=${(e) => setCategory(e.target.value)}>
        ${items.map((c) => html`<option value=${c.code}>${c.class_name} / ${c.name}</option>`)}</select></label>
      <label>来源 <select id="case-channel" name="channel">
        ${meta.channels.map((c) => html`<option value=${c.code}>${c.label}</option>`)}</select></label>
      <label>紧急程度 <select id="case-severity" name="severity">
        ${Object.entries(meta.severities).map(([code, label]) => html`<option value=${code} selected=${code === DEFAULT_SEVERITY}>${label}</option>`)}</select></label>
      <label>情况描述 <textarea id="case-description" name="description" rows="3" required maxlength="20000"></textarea></label>
      <fieldset class="parties"><legend>当事人（保存后脱敏显示）</legend>
        ${parties.map((p, i) => html`<div class="party">
          <select aria-label="身份" value=${p.role} onChange=${(e) => edit(i, "role", e.target.value)}>
            ${Object.entries(meta.party_roles).map(([code, label]) => html`<option value=${code}>${label}</option>`)}</select>
          <input class="party-name" placeholder="姓名" value=${p.name} onInput=${(e) => edit(i, "name", e.target.value)} />
          <input class="party-id" placeholder="身份证号" value=${p.id_number} onInput=${(e) => edit(i, "id_number", e.target.value)} />
          <input class="party-phone" placeholder="电话" value=${p.phone} onInput=${(e) => edit(i, "phone", e.target.value)} />
          <button type="button" class="small ghost" onClick=${() => setParties(parties.filter((_, j) => j !== i))}>删除</button>
        </div>`)}
        <button type="button" id="add-party" class="small ghost" onClick=${() => setParties([...parties, emptyParty()])}>+ 当事人</button>
      </fieldset>
      <${DuplicateHint} category=${category} loc=${loc} parties=${parties} />
      <button type="submit" id="case-submit" disabled=${busy}>登记</button>
    </form>
    ${result && result.error && html`<p class="error">${result.error}</p>`}
    ${result && result.created && html`<div id="created" class="created">
      <p>已登记 <a href="#" onClick=${(e) => { e.preventDefault(); selectCase(result.created.id); }}>${result.created.case_no}</a>
        （${result.created.handling_unit}）</p>
      <${Related} related=${result.created.related} />
    </div>`}
  </section>`;
}

export function Related({ related }) {
  const rows = [...related.nearby.map((r) => ({ ...r, why: `附近同类 ${Math.round(r.distance_m)} 米` })),
    ...related.same_party.map((r) => ({ ...r, why: "同一当事人" }))];
  if (!rows.length) return html`<p class="hint">未发现关联案件。</p>`;
  return html`<div class="related"><h3>关联案件</h3><ul>${rows.map((r) => html`<li>
    <a href="#" onClick=${(e) => { e.preventDefault(); selectCase(r.id); }}>${r.case_no}</a> ${r.why}</li>`)}</ul></div>`;
}

export function LocatePanel({ state }) {
  const loc = state.picked;
  return html`<section id="info"><h2>网格信息</h2><${Chain} loc=${loc} /></section>
    ${loc && loc.inside && signedIn() && state.meta && html`<${Intake} state=${state} loc=${loc} key=${loc.lon + "," + loc.lat} />`}`;
}

export async function locateAt(lon, lat) {
  const res = await api(`/api/v1/locate?lon=${lon}&lat=${lat}`);
  const { state } = await import("../store.js");
  const tierLabels = Object.fromEntries((state.meta ? state.meta.tiers : []).map((t) => [t.tier, t.label]));
  set({ picked: res.ok ? { ...res.body, tierLabels } : { error: errorText(res) }, tab: "locate" });
}
