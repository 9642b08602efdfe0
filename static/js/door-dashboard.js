// The live door dashboard: on each check-in or undo announced by the server
// (Server-Sent Events), fetch the figures again and swap them in. Updates are
// coalesced, so a rush at the door costs one fetch a second at most.

const panel = document.getElementById("door-panel");
const live = document.getElementById("door-live");
const MIN_GAP_MS = 1000;
let pending = false;
let last = 0;

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

if (panel && "EventSource" in window) {
  const source = new EventSource(panel.dataset.events);
  source.addEventListener("open", () => { live.dataset.state = "live"; });
  source.addEventListener("checkin", schedule);
  // The browser reconnects by itself; catch up on what was missed meanwhile.
  source.addEventListener("error", () => { live.dataset.state = "reconnecting"; schedule(); });
}
