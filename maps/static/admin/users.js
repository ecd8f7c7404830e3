// The administrator's accounts page: create, disable/enable, reset a password, bind a town and a staff member
// picked from lists, and watch who is signed in (device sign-ins can be revoked). Signed in by the session cookie.
import { api, errorText, whoami } from "/static/console/api.js";
import { mayUse, roleCodes } from "/static/console/codes.js";
import { mountUserBar } from "/static/console/userbar.js";

const $ = (id) => document.getElementById(id);
const data = { meta: null, towns: new Map(), staff: new Map(), users: [], devices: new Map() };

function say(id, text, ok) {
  const el = $(id);
  el.textContent = text;
  el.className = "msg " + (ok ? "ok" : "error");
}
function cell(tr, text, cls) {
  const td = document.createElement("td");
  if (text instanceof Node) td.append(text); else td.textContent = text == null ? "" : String(text);
  if (cls) td.className = cls;
  tr.append(td);
  return td;
}
function button(text, onClick, attrs = {}) {
  const b = Object.assign(document.createElement("button"), { type: "button", textContent: text }, attrs);
  b.addEventListener("click", onClick);
  return b;
}
function option(select, value, text) {
  select.append(Object.assign(document.createElement("option"), { value, textContent: text }));
}
const local = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false }) : "");
const roleLabel = (r) => (data.meta && data.meta.roles[r]) || r;
const staffRoleLabel = (r) => (data.meta && data.meta.staff_roles[r]) || r || "";
const townName = (code) => (code ? (data.towns.get(code) ? `${data.towns.get(code)}（${code}）` : `${code}（不在现行边界中）`) : "全县");

async function loadChoices() {
  const [meta, choices] = await Promise.all([api("/api/v1/meta"), api("/api/v1/users/choices")]);
  if (!meta.ok || !choices.ok) throw new Error(errorText(meta.ok ? choices : meta));
  data.meta = meta.body;
  const role = $("new-role");
  role.textContent = "";
  for (const [code, label] of Object.entries(data.meta.roles)) option(role, code, label);
  role.value = roleCodes(data.meta).operator;
  const town = $("new-town");
  for (const t of choices.body.towns) { data.towns.set(t.code, t.name); option(town, t.code, `${t.name}（${t.code}）`); }
  const staff = $("new-staff");
  for (const s of choices.body.staff) {
    data.staff.set(s.staff_code, s);
    const taken = s.accounts ? `，已关联 ${s.accounts}` : "";
    option(staff, s.staff_code, `${s.name}（${s.staff_code}，${staffRoleLabel(s.role)}${taken}）`);
  }
}

function stateOf(u) {
  if (u.disabled) return ["已停用", "state-disabled"];
  if (u.locked) return ["已锁定", "state-locked"];
  return ["正常", "state-active"];
}

async function setDisabled(u, disabled) {
  const res = await api(`/api/v1/users/${u.id}`, { method: "PATCH", json: { disabled } });
  if (res.ok) say("users-msg", `已${disabled ? "停用" : "启用"}用户 ${u.username}` + (disabled ? "，其登录已全部结束" : ""), true);
  else say("users-msg", "操作失败：" + errorText(res), false);
  await Promise.all([loadUsers(), loadSessions()]);
}

async function loadUsers() {
  const [res, dev] = await Promise.all([api("/api/v1/users"), api("/api/v1/devices/accounts")]);
  if (!res.ok) { say("users-msg", "无法读取用户：" + errorText(res), false); return; }
  data.users = res.body.items;
  data.devices = new Map(dev.ok ? dev.body.accounts.map((a) => [a.id, a.devices]) : []);
  const body = $("user-table").querySelector("tbody");
  body.textContent = "";
  const reset = $("reset-user");
  const chosen = reset.value;
  reset.textContent = "";
  for (const u of data.users) {
    const tr = document.createElement("tr");
    tr.dataset.user = u.username;
    const staff = u.staff_code ? data.staff.get(u.staff_code) : null;
    const [state, cls] = stateOf(u);
    cell(tr, u.username); cell(tr, u.display); cell(tr, roleLabel(u.role)); cell(tr, townName(u.town_code));
    cell(tr, u.staff_code ? (staff ? `${staff.name}（${u.staff_code}）` : `${u.staff_code}（花名册中无此人员）`) : "");
    cell(tr, state, cls); cell(tr, u.has_password ? "已设置" : "未设置"); cell(tr, u.api_keys);
    cell(tr, u.disabled ? button("启用", () => setDisabled(u, false), { className: "enable" })
                        : button("停用", () => setDisabled(u, true), { className: "disable" }));
    body.append(tr);
    option(reset, String(u.id), `${u.username}${u.display ? "（" + u.display + "）" : ""}`);
  }
  if (chosen) reset.value = chosen;
  renderLinks();
}

function renderLinks() {
  const body = $("link-table").querySelector("tbody");
  body.textContent = "";
  const field = data.users.filter((u) => u.role === roleCodes(data.meta).field);
  if (field.length === 0) {
    const tr = document.createElement("tr");
    cell(tr, "暂无一线账号").colSpan = 8;
    body.append(tr);
  }
  for (const u of field) {
    const tr = document.createElement("tr");
    tr.dataset.user = u.username;
    const s = u.staff_code ? data.staff.get(u.staff_code) : null;
    cell(tr, u.username); cell(tr, u.display); cell(tr, u.staff_code || "未关联");
    cell(tr, s ? s.name : (u.staff_code ? "花名册中无此人员" : ""), s ? "" : "state-locked");
    cell(tr, s ? staffRoleLabel(s.role) : ""); cell(tr, townName(u.town_code));
    cell(tr, u.disabled ? "" : `${data.devices.get(u.id) || 0} 台`); cell(tr, stateOf(u)[0], stateOf(u)[1]);
    body.append(tr);
  }
}

async function revoke(s) {
  const res = await api(`/api/v1/devices/accounts/${s.user_id}/sessions/${s.id}`, { method: "DELETE" });
  if (res.ok) say("sessions-msg", `已撤销 ${s.username} 的设备登录${s.label ? "（" + s.label + "）" : ""}`, true);
  else say("sessions-msg", "撤销失败：" + errorText(res), false);
  await Promise.all([loadSessions(), loadUsers()]);
}

async function loadSessions() {
  const res = await api("/api/v1/users/sessions");
  const body = $("session-table").querySelector("tbody");
  if (!res.ok) { say("sessions-msg", "无法读取登录：" + errorText(res), false); return; }
  body.textContent = "";
  for (const s of res.body.items) {
    const tr = document.createElement("tr");
    tr.dataset.user = s.username;
    tr.dataset.kind = s.kind;
    cell(tr, s.display ? `${s.username}（${s.display}）` : s.username); cell(tr, roleLabel(s.role));
    cell(tr, s.kind === "device" ? "设备（扫码）" : "浏览器"); cell(tr, s.label);
    cell(tr, local(s.created_at)); cell(tr, local(s.last_seen_at)); cell(tr, local(s.expires_at)); cell(tr, s.client_ip);
    cell(tr, s.kind === "device" ? button("撤销", () => revoke(s), { className: "revoke" }) : "");
    body.append(tr);
  }
  if (res.body.items.length === 0) { const tr = document.createElement("tr"); cell(tr, "当前无人登录").colSpan = 9; body.append(tr); }
}

$("create-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  const body = { username: f.get("username").trim(), role: f.get("role"), display: f.get("display").trim() };
  if (f.get("town_code")) body.town_code = f.get("town_code");
  if (f.get("staff_code")) body.staff_code = f.get("staff_code");
  if (f.get("password")) body.password = f.get("password");
  const res = await api("/api/v1/users", { method: "POST", json: body });
  if (!res.ok) { say("create-msg", "未能创建：" + errorText(res), false); return; }
  say("create-msg", `已创建用户 ${res.body.username}（${roleLabel(res.body.role)}，${townName(res.body.town_code)}）`, true);
  e.target.reset();
  $("new-role").value = roleCodes(data.meta).operator;
  await loadUsers();
});

$("reset-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const id = $("reset-user").value;
  const name = $("reset-user").selectedOptions[0] ? $("reset-user").selectedOptions[0].textContent : id;
  const res = await api(`/api/v1/users/${id}`, { method: "PATCH", json: { password: $("reset-password").value } });
  if (res.ok) { say("reset-msg", `已重置 ${name} 的密码，其原有登录已全部失效`, true); $("reset-password").value = ""; }
  else say("reset-msg", "未能重置：" + errorText(res), false);
  await loadSessions();
});

$("sessions-refresh").addEventListener("click", loadSessions);

const user = await whoami();
mountUserBar($("user-bar"), user);
if (!user) say("page-msg", "请先登录。", false);
else if (!mayUse((await api("/api/v1/meta")).body, user.role, "users.manage")) say("page-msg", "此页面仅限系统管理员使用。", false);
else {
  try {
    await loadChoices();
    await Promise.all([loadUsers(), loadSessions()]);
    document.body.dataset.ready = "1";
  } catch (err) {
    say("page-msg", "无法读取：" + err.message, false);
  }
}
