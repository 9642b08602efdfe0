// The live door dashboard: on each check-in or undo announced by the server
// (Server-Sent Events), fetch the figures again and swap them in. Updates are
// coalesced, so a rush at the door costs one fetch a second at most. While the
// stream is down the figures are fetched every few seconds instead, and a stream
// the server refused (a 503 while its database restarts) is opened again.

const panel = document.getElementById("door-panel");
const live = document.getElementById("door-live");
const MIN_GAP_MS = 1000;
const RECONNECT_MS = 5000;
const POLL_MS = 10_000;
let pending = false;
let last = 0;
let opened = false;

async function refresh() {
  pending = false;
  last = Date.now();
  const response = await fetch(panel.dataset.src, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (response.ok) panel.innerHTML = await response.text();
}

function schedule() {
  if (pending) return;
  pending = true;
  setTimeout(() => refresh().catch(() => { pending = false; }), Math.max(0, last + MIN_GAP_MS - Date.now()));
}

function connect() {
  const source = new EventSource(panel.dataset.events);
  source.addEventListener("open", () => {
    live.dataset.state = "live";
    if (opened) schedule(); // catch up on what was missed while disconnected
    opened = true;
  });
  source.addEventListener("checkin", schedule);
  source.addEventListener("error", () => {
    live.dataset.state = "reconnecting";
    schedule();
    // The browser reconnects a dropped stream by itself, but gives up for good
    // on an error answer: open a new one a little later.
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, RECONNECT_MS);
  });
}

if (panel && "EventSource" in window) {
  connect();
  setInterval(() => { if (live.dataset.state !== "live") schedule(); }, POLL_MS);
}
