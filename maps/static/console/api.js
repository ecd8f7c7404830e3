// The API client. Authentication lives in ONE function (authorize): today a bearer token kept in
// sessionStorage (the demo prints /?token=...), plus the session cookie once sign-in exists.
const TOKEN_KEY = "fengqiao.token";

export function adoptTokenFromUrl() {
  const params = new URLSearchParams(window.location.search);
  const token = params.get("token");
  if (token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", window.location.pathname + (rest ? "?" + rest : ""));
  }
}

export const signedIn = () => !!sessionStorage.getItem(TOKEN_KEY);
export const setToken = (token) => sessionStorage.setItem(TOKEN_KEY, token);

/** Add the caller's credentials to fetch options (the only place that knows how we authenticate). */
export function authorize(init = {}) {
  const headers = Object.assign({}, init.headers || {});
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers["Authorization"] = "Bearer " + token;
  return Object.assign({}, init, { headers, credentials: "same-origin" });
}

/** A signed-in page got 401 (the session timed out, was signed out elsewhere, or the account was disabled):
 * drop the token and go to the sign-in page, which brings the operator back here. The anonymous public map
 * (no token) stays where it is. */
export function signInAgain() {
  if (!signedIn()) return;
  sessionStorage.removeItem(TOKEN_KEY);
  window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname + window.location.search));
}

/** fetch a JSON API path; resolves to {ok, status, body} and never rejects on HTTP errors. */
export async function api(path, options = {}) {
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
    return { ok: response.ok, status: response.status, body };
  } catch (err) {
    return { ok: false, status: 0, body: { error: { reason: "network", message: "网络不可用" } } };
  }
}

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
