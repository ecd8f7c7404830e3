// Header: service state, boundary generation, live stream state, notifications, and who is signed in (退出).
import { html } from "../view.js";
import { Bell } from "./bell.js";
import { here } from "../api.js";
import { roleLinks, userLabel } from "../userbar.js";

const LIVE = { off: ["实时：未连接", "muted"], on: ["实时：已连接", "on"], retry: ["实时：重连中", "muted"] };

export function Header({ state }) {
  const [live, cls] = LIVE[state.live] || LIVE.off;
  const ready = state.ready;
  const user = state.user;
  return html`<header>
    <h1>枫桥 · 网格指挥台</h1>
    <span id="generation" class="badge">${ready && ready.checks && ready.checks.generation ? "边界版本 " + ready.checks.generation : ""}</span>
    ${user && html`<span id="live" class=${"badge " + cls}>${live}</span>`}
    ${user && html`<${Bell} state=${state} />`}
    <a class="badge link" href="/field" target="_blank">一线端</a>
    <span id="status" class="status">${ready ? (ready.status === "ok" ? "服务正常" : "服务未就绪") : ""}</span>
    <span class="user-bar">
      ${roleLinks(user).map(([href, label]) => html`<a key=${href} class="badge link role-link" href=${href}>${label}</a>`)}
      ${user ? html`<span id="who">${userLabel(user)}</span>
        <form class="sign-out" method="post" action="/auth/logout"><button id="sign-out" type="submit">退出</button></form>`
        : state.checked && html`<a id="sign-in" class="badge link" href=${"/login?next=" + encodeURIComponent(here())}>登录</a>`}
    </span>
  </header>`;
}
