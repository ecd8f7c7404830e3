// The overdue / 督办 board: /api/v1/overdue (the one overdue definition) and /api/v1/supervisions, filtered by
// town and category picked by name; case numbers open the case; statuses and levels in Chinese.
import { api, errorText, query } from "/static/console/api.js";
import { state, warningLabel } from "/static/console/store.js";
import { caseLink, el, local } from "./dom.js";

const LIMIT = 50;
let offset = 0;
const $ = (id) => document.getElementById(id);

function filters() {
  const f = Object.fromEntries(new FormData($("board-form")));
  return { town: f.town, category: f.category, tier: f.tier };
}

async function pickers(user) {
  const form = $("board-form");
  for (const c of (state.categories && state.categories.categories) || []) {
    if (c.code.length === 2) form.elements.category.append(el("option", { value: c.code }, c.name));
  }
  const towns = await api("/api/v1/hotspots" + query({ tier: "town", geometry: "false", since: "7d" }));
  const select = form.elements.town;
  if (towns.ok) {
    towns.body.features.map((f) => f.properties).sort((a, b) => a.code.localeCompare(b.code))
      .forEach((t) => select.append(el("option", { value: t.code }, t.name)));
  }
  if (user.town_code) { select.value = user.town_code; select.disabled = true; }
}

function links() {
  const f = filters();
  for (const fmt of ["xlsx", "csv"]) {
    $("board-" + fmt).href = "/api/v1/overdue" + query({ ...f, limit: 500, format: fmt });
    $("sup-" + fmt).href = "/api/v1/supervisions" + query({ town: f.town, category: f.category, limit: 500, format: fmt });
  }
}

const levelText = (c) => (c.overdue ? "已超期" : warningLabel(c.warning_level));

async function load() {
  links();
  const f = filters();
  const res = await api("/api/v1/overdue" + query({ ...f, limit: LIMIT, offset }));
  const summary = $("board-summary");
  if (!res.ok) { summary.textContent = "无法读取：" + errorText(res); return; }
  const page = res.body;
  $("board").querySelector("tbody").replaceChildren(...page.items.map((c) => el("tr", { "data-case": c.id },
    el("td", {}, caseLink(c.id, c.case_no)), el("td", {}, c.title), el("td", {}, c.category_name), el("td", {}, c.handling_unit),
    el("td", {}, c.status_label), el("td", { className: c.overdue ? "red" : c.warning_level }, levelText(c)),
    el("td", {}, local(c.due_at)), el("td", { className: "num" }, String(c.supervisions)))));
  summary.textContent = page.total === 0 ? "没有超期或预警的案件。" : `共 ${page.total} 件（其中超期 ${page.overdue} 件），` +
    `第 ${offset + 1}–${Math.min(offset + LIMIT, page.total)} 件，按办理时限先后排列。`;
  $("board-prev").disabled = offset === 0;
  $("board-next").disabled = offset + LIMIT >= page.total;
  const sup = await api("/api/v1/supervisions" + query({ town: f.town, category: f.category, limit: 50 }));
  if (sup.ok) {
    // A record is never shown later than now (a clock ahead on the writer's side would otherwise show a future time).
    const now = Date.now();
    $("supervisions").querySelector("tbody").replaceChildren(...sup.body.items.map((r) => el("tr", {},
      el("td", {}, local(Math.min(new Date(r.at).getTime(), now))), el("td", { className: r.level }, r.supervision_label || r.level),
      el("td", {}, r.reason), el("td", {}, r.case_id ? caseLink(r.case_id, r.case_no) : r.case_no), el("td", {}, r.title),
      el("td", {}, r.status_label || r.status))));
  }
}

export async function startBoard(user) {
  await pickers(user);
  $("board-form").addEventListener("change", () => { offset = 0; load(); });
  $("board-prev").addEventListener("click", () => { offset = Math.max(0, offset - LIMIT); load(); });
  $("board-next").addEventListener("click", () => { offset += LIMIT; load(); });
  await load();
}
