// A party's contact on the case page: masked ID number and phone, and for roles that see personal data a
// 查看完整 button that asks why (the reason is audited with the reveal) and then shows both, the phone as tel:.
import { api, errorText } from "../api.js";
import { state } from "../store.js";
import { html, useState } from "../view.js";

/** A phone as a tel: link (digits and + only in the address); masked numbers stay text. */
export function Tel({ phone }) {
  if (!phone) return null;
  if (phone.includes("*")) return html`<span class="phone">${phone}</span>`;
  return html`<a class="phone tel" href=${"tel:" + phone.replace(/[^0-9+]/g, "")}>${phone}</a>`;
}

export function PartyContact({ caseId, party, user }) {
  const [asking, setAsking] = useState(false);
  const [shown, setShown] = useState(null);
  const [error, setError] = useState(null);
  const may = user && ((state.meta || {}).personal_data_roles || []).includes(user.role) && (party.id_masked || party.phone);
  const reveal = async (e) => {
    e.preventDefault();
    const reason = e.target.elements.reason.value.trim();
    const res = await api(`/api/v1/cases/${caseId}/parties/${party.id}/reveal`, { method: "POST", json: { reason } });
    if (!res.ok) { setError(errorText(res)); return; }
    setShown(res.body);
    setAsking(false);
    setError(null);
  };
  return html`<span class="contact" data-party=${party.id}>
    ${shown ? html`<span class="id-full">${shown.id_number || ""}</span> <${Tel} phone=${shown.phone} />`
      : html`${party.id_masked || ""} <${Tel} phone=${party.phone} />`}
    ${may && !shown && !asking && html` <button type="button" class="small ghost reveal" onClick=${() => setAsking(true)}>查看完整</button>`}
    ${asking && html`<form class="reveal-form" onSubmit=${reveal}>
      <input name="reason" required minlength="4" maxlength="500" placeholder="查看原因（将记入审计日志）" />
      <button type="submit" class="small">查看</button>
      <button type="button" class="small ghost" onClick=${() => setAsking(false)}>取消</button></form>`}
    ${error && html`<span class="error">${error}</span>`}
  </span>`;
}
