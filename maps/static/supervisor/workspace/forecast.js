// The forecast layer: villages alerted for a rising trend (预警：上升趋势) over the weeks ending with the chosen
// week, and the expected cases of the week after it, from /api/v1/forecast/alerts and /api/v1/forecast.
import { api, query } from "/static/console/api.js";
import { el, num } from "./dom.js";

const ALERT = "#7b1fa2";

export async function forecastLayer(week, shapes, panel) {
  const [alerts, expected] = await Promise.all([
    api("/api/v1/forecast/alerts" + query({ tier: "village", week: week.week })),
    api("/api/v1/forecast" + query({ tier: "village", week: week.next })),
  ]);
  if (!alerts.ok || !expected.ok || !shapes.ok) {
    const bad = [alerts, expected, shapes].find((r) => !r.ok);
    panel.replaceChildren(el("p", {}, "无法读取预测：" + ((bad.body.error || {}).message || bad.status)));
    return null;
  }
  const shapeOf = new Map(shapes.body.features.map((f) => [f.properties.code, f]));
  const alerted = alerts.body.units.filter((u) => u.alert);
  const top = [...expected.body.units].sort((a, b) => b.forecast - a.forecast).slice(0, 10);
  const group = L.featureGroup();
  const max = Math.max(1, ...expected.body.units.map((u) => u.forecast));
  for (const u of expected.body.units) {
    const shape = shapeOf.get(u.code);
    if (!shape || u.forecast <= 0) continue;
    const centre = L.geoJSON(shape).getBounds().getCenter();
    L.circleMarker(centre, { radius: 2 + 10 * Math.sqrt(u.forecast / max), color: "#4a148c", weight: 1, fillColor: "#ce93d8", fillOpacity: 0.7 })
      .bindTooltip(`${u.name}：下周预计 ${num(u.forecast)} 件`).addTo(group);
  }
  for (const u of alerted) {
    const shape = shapeOf.get(u.code);
    if (!shape) continue;
    L.geoJSON(shape, { style: { color: ALERT, weight: 3, dashArray: "6 4", fill: false } })
      .bindTooltip(`预警：上升趋势 · ${u.name}：近 ${alerts.body.rule.recent_weeks} 周群众反映 ${u.recent} 件，` +
        `此前 ${alerts.body.rule.baseline_weeks} 周共 ${u.baseline} 件`, { permanent: true, direction: "top", className: "alert-label" })
      .addTo(group);
  }
  const rule = alerts.body.rule;
  panel.replaceChildren(el("div", {},
    el("h3", {}, "预警：上升趋势"),
    el("p", {}, el("span", { className: "swatch alert" }), `${week.week} 止，${alerted.length} 个村（社区）群众反映的矛盾纠纷明显上升` +
      `（近 ${rule.recent_weeks} 周对比此前 ${rule.baseline_weeks} 周，至少 ${rule.min_count} 件，误报率控制在 ${100 * rule.fdr}% 以内；网格员自行排查发现的不计入）。`),
    alerted.length ? el("ul", { id: "ws-alerts" }, alerted.map((u) => el("li", { className: "alerted" },
      `${u.name}：近 ${rule.recent_weeks} 周 ${u.recent} 件（此前 ${rule.baseline_weeks} 周 ${u.baseline} 件）`))) : null,
    el("h3", {}, `下周（${week.next}）预计案件最多的村（社区）`),
    el("p", { className: "hint" }, `全部合计预计 ${num(expected.body.forecast_total)} 件；圆点越大预计越多。数据截至 ${expected.body.data_until}。`),
    el("ol", { id: "ws-forecast-top" }, top.map((u) => el("li", {}, `${u.name}：${num(u.forecast)} 件`)))));
  return group;
}
