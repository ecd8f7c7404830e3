// Status updates that survive a dropped signal: kept in localStorage and sent in order until the server
// answers. Repeating the status an order already has is answered 200 and changes nothing, so a retry
// after a lost answer is safe.
import { api, errorText } from "/static/console/api.js";

const KEY = "fengqiao.field.queue";
const load = () => JSON.parse(localStorage.getItem(KEY) || "[]");
const save = (items) => localStorage.setItem(KEY, JSON.stringify(items));

export function pending() { return load(); }

export function enqueue(orderId, status, reason = "") {
  save([...load(), { orderId, status, reason, at: new Date().toISOString() }]);
}

/** Send what is queued, oldest first; stop at the first network failure (retried later). */
export async function flush(onDone) {
  let items = load();
  while (items.length) {
    const item = items[0];
    const res = await api(`/api/v1/dispatches/${item.orderId}`, { method: "PATCH",
      json: { status: item.status, reason: item.reason } });
    if (res.status === 0 || res.status >= 500) return { sent: false, waiting: items.length };
    items = items.slice(1);
    save(items);
    onDone(item, res.ok ? null : errorText(res));
  }
  return { sent: true, waiting: 0 };
}
