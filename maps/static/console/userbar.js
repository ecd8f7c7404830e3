// Who is signed in, as every page's header shows it: name, role in Chinese, town; and 退出 (sign out).
import { here } from "./api.js";

/** "王值班 · 指挥中心值班员 · 隆联街道" (county-wide users: 全县). */
export const userLabel = (u) => [u.name, u.role_label, u.town_name || (u.town_code ? u.town_code : "全县")].join(" · ");

/** Pages a role may open besides its own start page, as [href, label] (every header links them). */
export const roleLinks = (u) => ({ admin: [["/admin/users", "用户管理"], ["/audit", "审计日志"], ["/boundaries", "区划边界"]], auditor: [["/audit", "审计日志"]], gis: [["/boundaries", "区划边界"]] })[u && u.role] || [];

/** The header's user block as plain DOM (pages without preact): the label and a sign-out form (POST). */
export function mountUserBar(el, user) {
  el.textContent = "";
  if (!user) {
    const link = document.createElement("a");
    link.id = "sign-in";
    link.href = "/login?next=" + encodeURIComponent(here());
    link.textContent = "登录";
    el.append(link);
    return;
  }
  const who = document.createElement("span");
  who.id = "who";
  who.textContent = userLabel(user);
  const form = document.createElement("form");
  form.method = "post";
  form.action = "/auth/logout";
  form.className = "sign-out";
  const button = document.createElement("button");
  button.id = "sign-out";
  button.type = "submit";
  button.textContent = "退出";
  form.append(button);
  for (const [href, label] of roleLinks(user)) {
    const link = Object.assign(document.createElement("a"), { href, textContent: label, className: "role-link" });
    if (window.location.pathname !== href) el.append(link, " ");
  }
  el.append(who, " ", form);
}
