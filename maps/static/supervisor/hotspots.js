// The hotspot map page: the map is drawn by the server for the signed-in user's town and shown in a frame.
import { api, whoami } from "/static/console/api.js";
import { mountUserBar } from "/static/console/userbar.js";

const msg = document.getElementById("msg");
const frame = document.getElementById("map");
const user = await whoami();
mountUserBar(document.getElementById("user-bar"), user);
if (!user) {
  msg.textContent = "请先登录。";
} else {
  const params = new URLSearchParams(window.location.search);
  // A request of the person's own: it keeps the session alive like every other (the frame's load does too).
  const check = await api("/api/v1/auth/me");
  if (check.ok) {
    frame.src = "/maps/hotspots/render?" + params.toString();
    frame.hidden = false;
    msg.hidden = true;
  }
}
