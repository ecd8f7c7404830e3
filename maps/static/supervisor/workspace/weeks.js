// ISO weeks in China time (Monday to Sunday, UTC+8), as the API counts them.
const DAY = 86400000;
const pad = (n) => String(n).padStart(2, "0");

function isoWeek(ms) {
  const d = new Date(ms);
  const day = d.getUTCDay() || 7;
  const thursday = new Date(ms + (4 - day) * DAY);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / DAY / 7) + 1;
  return `${year}-W${pad(week)}`;
}
const ymd = (ms) => { const d = new Date(ms); return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`; };
const md = (ms) => { const d = new Date(ms); return `${d.getUTCMonth() + 1}月${d.getUTCDate()}日`; };

/** The ``count`` weeks that have ended, oldest first: {week, since, until, label, next}. */
export function finishedWeeks(count, now = Date.now()) {
  const local = new Date(now + 8 * 3600 * 1000);
  const day = local.getUTCDay() || 7;
  const thisMonday = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()) - (day - 1) * DAY;
  const out = [];
  for (let k = count; k >= 1; k--) {
    const start = thisMonday - k * 7 * DAY;
    out.push({ week: isoWeek(start), since: ymd(start), until: ymd(start + 7 * DAY), next: isoWeek(start + 7 * DAY),
      label: `${isoWeek(start)}（${md(start)}—${md(start + 6 * DAY)}）` });
  }
  return out;
}
