// Header: service state, boundary generation, live stream state, notifications, and who is signed in (退出).
import { html, useState } from "../view.js";
import { here } from "../api.js";
import { roleLinks, userLabel } from "../userbar.js";
import { selectCase, set } from "../store.js";

const LIVE = { off: ["实时：未连接", "muted"], on: ["实时：已连接", "on"], retry: ["实时：重连中", "muted"] };

export function Header({ state }) {
  const [open, setOpen] = useState(false);
  const [live, cls] = LIVE[state.live] || LIVE.off;
  const ready = state.ready;
  const urgent = state.notes.filter((n) => n.kind === "overdue" || n.kind === "warning").length;
  const user = state.user;
  return html`<header>
    <h1>枫桥 · 网格指挥台</h1>
    <span id="generation" class="badge">${ready && ready.checks && ready.checks.generation ? "边界版本 " + ready.checks.generation : ""}</span>
    ${user && html`<span id="live" class=${"badge " + cls}>${live}</span>`}
    ${user && html`<button id="notes-toggle" class=${"badge bell" + (urgent ? " urgent" : "")} onClick=${() => setOpen(!open)}
      title="通知">通知 ${state.notes.length}</button>`}
    <a class="badge link" href="/field" target="_blank">一线端</a>
    <span id="status" class="status">${ready ? (ready.status === "ok" ? "服务正常" : "服务未就绪") : ""}</span>
    <span class="user-bar">
      ${roleLinks(user).map(([href, label]) => html`<a key=${href} class="badge link role-link" href=${href}>${label}</a>`)}
      ${user ? html`<span id="who">${userLabel(user)}</span>
        <form class="sign-out" method="post" action="/auth/logout"><button id="sign-out" type="submit">退出</button></form>`
        : state.checked && html`<a id="sign-in" class="badge link" href=${"/login?next=" + encodeURIComponent(here())}>登录</a>`}
    </span>
    ${open && html`<ol id="notes" class="notes">
      ${state.notes.length === 0 && html`<li class="hint">暂无通知</li>`}
      ${state.notes.map((n) => html`<li key=${n.key} class=${"note-" + n.kind}>
        <a href="#" onClick=${(e) => { e.preventDefault(); if (n.caseId) selectCase(n.caseId); set({ tab: "case" }); }}>${n.text}</a>
        <span class="when">${new Date(n.at).toLocaleTimeString("zh-CN", { hour12: false })}</span></li>`)}
    </ol>`}
  </header>`;
}
