// The API client of every page. Pages are signed in by the session cookie that /login (or a device link)
// sets; the browser sends it, the page never sees it. Who is signed in comes from GET /api/v1/auth/me.
// The session slides: each of the person's own requests keeps it alive (30 minutes idle, 12 hours at most);
// the live stream does not. A banner warns two minutes before it would end unused, with 继续.
const WARN_S = 120;
const who = { user: null, lastActivity: Date.now(), idleLimit: null, endsAt: null };

export const signedIn = () => who.user !== null;
export const currentUser = () => who.user;

/** Fetch options for our own origin (the session cookie goes along; no credential is ever added by hand). */
export function authorize(init = {}) {
  return Object.assign({}, init, { credentials: "same-origin" });
}

/** Where to come back to after signing in again: this page with its query and selection (hash). */
export const here = () => window.location.pathname + window.location.search + window.location.hash;

/** A signed-in page got 401 (the session ended, was signed out elsewhere, or the account was disabled):
 * go to the sign-in page, which brings the person back to this page and selection. */
export function signInAgain() {
  if (!signedIn()) return;
  who.user = null;
  window.location.assign("/login?next=" + encodeURIComponent(here()));
}

async function send(path, options, { activity = true } = {}) {
  const init = Object.assign({}, options);
  init.headers = Object.assign({ Accept: "application/json" }, options.headers || {});
  if (options.json !== undefined) {
    init.body = JSON.stringify(options.json);
    init.headers["Content-Type"] = "application/json";
    delete init.json;
  }
  try {
    const response = await fetch(path, authorize(init));
    const body = await response.json().catch(() => ({}));
    if (response.status === 401) signInAgain();
    else if (activity && response.ok) who.lastActivity = Date.now();
    return { ok: response.ok, status: response.status, body };
  } catch (err) {
    return { ok: false, status: 0, body: { error: { reason: "network", message: "网络不可用" } } };
  }
}

/** fetch a JSON API path; resolves to {ok, status, body} and never rejects on HTTP errors. */
export const api = (path, options = {}) => send(path, options);

/** Who is signed in (null when nobody is: the page then offers /login). Starts the session warning. */
export async function whoami() {
  const res = await fetch("/api/v1/auth/me", authorize({ headers: { Accept: "application/json" } }))
    .then(async (r) => ({ ok: r.ok, body: await r.json().catch(() => ({})) }))
    .catch(() => ({ ok: false, body: {} }));
  if (!res.ok) return null;
  who.user = res.body;
  who.lastActivity = Date.now();
  const s = res.body.session;
  if (s) {
    who.idleLimit = s.idle_limit_s && s.kind === "browser" ? s.idle_limit_s : null;
    who.endsAt = Date.now() + s.max_s * 1000;
    setInterval(checkSession, 5000);
    lastAsked = Date.now();
  }
  return who.user;
}

// -- the warning before the session ends ------------------------------------------------------------------
let banner = null;
function showBanner(text, withContinue) {
  if (!banner) {
    banner = document.createElement("div");
    banner.id = "session-warning";
    banner.setAttribute("role", "alert");
    document.body.prepend(banner);
  }
  banner.textContent = text + " ";
  if (withContinue) {
    const button = document.createElement("button");
    button.id = "session-continue";
    button.type = "button";
    button.textContent = "继续";
    button.addEventListener("click", async () => {
      const res = await api("/api/v1/auth/me");
      if (res.ok) hideBanner();
    });
    banner.append(button);
  }
  const link = document.createElement("a");
  link.href = "/login?next=" + encodeURIComponent(here());
  link.textContent = "重新登录";
  banner.append(" ", link);
}
function hideBanner() { if (banner) { banner.remove(); banner = null; } }

// Every 5 s the page estimates from its own requests; it asks the server (without extending the session)
// when the end is near, once a minute (another tab may have kept the session alive) and when it gets focus.
let checking = false;
let lastAsked = 0;
async function checkSession(force = false) {
  if (!signedIn() || checking) return;
  const now = Date.now();
  const idleLeft = who.idleLimit ? who.idleLimit - (now - who.lastActivity) / 1000 : Infinity;
  const maxLeft = (who.endsAt - now) / 1000;
  if (!force && idleLeft > WARN_S + 10 && maxLeft > 10 * 60 && now - lastAsked < 60000) return;
  checking = true;
  lastAsked = now;
  try {
    const res = await send("/api/v1/auth/session", {}, { activity: false });
    if (!res.ok) return;  // 401: signInAgain() has already left for the sign-in page
    if (who.idleLimit) who.lastActivity = Date.now() - (who.idleLimit - res.body.idle_s) * 1000;
    who.endsAt = Date.now() + res.body.max_s * 1000;
    const idle = who.idleLimit ? res.body.idle_s : Infinity;
    if (res.body.max_s <= 10 * 60 && res.body.max_s < idle) {
      const at = new Date(who.endsAt).toLocaleTimeString("zh-CN", { hour12: false, hour: "2-digit", minute: "2-digit" });
      showBanner(`本次登录已接近最长时限（12 小时），将于 ${at} 结束，请保存工作后重新登录。`, false);
    } else if (idle <= WARN_S) {
      showBanner(`长时间无操作，会话将在 ${Math.max(0, Math.round(idle))} 秒后结束，点“继续”保持登录。`, true);
    } else hideBanner();
  } finally { checking = false; }
}
window.addEventListener("focus", () => checkSession(true));

export const errorText = (res) =>
  res.body && res.body.error ? `${res.body.error.message}（${res.body.error.reason}）` : `HTTP ${res.status}`;

export function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    (Array.isArray(value) ? value : [value]).forEach((v) => q.append(key, v));
  }
  const text = q.toString();
  return text ? "?" + text : "";
}

/** A background read (polling): does not count as the person's activity, so it never keeps a session alive. */
export const poll = (path) => send(path, { headers: { "X-Fengqiao-Background": "1" } }, { activity: false });
