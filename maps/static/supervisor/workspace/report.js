// The weekly briefing (研判周报): a picker of the weeks that have ended; the PDF comes from /api/v1/reports/weekly.
import { finishedWeeks } from "./weeks.js";

export function startReport() {
  const select = document.getElementById("report-week");
  const link = document.getElementById("report-link");
  finishedWeeks(26).reverse().forEach((w, i) => select.append(Object.assign(document.createElement("option"),
    { value: w.week, textContent: w.label + (i === 0 ? "（上周）" : "") })));
  const update = () => { link.href = "/api/v1/reports/weekly?week=" + encodeURIComponent(select.value); };
  select.addEventListener("change", update);
  update();
}
