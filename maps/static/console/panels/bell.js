// The bell: unread count, the person's notifications (newest first), mark read, sound on/off; below them the
// page's own live messages (new cases, warnings seen on the stream since the page opened).
import { html, useState } from "../view.js";
import { markRead, setSound } from "../notices.js";
import { selectCase, set } from "../store.js";

const when = (iso) => new Date(iso).toLocaleString("zh-CN", { hour12: false, month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit" });

export function Bell({ state }) {
  const [open, setOpen] = useState(false);
  const n = state.notices;
  const open_ = (item) => {
    if (item.status !== "read") markRead([item.id]);
    if (item.case_id) { selectCase(item.case_id); set({ tab: "case" }); }
  };
  return html`<span class="bell-wrap">
    <button id="bell" type="button" class=${"badge bell" + (n.unread ? " urgent" : "")} onClick=${() => setOpen(!open)}
      title="通知" aria-label=${"通知，未读 " + n.unread}>通知 <span id="bell-count">${n.unread}</span></button>
    ${open && html`<div id="notices" class="notes">
      <div class="notes-head"><b>通知</b>
        <label class="sound"><input id="notice-sound" type="checkbox" checked=${n.sound}
          onChange=${(e) => setSound(e.target.checked)} /> 提示音</label>
        <button id="notices-read-all" type="button" class="small ghost" disabled=${!n.unread}
          onClick=${() => markRead(null)}>全部已读</button></div>
      <ol class="notice-list">
        ${n.items.length === 0 && html`<li class="hint">暂无通知</li>`}
        ${n.items.map((item) => html`<li key=${item.id} data-notice=${item.id}
            class=${"notice kind-" + item.kind + (item.status === "read" ? " read" : " unread")}>
          <a href="#" onClick=${(e) => { e.preventDefault(); open_(item); }}>
            <span class="kind">${item.kind_label}</span> ${item.title}</a>
          ${item.body && html`<div class="body">${item.body}</div>`}
          <span class="when">${when(item.created_at)}</span>
          ${item.status !== "read" && html`<button type="button" class="small ghost mark-read"
            onClick=${() => markRead([item.id])}>标为已读</button>`}
        </li>`)}
      </ol>
      ${state.notes.length > 0 && html`<h4>本页实时动态</h4><ol id="notes" class="notice-list">
        ${state.notes.map((x) => html`<li key=${x.key} class=${"note-" + x.kind}>
          <a href="#" onClick=${(e) => { e.preventDefault(); if (x.caseId) selectCase(x.caseId); }}>${x.text}</a>
          <span class="when">${new Date(x.at).toLocaleTimeString("zh-CN", { hour12: false })}</span></li>`)}
      </ol>`}
    </div>`}
  </span>`;
}
