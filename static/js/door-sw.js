// The door's service worker, served as /door/sw.js (scope /door/) by
// registrations/door_pages.py. The scanner answers offline from its own signed
// bundle in IndexedDB; this keeps the page itself.

const CACHE = "fairground-door-v3";
const CACHE_FAMILY = "fairground-door-";
const SCANNER_PAGE = /^\/door\/events\/[^/]+\/scan$/;
const PRECACHE = [
  "/static/build/app.css",
  "/static/build/govuk-frontend.min.js",
  "/static/js/app.js",
  "/static/js/qr-camera.js",
  "/static/build/zxing/reader/index.js",
  "/static/build/zxing/share.js",
  "/static/build/zxing/zxing_reader.wasm",
  "/static/build/images/favicon.svg",
  "/static/build/images/favicon.ico",
  "/static/js/scanner-sw-core.js",
  "/static/js/scanner.js",
  "/static/js/door-offline.js",
  "/static/build/noble-ed25519.js",
];

importScripts("/static/js/scanner-sw-core.js");
