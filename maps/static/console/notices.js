// The signed-in person's notifications (the bell): kept on the server per person, re-read when a live event
// may have brought one (and every 30 s for kinds no live event announces), with an optional sound.
import { api, poll } from "./api.js";
import { set, state } from "./store.js";

// Live events after which a new notification may be waiting for this person.
const MAY_NOTIFY = ["case.created", "case.warning", "dispatch.status"];
let timer = null;
let seen = null;  // the newest id already announced (the sound plays only for newer ones)

export async function loadNotices() {
  const res = await poll("/api/v1/notifications?limit=30");
  if (!res.ok) return;
  const newest = res.body.items.length ? res.body.items[0].id : 0;
  if (seen !== null && newest > seen && res.body.unread > 0 && state.notices.sound) chime();
  seen = Math.max(seen || 0, newest);
  set({ notices: { ...state.notices, items: res.body.items, unread: res.body.unread, total: res.body.total } });
}

export async function startNotices() {
  const prefs = await api("/api/v1/notifications/preferences");
  set({ notices: { ...state.notices, sound: prefs.ok ? prefs.body.sound : false } });
  await loadNotices();
  if (!timer) timer = setInterval(loadNotices, 30000);
}

/** Called for every live event: re-read the notifications soon after one that may have brought some. */
export function noticeEvent(kind) {
  if (!MAY_NOTIFY.some((k) => kind === k)) return;
  clearTimeout(noticeEvent.pending);
  noticeEvent.pending = setTimeout(loadNotices, 500);
}

export async function markRead(ids) {
  const res = await api("/api/v1/notifications/read", { method: "POST", json: ids ? { ids } : {} });
  if (res.ok) await loadNotices();
}

export async function setSound(on) {
  const res = await api("/api/v1/notifications/preferences", { method: "PUT", json: { sound: on } });
  if (res.ok) set({ notices: { ...state.notices, sound: res.body.sound } });
  if (on) chime();
}

// A short two-tone chime (Web Audio; no sound file to fetch).
function chime() {
  try {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    const ctx = chime.ctx || (chime.ctx = new Ctx());
    [880, 660].forEach((hz, i) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = hz;
      gain.gain.value = 0.08;
      osc.connect(gain).connect(ctx.destination);
      osc.start(ctx.currentTime + i * 0.18);
      osc.stop(ctx.currentTime + i * 0.18 + 0.15);
    });
  } catch (err) { /* no audio device: the bell's count still shows */ }
}
