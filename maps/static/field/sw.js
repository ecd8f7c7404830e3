// The field page's service worker (scope /field): the page opens with no signal or no server. The shell, my
// orders and cards, and the map tiles last seen are answered from the network when it answers and from this
// cache when it does not (then with an X-Fengqiao-Cached header, so the page says it shows saved data).
// Writes are never touched here: the page's own outbox (IndexedDB) keeps them until they are sent.
const VERSION = "v1";
const SHELL = `fengqiao-field-shell-${VERSION}`;
const DATA = `fengqiao-field-data-${VERSION}`;
const TILES = `fengqiao-field-tiles-${VERSION}`;
const MAX_TILES = 400;
const SHELL_FILES = [
  "/field", "/field/manifest.webmanifest",
  "/static/field/field.js", "/static/field/queue.js", "/static/field/exif.js", "/static/field/photo.js",
  "/static/field/field.css", "/static/field/icon-192.png",
  "/static/console/api.js", "/static/console/userbar.js", "/static/console/stream.js", "/static/console/view.js",
  "/static/vendor/htm/preact-standalone.module.js",
  "/static/vendor/leaflet/leaflet.js", "/static/vendor/leaflet/leaflet.css",
  "/static/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js",
];
// The API answers the page needs to open: who I am, the meta tables, my orders, their cards and photos, my history.
const DATA_PATHS = [/^\/api\/v1\/auth\/me$/, /^\/api\/v1\/meta$/, /^\/api\/v1\/dispatches$/,
  /^\/api\/v1\/dispatches\/\d+\/card$/, /^\/api\/v1\/field\/history$/, /^\/api\/v1\/staff\/\d+$/,
  /^\/api\/v1\/attachments\/\d+$/, /^\/console\/config\.json$/];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(SHELL_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  const keep = new Set([SHELL, DATA, TILES]);
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith("fengqiao-field-") && !keep.has(n)).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

// The page asks to forget saved personal data (signing out).
self.addEventListener("message", (event) => {
  if (event.data === "forget") event.waitUntil(Promise.all([caches.delete(DATA), caches.delete(TILES)]));
});

async function trimTiles(cache) {
  const keys = await cache.keys();
  await Promise.all(keys.slice(0, Math.max(0, keys.length - MAX_TILES)).map((k) => cache.delete(k)));
}

/** The network's answer (kept when good), else the saved one marked as such, else the network's failure. */
async function networkFirst(request, cacheName, key = request) {
  const cache = await caches.open(cacheName);
  try {
    const response = await fetch(request);
    if (response.ok) {
      await cache.put(key, response.clone());
      if (cacheName === TILES) trimTiles(cache);
    } else if (response.status === 401 && cacheName === DATA) {
      await caches.delete(DATA);  // signed out or revoked: nothing personal stays on the phone
    }
    return response;
  } catch (err) {
    const saved = await cache.match(key);
    if (!saved) throw err;
    const headers = new Headers(saved.headers);
    headers.set("X-Fengqiao-Cached", saved.headers.get("date") || "1");
    return new Response(saved.body, { status: saved.status, statusText: saved.statusText, headers });
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === "/field") {
    event.respondWith(networkFirst(request, SHELL, "/field"));
  } else if (SHELL_FILES.includes(url.pathname)) {
    event.respondWith(networkFirst(request, SHELL, url.pathname));
  } else if (DATA_PATHS.some((re) => re.test(url.pathname))) {
    event.respondWith(networkFirst(request, DATA));
  } else if (url.pathname.startsWith("/tiles/villages/")) {
    event.respondWith(networkFirst(request, TILES));
  }
  // Anything else (the live stream, other pages) goes to the network as usual.
});
