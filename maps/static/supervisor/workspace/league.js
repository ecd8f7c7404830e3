// 考核 league tables per town, village and staff member from /api/v1/stats/units and /api/v1/stats/staff:
// sorted by a figure with ranks (units with too few cases listed without one), each figure's definition on
// hover, the change on the previous period, and the same table as Excel or CSV through the API's export.
import { api, errorText, query } from "/static/console/api.js";
import { el, num, pct } from "./dom.js";

// The figures come from the answer (each has a "<figure>_change" column); these are left out of the table.
const NOT_RANKED = new Set(["eligible"]);
const NOT_SHOWN = new Set(["eligible", "p90_hours", "escalation_rate", "follow_up_rate"]);
const RATES = new Set(["closure_rate", "on_time_rate", "escalation_rate", "grass_roots_share", "follow_up_rate"]);
const form = () => document.getElementById("league-form");

const value = (figure, v) => (RATES.has(figure) ? pct(v) : figure === "satisfaction" || figure.endsWith("hours") ? num(v, figure === "satisfaction" ? 2 : 1) : v ?? "—");
function change(figure, v) {
  if (v === null || v === undefined) return "—";
  return RATES.has(figure) ? `${v >= 0 ? "+" : ""}${(100 * v).toFixed(1)} 个百分点` : `${v >= 0 ? "+" : ""}${num(v, Number.isInteger(v) ? 0 : 1)}`;
}

function path(params) {
  const base = params.by === "staff" ? "/api/v1/stats/staff" : "/api/v1/stats/units";
  return base + query({ tier: params.by === "staff" ? "" : params.by, rank_by: params.rank_by, since: params.since, format: params.format });
}

export function startLeague() {
  const select = form().elements.rank_by;
  form().addEventListener("change", load);
  load();
  async function load() {
    const params = Object.fromEntries(new FormData(form()));
    params.rank_by = params.rank_by || "on_time_rate";
    document.getElementById("league-xlsx").href = path({ ...params, format: "xlsx" });
    document.getElementById("league-csv").href = path({ ...params, format: "csv" });
    const note = document.getElementById("league-note");
    note.textContent = "正在计算……";
    const res = await api(path(params));
    if (!res.ok) { note.textContent = "无法读取：" + errorText(res); return; }
    const body = res.body;
    const defs = body.definitions;
    const labels = body.labels;
    const served = Object.keys(labels).filter((k) => labels[k + "_change"] !== undefined);
    if (!select.options.length) {
      served.filter((f) => !NOT_RANKED.has(f)).forEach((f) => select.append(el("option", { value: f, title: defs[f] }, labels[f] || f)));
      select.value = params.rank_by;
    }
    const rows = body.units || body.staff;
    const figure = params.rank_by;
    const unitColumns = params.by === "staff" ? [["name", "姓名"], ["role_label", "岗位"]] : [["name", labels.name || "名称"]];
    const figures = [figure, ...served.filter((f) => f !== figure && !NOT_SHOWN.has(f))];
    const head = el("tr", {},
      el("th", { title: defs.rank }, labels.rank || "名次"),
      el("th", { title: defs.rank_change }, labels.rank_change || "名次变化"),
      unitColumns.map(([, label]) => el("th", {}, label)),
      figures.map((f) => [el("th", { title: defs[f], "data-figure": f }, labels[f] || f),
        el("th", { title: defs.change }, (labels[f + "_change"] || "较上期"))]));
    const tbody = rows.map((r) => el("tr", { className: r.rank === null || r.rank === undefined ? "unranked" : "", "data-unit": r.unit ?? r.staff_code },
      el("td", { className: "num" }, r.rank ?? (body.league && body.league.ranked === false ? "—" : "不排名")),
      el("td", { className: "num " + (r.rank_change > 0 ? "up" : r.rank_change < 0 ? "down" : "") },
        r.rank_change === null || r.rank_change === undefined ? "—" : (r.rank_change > 0 ? "↑" : r.rank_change < 0 ? "↓" : "") + Math.abs(r.rank_change)),
      unitColumns.map(([key]) => el("td", {}, r[key] ?? "")),
      figures.map((f) => [el("td", { className: "num", "data-figure": f }, String(value(f, r[f]))),
        el("td", { className: "num" }, change(f, r[f + "_change"]))])));
    const table = document.getElementById("league");
    table.querySelector("thead").replaceChildren(head);
    table.querySelector("tbody").replaceChildren(...tbody);
    const league = body.league || {};
    const ranked = rows.filter((r) => r.rank !== null && r.rank !== undefined).length;
    note.textContent = `${body.since.slice(0, 10)} 至 ${body.until.slice(0, 10)}，按“${labels[figure]}”排名，` +
      `${ranked} 个参与排名；所依据案件少于 ${league.min_cases ?? "规定"} 件的不排名（灰色）。把鼠标停在表头上可看每项指标的口径。` +
      (league.ranked === false ? " 乡镇用户只看到本乡镇，不与其他乡镇排名。" : "");
  }
}
