// The door's service worker, served as /door/sw.js (scope /door/) by
// registrations/door_pages.py. It keeps the scanner page, its script, styles
// and the QR decoder, so a scanner reloaded without a network still works.
//
// Network first (a deploy reaches the door at once), the cache when the
// network fails or is slower than a few seconds. The API is never cached:
// the scanner answers offline from its own signed bundle in IndexedDB.

const CACHE = "fairground-door-v2";
const NETWORK_TIMEOUT_MS = 3000;
const PRECACHE = [
  "/static/build/app.css",
  "/static/build/govuk-frontend.min.js",
  "/static/js/app.js",
  "/static/js/scanner.js",
  "/static/js/door-offline.js",
  "/static/js/qr-camera.js",
  "/static/build/zxing/reader/index.js",
  "/static/build/zxing/share.js",
  "/static/build/zxing/zxing_reader.wasm",
  "/static/build/noble-ed25519.js",
  "/static/build/images/favicon.svg",
  "/static/build/images/favicon.ico",
];

self.addEventListener("install", (event) => {
  // One missing file must not stop the rest being kept.
  event.waitUntil(caches.open(CACHE).then((cache) => Promise.allSettled(PRECACHE.map((url) => cache.add(url)))));
  self.skipWaiting();
});

const SCANNER_PAGE = /^\/door\/events\/[^/]+\/scan$/;

// The scanner page that registered this worker loaded before the worker
// existed, so keep a copy of it now; later loads refresh it on the way through.
async function keepOpenScanners() {
  const cache = await caches.open(CACHE);
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const pages = windows.map((c) => new URL(c.url)).filter((u) => SCANNER_PAGE.test(u.pathname));
  await Promise.allSettled(pages.map((u) => cache.add(u.pathname)));
}

async function dropOldCaches() {
  const names = await caches.keys();
  await Promise.all(names.filter((n) => n.startsWith("fairground-door-") && n !== CACHE).map((n) => caches.delete(n)));
}

self.addEventListener("activate", (event) => {
  event.waitUntil(dropOldCaches().then(keepOpenScanners).then(() => self.clients.claim()));
});

function cacheable(request) {
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return false;
  return PRECACHE.includes(url.pathname) || SCANNER_PAGE.test(url.pathname);
}

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await Promise.race([
      fetch(request),
      new Promise((_, reject) => setTimeout(() => reject(new Error("slow network")), NETWORK_TIMEOUT_MS)),
    ]);
    if (response.ok) cache.put(request, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(request, { ignoreSearch: true });
    if (cached) return cached;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  if (cacheable(event.request)) event.respondWith(networkFirst(event.request));
});
