// The station app's service worker: after the first visit the page and every script it needs
// come from this cache, so the app opens and works with no network; each one is refreshed in
// the background whenever the network answers. API and sync calls are never cached: the app's
// data lives in IndexedDB and reaches the server through the outbox.
const CACHE = "station-v1";
const SHELL = [
  "/station",
  "/static/station/app.js", "/static/station/views.js", "/static/station/model.js",
  "/static/station/dom.js", "/static/station/i18n.js", "/static/station/app.css",
  "/static/station/manifest.webmanifest",
  "/static/sync-client/index.js", "/static/sync-client/client.js", "/static/sync-client/store.js",
  "/static/sync-client/hlc.js", "/static/sync-client/msgpack.js", "/static/sync-client/backend-idb.js",
  "/static/sync-client/backend-memory.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin) return;
  const path = url.pathname === "/station/" ? "/station" : url.pathname;
  if (!SHELL.includes(path)) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const cached = await cache.match(path);
    const fresh = fetch(path).then((resp) => {
      if (resp.ok) cache.put(path, resp.clone());
      return resp;
    });
    if (cached) { event.waitUntil(fresh.catch(() => {})); return cached; }
    return fresh;
  })());
});
