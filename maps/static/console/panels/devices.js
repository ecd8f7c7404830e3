// Device sign-in for field staff: pick a field account, show a one-time QR code (drawn by the server as SVG)
// that the phone scans; list the account's device sessions with 撤销 (revoke).
import { api, errorText } from "../api.js";
import { html, useEffect, useState } from "../view.js";

const when = (iso) => new Date(iso).toLocaleString("zh-CN", { hour12: false });

export function DevicesPanel() {
  const [accounts, setAccounts] = useState(null);
  const [userId, setUserId] = useState("");
  const [label, setLabel] = useState("");
  const [link, setLink] = useState(null);
  const [sessions, setSessions] = useState([]);
  const [error, setError] = useState(null);
  const [days, setDays] = useState(30);

  const loadAccounts = async () => {
    const res = await api("/api/v1/devices/accounts");
    if (!res.ok) { setError(errorText(res)); return; }
    setAccounts(res.body.accounts);
    setDays(Math.round(res.body.device_session_s / 86400));
  };
  const loadSessions = async (id) => {
    if (!id) { setSessions([]); return; }
    const res = await api(`/api/v1/devices/accounts/${id}/sessions`);
    setSessions(res.ok ? res.body.sessions : []);
  };
  useEffect(() => { loadAccounts(); }, []);
  useEffect(() => { setLink(null); loadSessions(userId); }, [userId]);

  const issue = async (e) => {
    e.preventDefault();
    const res = await api("/api/v1/devices/links", { method: "POST", json: { user_id: Number(userId), label } });
    if (!res.ok) { setError(errorText(res)); return; }
    setError(null);
    setLink(res.body);
  };
  const revoke = async (id) => {
    const res = await api(`/api/v1/devices/accounts/${userId}/sessions/${id}`, { method: "DELETE" });
    if (!res.ok && res.status !== 204) setError(errorText(res));
    loadSessions(userId);
    loadAccounts();
  };

  if (accounts === null) return html`<div class="devices"><p class="hint">${error || "加载中…"}</p></div>`;
  return html`<div class="devices">
    <h3>一线人员设备登录</h3>
    <p class="hint">为共用或新手机生成一次性登录二维码：手机扫码后保持登录 ${days} 天；二维码 10 分钟内有效，只能使用一次，修改密码或停用账号即失效。</p>
    <form id="device-form" onSubmit=${issue}>
      <label>一线账号 <select id="device-user" value=${userId} onChange=${(e) => setUserId(e.target.value)}>
        <option value="">请选择</option>
        ${accounts.map((a) => html`<option value=${a.id}>${a.display || a.username}${a.staff_name ? "（" + a.staff_name + "）" : ""} · 设备 ${a.devices}</option>`)}
      </select></label>
      <label>手机名称 <input id="device-label" maxlength="100" placeholder="如：村委会共用手机" value=${label}
        onInput=${(e) => setLabel(e.target.value)} /></label>
      <button id="device-issue" type="submit" disabled=${!userId}>生成登录二维码</button>
    </form>
    ${error && html`<p class="error">${error}</p>`}
    ${link && html`<div id="device-link">
      <img class="qr" alt="设备登录二维码" src=${"data:image/svg+xml;charset=utf-8," + encodeURIComponent(link.qr_svg)} />
      <p class="device-url" id="device-url">${link.url}</p>
      <p class="hint">有效至 ${when(link.expires_at)}，使用一次后失效。</p></div>`}
    ${userId && html`<h3>已登录的设备</h3>
      <ul id="device-sessions">${sessions.length === 0 && html`<li class="hint">暂无</li>`}
        ${sessions.map((s) => html`<li key=${s.id} data-session=${s.id}>${s.label || "未命名手机"} · 登录于 ${when(s.created_at)}
          · 最近使用 ${when(s.last_seen_at)} · 到期 ${when(s.expires_at)}
          <button class="secondary revoke" onClick=${() => revoke(s.id)}>撤销</button></li>`)}</ul>`}
  </div>`;
}
