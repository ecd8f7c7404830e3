// The phone's outbox: order steps, progress notes and photos kept in IndexedDB (photos are blobs; web storage
// holds only strings, about 5 MB) and sent in order until the server answers. Each note and photo carries
// its own key, and repeating an order's current status changes nothing, so a retry after a lost answer is safe.
import { authorize, errorText } from "/static/console/api.js";

const DB_NAME = "fengqiao-field";
const STORE = "outbox";
const OLD_KEY = "fengqiao.field.queue";  // the earlier localStorage queue, moved over once
let opening = null;

function request(req) {
  return new Promise((resolve, reject) => { req.onsuccess = () => resolve(req.result); req.onerror = () => reject(req.error); });
}

function db() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    }).then(async (conn) => {
      const old = JSON.parse(localStorage.getItem(OLD_KEY) || "[]");
      for (const item of old) await add(conn, { kind: "step", ...item });
      localStorage.removeItem(OLD_KEY);
      return conn;
    });
  }
  return opening;
}

const add = (conn, item) => request(conn.transaction(STORE, "readwrite").objectStore(STORE).add(item));

export const newKey = () => (crypto.randomUUID ? crypto.randomUUID().replace(/-/g, "")
  : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join(""));

/** Everything waiting, oldest first. */
export async function pending() {
  return request((await db()).transaction(STORE).objectStore(STORE).getAll());
}

/** Queue one item: {kind: "step", orderId, status, reason} | {kind: "note", orderId, caseId, body}
 *  | {kind: "photo", orderId, caseId, blob, place}. */
export async function enqueue(item) {
  await add(await db(), { ...item, key: item.key || newKey(), at: new Date().toISOString() });
}

async function remove(id) {
  await request((await db()).transaction(STORE, "readwrite").objectStore(STORE).delete(id));
}

async function send(item) {
  if (item.kind === "step") {
    return fetch(`/api/v1/dispatches/${item.orderId}`, authorize({ method: "PATCH",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ status: item.status, reason: item.reason || "" }) }));
  }
  if (item.kind === "note") {
    return fetch(`/api/v1/cases/${item.caseId}/notes`, authorize({ method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ body: item.body, dispatch_id: item.orderId, client_key: item.key, written_at: item.at }) }));
  }
  const form = new FormData();
  form.append("file", item.blob, "photo.jpg");
  form.append("dispatch_id", String(item.orderId));
  form.append("client_key", item.key);
  if (item.place && item.place.lon !== null && item.place.lat !== null) {
    form.append("exif_lon", String(item.place.lon));
    form.append("exif_lat", String(item.place.lat));
  }
  if (item.place && item.place.takenAt) form.append("exif_taken_at", item.place.takenAt);
  return fetch(`/api/v1/cases/${item.caseId}/attachments`, authorize({ method: "POST", body: form,
    headers: { Accept: "application/json" } }));
}

/** Send what is queued, oldest first; stop at the first network failure or server error (retried later).
 * An answer that refuses the item (4xx) removes it and is reported through onDone(item, errorText). */
export async function flush(onDone) {
  for (const item of await pending()) {
    let res;
    try {
      res = await send(item);
    } catch (err) {
      return { sent: false };
    }
    if (res.status >= 500 || res.status === 401) return { sent: false, status: res.status };
    const body = await res.json().catch(() => ({}));
    await remove(item.id);
    onDone(item, res.ok ? null : errorText({ status: res.status, body }));
  }
  return { sent: true };
}
