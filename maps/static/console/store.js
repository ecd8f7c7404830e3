// Console state, changed by API answers and by live events applied one by one.
import { api, query } from "./api.js";

const listeners = new Set();
export const state = {
  meta: null, categories: [], ready: null, live: "off", user: null, checked: false,
  filters: { status: [], warning: [], category: "", town: "", channel: "", since: "", until: "", overdue: false, search: "" },
  page: { offset: 0, limit: 20 }, list: { items: [], total: 0 }, watch: [], watchTotals: { overdue: 0, warned: 0 },
  selected: null, detail: null, orders: [], recommendations: null,
  board: [], staff: new Map(), notes: [], picked: null, tab: "cases", plan: null,
  notices: { items: [], unread: 0, total: 0, sound: false },
  boardQuery: { status: [], role: [], town: "", case_status: [], limit: 100, offset: 0 }, boardTotal: 0,
};

export function subscribe(fn) { listeners.add(fn); return () => listeners.delete(fn); }
export function set(patch) {
  Object.assign(state, patch);
  listeners.forEach((fn) => { try { fn(state); } catch (err) { console.error(err); } });
}

// -- labels, always from /api/v1/meta ------------------------------------------------------------
export const stateLabel = (code) => (state.meta?.states.find((s) => s.code === code) || {}).label || code;
export const action = (name) => state.meta?.actions.find((a) => a.name === name);
export const orderStatus = (code) => state.meta?.order_statuses.find((s) => s.code === code) || { code, label: code, next: [] };
export const warningLabel = (code) => state.meta?.warning_levels[code] || code;
export const staffRoleLabel = (code) => state.meta?.staff_roles[code] || code;
export const channelLabel = (code) => (state.meta?.channels.find((c) => c.code === code) || {}).label || code;

// -- loading ---------------------------------------------------------------------------------------
export async function loadCases() {
  const f = state.filters;
  const res = await api("/api/v1/cases" + query({
    status: f.status, warning: f.warning, category: f.category, town: f.town, channel: f.channel,
    since: f.since ? new Date(f.since).toISOString() : "", until: f.until ? new Date(f.until).toISOString() : "",
    overdue: f.overdue ? "true" : "", search: f.search, limit: state.page.limit, offset: state.page.offset,
  }));
  if (res.ok) set({ list: res.body });
  return res;
}

/** Overdue and warning cases, pinned above the list whatever its filters and page (they never drop off). */
export async function loadWatch() {
  const open = state.meta ? state.meta.open_states : [];
  const [overdue, warned] = await Promise.all([
    api("/api/v1/cases" + query({ overdue: "true", status: open, limit: 100 })),
    api("/api/v1/cases" + query({ warning: ["yellow", "red"], status: open, limit: 100 })),
  ]);
  const byId = new Map();
  for (const res of [overdue, warned]) if (res.ok) res.body.items.forEach((c) => byId.set(c.id, c));
  // The counts are the lists' totals, not the length of the pinned pages.
  const total = (res) => (res.ok ? res.body.total : 0);
  set({ watch: [...byId.values()].sort((a, b) => new Date(a.due_at) - new Date(b.due_at)),
        watchTotals: { overdue: total(overdue), warned: total(warned) } });
}

/** The dispatch board: one page of every active order in the region, with the board's filters. */
export async function loadBoard() {
  const b = state.boardQuery;
  const res = await api("/api/v1/dispatches" + query({ status: b.status, role: b.role, town: b.town,
    case_status: b.case_status, limit: b.limit, offset: b.offset }));
  if (res.ok) set({ board: res.body.orders, boardTotal: res.body.total ?? res.body.orders.length });
}

export async function loadStaff() {
  const res = await api("/api/v1/positions");
  if (res.ok) set({ staff: new Map(res.body.staff.map((s) => [s.id, s])) });
}

/** Open a case (the case tab, recommendations closed); ``refresh``: a live event re-reads the open case and
 * leaves the operator where they are (tab, recommendations and picks of a dispatch in progress). */
export async function selectCase(id, { refresh = false } = {}) {
  const [detail, orders] = await Promise.all([api("/api/v1/cases/" + id), api("/api/v1/cases/" + id + "/dispatches")]);
  if (!detail.ok) { note("error", "案件读取失败：" + detail.status); return; }
  if (refresh && state.selected !== id) return;  // the operator has moved on to another case meanwhile
  const keep = refresh ? { recommendations: state.recommendations, tab: state.tab } : { recommendations: null, tab: "case" };
  set({ selected: id, detail: detail.body, orders: orders.ok ? orders.body.orders : [], ...keep });
}

export function note(kind, text, caseId = null) {
  const notes = [{ kind, text, caseId, at: new Date().toISOString(), key: Math.random() }, ...state.notes].slice(0, 30);
  set({ notes });
}

// -- live events: each applied on its own, refetching only what it names ----------------------------
const pending = new Map();
function soon(key, fn, ms = 400) {
  if (pending.has(key)) return;
  pending.set(key, setTimeout(() => { pending.delete(key); fn(); }, ms));
}

export function applyEvent(kind, data) {
  if (kind === "case.created") {
    note("new", `新案件 #${data.case_id}（${stateLabel(data.status)}）`, data.case_id);
    if (state.page.offset === 0) soon("cases", loadCases);
    soon("tiles", () => window.dispatchEvent(new Event("fengqiao:cases-changed")));
  } else if (kind === "case.transition") {
    const patch = (c) => (c.id === data.case_id ? { ...c, status: data.to, status_label: stateLabel(data.to) } : c);
    set({ list: { ...state.list, items: state.list.items.map(patch) }, watch: state.watch.map(patch) });
    if (state.selected === data.case_id) soon("detail", () => selectCase(data.case_id, { refresh: true }));
    soon("tiles", () => window.dispatchEvent(new Event("fengqiao:cases-changed")));
  } else if (kind === "case.warning") {
    note(data.level === "red" ? "overdue" : "warning",
      `案件 #${data.case_id} ${warningLabel(data.level)}`, data.case_id);
    soon("watch", loadWatch);
  } else if (kind.startsWith("dispatch.")) {
    const known = state.board.some((o) => o.id === data.dispatch_id);
    if (known) {
      const stamp = data.at;
      set({ board: state.board.map((o) => (o.id === data.dispatch_id
        ? { ...o, status: data.status, role: data.role, last_step_at: stamp, active: orderStatus(data.status).active } : o)) });
    } else soon("board", loadBoard);
    if (state.selected === data.case_id) soon("orders", async () => {
      const res = await api("/api/v1/cases/" + data.case_id + "/dispatches");
      if (res.ok) set({ orders: res.body.orders });
    });
  } else if (kind.startsWith("staff.position")) {
    soon("staff", loadStaff, 800);
  }
}
