// Shows why the last sign-in failed and keeps the page to return to; no inline script (CSP script-src 'self').
const MESSAGES = {
  invalid_credentials: "用户名或密码错误",
  account_locked: "连续失败次数过多，账号已临时锁定，请稍后再试",
  rate_limited: "尝试过于频繁，请稍后再试",
  session_expired: "会话已过期，请重新登录",
  device_link_invalid: "设备登录链接已使用、已过期或已撤销，请向指挥中心申请新的登录二维码",
};
const params = new URLSearchParams(window.location.search);
const reason = params.get("error");
if (reason) {
  const box = document.getElementById("error");
  box.textContent = MESSAGES[reason] || "登录失败";
  box.hidden = false;
}
const next = params.get("next");
if (next && next.startsWith("/") && !next.startsWith("//")) document.getElementById("next").value = next;
