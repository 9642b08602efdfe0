// The stand scanner's service worker, served as /exhibitor/sw.js (scope
// /exhibitor/) by exhibitors/leads/stand_pages.py; leads are queued offline in
// IndexedDB by offline-queue.js, this keeps the page itself.

const CACHE = "fairground-stand-v2";
const CACHE_FAMILY = "fairground-stand-";
const SCANNER_PAGE = /^\/exhibitor\/\d+\/scan$/;
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
  "/static/js/stand-scanner.js",
  "/static/js/offline-queue.js",
];

importScripts("/static/js/scanner-sw-core.js");
