// What every scanner's service worker does (door and stand): keep the scanner
// page, its scripts, styles and the QR decoder, so a scanner reloaded without a
// network still works. Network first (a deploy reaches devices at once), the
// cache when the network fails, the server answers 5xx, or it is slower than a
// few seconds; the API is never cached. Each worker sets CACHE, CACHE_FAMILY,
// PRECACHE and SCANNER_PAGE, then loads this file with importScripts.

const NETWORK_TIMEOUT_MS = 3000;

self.addEventListener("install", (event) => {
  // One missing file must not stop the rest being kept.
  event.waitUntil(caches.open(CACHE).then((cache) => Promise.allSettled(PRECACHE.map((url) => cache.add(url)))));
  self.skipWaiting();
});

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
  await Promise.all(names.filter((n) => n.startsWith(CACHE_FAMILY) && n !== CACHE).map((n) => caches.delete(n)));
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
  // One copy per path: pages link static files as /static/…?v=<hash of the file>
  // (fairground/static.py), and the copy kept must be the newest, whatever its ?v=.
  const key = new URL(request.url).pathname;
  try {
    const response = await Promise.race([
      fetch(request),
      new Promise((_, reject) => setTimeout(() => reject(new Error("slow network")), NETWORK_TIMEOUT_MS)),
    ]);
    if (response.ok) cache.put(key, response.clone());
    // A 5xx (the database restarting) is no page to scan with: the kept copy is.
    if (response.status >= 500) return (await cache.match(key)) || response;
    return response;
  } catch (error) {
    const cached = await cache.match(key);
    if (cached) return cached;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  if (cacheable(event.request)) event.respondWith(networkFirst(event.request));
});
