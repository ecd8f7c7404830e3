// The supervisor's workspace: the risk map (hotspots, drill-down to cases, forecast layer), the 考核 league
// tables, the overdue / 督办 board and the weekly briefing, on the console's API client, store and labels.
import { api, whoami } from "/static/console/api.js";
import { set } from "/static/console/store.js";
import { mountUserBar } from "/static/console/userbar.js";
import { startBoard } from "./board.js";
import { startLeague } from "./league.js";
import { startMap } from "./map.js";
import { startReport } from "./report.js";

const user = await whoami();
mountUserBar(document.getElementById("user-bar"), user);
const status = document.getElementById("ws-status");
if (!user) {
  status.textContent = "请先登录。";
} else {
  const [meta, categories] = await Promise.all([api("/api/v1/meta"), api("/api/v1/categories")]);
  set({ meta: meta.ok ? meta.body : null, categories: categories.ok ? categories.body : [], user });
  const started = new Set();
  const starters = { map: startMap, league: startLeague, board: startBoard, report: startReport };
  const show = (tab) => {
    document.querySelectorAll("#tabs .tab").forEach((b) => b.classList.toggle("on", b.dataset.tab === tab));
    document.querySelectorAll("#ws .pane").forEach((p) => p.classList.toggle("on", p.id === "tab-" + tab));
    if (!started.has(tab)) { started.add(tab); starters[tab](user); }
    window.dispatchEvent(new Event("ws-tab-" + tab));
    history.replaceState(null, "", "#" + tab);
  };
  document.querySelectorAll("#tabs .tab").forEach((b) => b.addEventListener("click", () => show(b.dataset.tab)));
  const first = window.location.hash.slice(1);
  show(starters[first] ? first : "map");
}
