// The auditor's page: search the audit log (/api/v1/audit), verify its hash chain (/api/v1/audit/verify) and
// export what the filters find as CSV (/api/v1/audit/export). Signed in by the session cookie.
import { api, errorText, query, whoami } from "/static/console/api.js";
import { mayUse } from "/static/console/codes.js";
import { mountUserBar } from "/static/console/userbar.js";

const $ = (id) => document.getElementById(id);
const LIMIT = 50;
let offset = 0;

// What the common actions mean; anything else is shown as its code.
const ACTIONS = {
  "auth.sign_in": "登录", "auth.sign_out": "退出", "auth.token": "获取访问令牌", "user.create": "新建用户",
  "user.update": "修改用户", "user.key_create": "新建 API 密钥", "user.key_revoke": "撤销 API 密钥",
  "device.link_issue": "生成设备登录链接", "device.sign_in": "设备登录", "device.revoke": "撤销设备登录",
  "audit.export": "导出审计日志", "case.create": "登记案件",
};
const METHODS = { POST: "新增", PATCH: "修改", PUT: "修改", DELETE: "删除" };
function actionText(a) {
  if (ACTIONS[a]) return `${ACTIONS[a]}（${a}）`;
  const method = a.split(" ")[0];
  return METHODS[method] ? `${METHODS[method]}：${a.slice(method.length + 1)}` : a;
}
const resultText = (r) => (r === "ok" ? "成功" : r === "refused" ? "被拒绝" : `失败（${r}）`);
const local = (iso) => new Date(iso).toLocaleString("zh-CN", { hour12: false });

function say(id, text, ok) { const el = $(id); el.textContent = text; el.className = "msg " + (ok ? "ok" : "error"); }
function cell(tr, text, cls) {
  const td = document.createElement("td");
  td.textContent = text == null ? "" : String(text);
  if (cls) td.className = cls;
  tr.append(td);
}

/** The filters as API parameters (local times become instants with the browser's offset). */
function filters() {
  const f = new FormData($("filters"));
  const iso = (v) => (v ? new Date(v).toISOString() : "");
  return { action: f.get("action").trim(), result: f.get("result"), username: f.get("username").trim(),
           since: iso(f.get("since")), until: iso(f.get("until")) };
}
function updateExport() { $("export").href = "/api/v1/audit/export" + query(filters()); }

async function search() {
  updateExport();
  say("summary", "正在查询……", true);
  const res = await api("/api/v1/audit" + query({ ...filters(), limit: LIMIT, offset }));
  if (!res.ok) { say("summary", "无法查询：" + errorText(res), false); return; }
  const body = $("log").querySelector("tbody");
  body.textContent = "";
  for (const r of res.body.items) {
    const tr = document.createElement("tr");
    tr.dataset.action = r.action;
    cell(tr, local(r.at)); cell(tr, r.username || (r.detail && r.detail.by === "cli" ? "命令行" : "（未登录）")); cell(tr, actionText(r.action));
    cell(tr, [r.object_type, r.object_id].filter(Boolean).join(" ")); cell(tr, r.client_ip);
    cell(tr, resultText(r.result), r.result === "ok" ? "" : "bad"); cell(tr, r.chain_seq == null ? "待封存" : r.chain_seq);
    cell(tr, r.detail && Object.keys(r.detail).length ? JSON.stringify(r.detail) : "", "detail");
    body.append(tr);
  }
  const total = res.body.total;
  say("summary", total === 0 ? "没有符合条件的记录" :
    `共 ${total} 条，第 ${offset + 1}–${Math.min(offset + LIMIT, total)} 条（最新的在前）`, true);
  $("prev").disabled = offset === 0;
  $("next").disabled = offset + LIMIT >= total;
}

async function verify() {
  say("verify-summary", "正在校验……", true);
  const res = await api("/api/v1/audit/verify");
  if (!res.ok) { say("verify-summary", "无法校验：" + errorText(res), false); return; }
  const v = res.body;
  const head = v.head ? `签名链头：第 ${v.head.seq} 条（${local(v.head.at)}）` : "尚无签名链头";
  const purged = v.purged_upto ? `，第 ${v.purged_upto} 条及以前已按保存期限清理` : "";
  const waiting = v.unsealed_older_than_a_minute ? `；另有 ${v.unsealed_older_than_a_minute} 条超过一分钟未封存` : "";
  say("verify-summary", (v.ok ? "校验通过：日志链完整，未发现修改、删除或截断。" : `校验未通过：发现 ${v.problems.length} 个问题。`)
    + ` 已核对 ${v.checked} 条${purged}；${head}${waiting}`, v.ok);
  const table = $("verify-problems");
  const body = table.querySelector("tbody");
  body.textContent = "";
  for (const p of v.problems) {
    const tr = document.createElement("tr");
    cell(tr, p.seq == null ? "" : p.seq); cell(tr, p.message); cell(tr, p.reason);
    body.append(tr);
  }
  table.hidden = v.problems.length === 0;
}

$("filters").addEventListener("submit", (e) => { e.preventDefault(); offset = 0; search(); });
$("filters").addEventListener("input", updateExport);
$("prev").addEventListener("click", () => { offset = Math.max(0, offset - LIMIT); search(); });
$("next").addEventListener("click", () => { offset += LIMIT; search(); });
$("verify-run").addEventListener("click", verify);

const user = await whoami();
mountUserBar($("user-bar"), user);
if (!user) say("page-msg", "请先登录。", false);
else if (!mayUse((await api("/api/v1/meta")).body, user.role, "audit.read")) say("page-msg", "此页面仅限安全审计员使用。", false);
else { await search(); document.body.dataset.ready = "1"; }
