// The door scanner (templates/registrations/door/scan.html): rear camera,
// continuous QR decoding with zxing-wasm (static/js/qr-camera.js, shared with
// the stand scanner), a full-screen verdict with sound and
// vibration, and an offline fallback (static/js/door-offline.js) that answers
// from the signed offline bundle and queues scans until the network is back.

import { OfflineList, queue, syncQueue } from "/static/js/door-offline.js";
import { QrCamera, cameraProblem, csrfToken, loadDecoder } from "/static/js/qr-camera.js";

const root = document.getElementById("scanner");
const TEXTS = JSON.parse(document.getElementById("scanner-texts").textContent);
const SLUG = root.dataset.slug;
const TIMEZONE = root.dataset.timezone || "Europe/London";
const DEDUP_MS = 3000; // the same code is ignored while seen again within this
const SHOW_OK_MS = 1200;
const SHOW_REFUSAL_MS = 2500; // a refusal needs a moment longer to read
const POST_TIMEOUT_MS = 4000;
const BUNDLE_EVERY_MS = 60_000;
const SYNC_EVERY_MS = 15_000;
const RETRY_MS = 3000; // while scans wait in the queue or the server failed us, look again this often

const $ = (id) => document.getElementById(id);
const list = new OfflineList(SLUG);
const state = { busy: false, lastCode: "", lastSeen: 0, networkOk: true, audio: null, hideTimer: 0, retryTimer: 0, retrying: false };

function t(key, values = {}) {
  return (TEXTS[key] || key).replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? ""));
}

// --- door and device ------------------------------------------------------------

const doorKey = "fairground.door";

function door() {
  return localStorage.getItem(doorKey) || "";
}

function device() {
  let id = localStorage.getItem("fairground.device");
  if (!id) {
    id = `scanner-${crypto.randomUUID().slice(0, 8)}`;
    localStorage.setItem("fairground.device", id);
  }
  return id;
}

// --- times, UK style: 10:42am -------------------------------------------------

function clock(iso) {
  if (!iso) return "";
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone: TIMEZONE, hour: "numeric", minute: "2-digit", hour12: true }).formatToParts(new Date(iso));
  const get = (type) => parts.find((p) => p.type === type)?.value || "";
  const minute = get("minute") === "00" ? "" : `:${get("minute")}`;
  return `${get("hour")}${minute}${get("dayPeriod").toLowerCase().replace(/[^a-z]/g, "")}`;
}

// "Thursday 22 January 2027", as the pages write a day.
function dayText(iso) {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone: TIMEZONE, weekday: "long", day: "numeric", month: "long", year: "numeric" }).formatToParts(new Date(iso));
  const get = (type) => parts.find((p) => p.type === type)?.value || "";
  return `${get("weekday")} ${get("day")} ${get("month")} ${get("year")}`;
}

function notOpenText(event) {
  if (!event) return "";
  if (new Date(event.ends_at) < new Date()) return t("not_open_ended", { day: dayText(event.starts_at) });
  return t("not_open_detail", { day: dayText(event.starts_at), time: clock(event.opens_at) });
}

function slotText(slot) {
  if (!slot) return "";
  return Array.isArray(slot) ? t("span", { start: clock(slot[0]), end: clock(slot[1]) }) : slot;
}

// --- status bar ------------------------------------------------------------------

function setNetwork(ok) {
  state.networkOk = ok;
  const online = ok && navigator.onLine;
  const pill = $("scanner-online");
  pill.dataset.online = online ? "yes" : "no";
  pill.textContent = online ? t("online") : t("offline");
}

async function showUnsynced() {
  const count = await queue.count().catch(() => 0);
  const pill = $("scanner-unsynced");
  pill.dataset.count = String(count);
  pill.textContent = t("unsynced", { count });
}

function showBundle() {
  const line = $("scanner-bundle");
  const bundle = list.bundle;
  line.dataset.count = bundle ? String(bundle.tickets.length) : "0";
  line.textContent = bundle ? t("bundle", { count: bundle.tickets.length, time: clock(bundle.generated_at) }) : t("bundle_none");
}

// --- talking to the server ----------------------------------------------------------

function postScan(scan) {
  return fetch("/api/v1/checkins", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(scan),
    signal: AbortSignal.timeout(POST_TIMEOUT_MS),
  });
}

async function refreshBundle() {
  try {
    await list.refresh();
    setNetwork(true);
  } catch {
    setNetwork(false); // keep the list we have
  }
  showBundle();
  if (state.networkOk) await sync(); // the server is back: send what waited
}

async function sync() {
  if (!navigator.onLine) return;
  const before = await queue.count().catch(() => 0);
  if (!before) return;
  const left = await syncQueue(postScan);
  setNetwork(left < before || left === 0);
  await showUnsynced();
}

// After a failure (a 503 while the database restarts, a timeout, no network),
// look for the server every few seconds, with the oldest queued scan or else the
// bundle, until it answers and the queue is empty; not only on the browser's
// "online" event, which a server-side outage never fires.
async function retry() {
  if (state.retrying) return; // one chain of retries at a time
  state.retrying = true;
  clearTimeout(state.retryTimer);
  let waiting = 0;
  try {
    if (await queue.count().catch(() => 0)) await sync();
    else if (!state.networkOk) await refreshBundle();
    waiting = await queue.count().catch(() => 0);
  } finally {
    state.retrying = false;
  }
  if (waiting || !state.networkOk) state.retryTimer = setTimeout(retry, RETRY_MS);
}

// --- a scan ------------------------------------------------------------------------

async function answerOnline(scan) {
  // Offline, or the server failed us a moment ago: answer at once from the bundle
  // rather than make the queue at the door wait for a timeout; retry() finds the
  // server again in the background.
  if (!navigator.onLine || !state.networkOk) return null;
  try {
    const response = await postScan(scan);
    if (response.ok) {
      setNetwork(true);
      const verdict = await response.json();
      sync(); // anything queued goes now, not at the next timer
      return verdict;
    }
  } catch {
    /* network error or timeout: answer locally */
  }
  setNetwork(false);
  retry();
  return null;
}

async function answerLocally(scan) {
  const { verdict, admit } = await list.decide(scan.code, scan.door);
  if (admit) {
    await queue.add({ ...scan, scanned_at: new Date().toISOString() });
    await showUnsynced();
    retry();
  }
  return { ...verdict, offline: true };
}

async function onCode(code) {
  const now = Date.now();
  const repeat = code === state.lastCode && now - state.lastSeen < DEDUP_MS;
  if (code === state.lastCode) state.lastSeen = now;
  if (repeat || state.busy) return;
  state.busy = true;
  state.lastCode = code;
  state.lastSeen = now;
  try {
    const scan = { code, event: SLUG, door: door(), client_id: crypto.randomUUID(), device: device() };
    let verdict = await answerOnline(scan);
    if (verdict && verdict.result === "ok") list.remember(code, verdict).catch(() => {});
    verdict = verdict || (await answerLocally(scan));
    showVerdict(verdict);
  } finally {
    state.busy = false;
  }
}

// --- the verdict ------------------------------------------------------------------

const TONE = { ok: "ok", already_checked_in: "warn" };

function detailOf(verdict) {
  if (verdict.result === "ok") return verdict.attendee?.slot ? t("slot", { slot: slotText(verdict.attendee.slot) }) : "";
  if (verdict.result === "not_open") return notOpenText(verdict.event);
  if (verdict.result !== "already_checked_in") return "";
  if (!verdict.first_checked_in_at) return t("first_unknown");
  const time = clock(verdict.first_checked_in_at);
  return verdict.first_door ? t("first_at_door", { time, door: verdict.first_door }) : t("first_at", { time });
}

function fill(id, text) {
  const el = $(id);
  el.textContent = text || "";
  el.hidden = !text;
}

function showVerdict(verdict) {
  const tone = TONE[verdict.result] || "bad";
  const panel = $("scanner-verdict");
  const name = verdict.attendee?.name || (verdict.unlisted ? t("not_in_list") : "");
  const access = verdict.result === "ok" && verdict.attendee?.access_needs;
  panel.dataset.result = verdict.result;
  panel.dataset.tone = tone;
  $("verdict-mark").textContent = { ok: "✓", warn: "!", bad: "✗" }[tone];
  $("verdict-title").textContent = t(verdict.result);
  fill("verdict-name", name);
  fill("verdict-access", access ? `${t("access_needs")}: ${access}` : "");
  fill("verdict-detail", detailOf(verdict));
  fill("verdict-note", verdict.offline && verdict.result === "ok" ? t("offline_note") : "");
  panel.hidden = false;
  $("scanner-announce").textContent = [t(verdict.result), name, access ? `${t("access_needs")}: ${access}` : "", detailOf(verdict)].filter(Boolean).join(". ");
  signal(tone);
  clearTimeout(state.hideTimer);
  // WCAG 2.2.1: staff who need longer keep each answer until they tap it away.
  if (!holdVerdicts()) state.hideTimer = setTimeout(hideVerdict, tone === "ok" ? SHOW_OK_MS : SHOW_REFUSAL_MS);
}

const holdKey = "fairground.hold-verdicts";

function holdVerdicts() {
  return localStorage.getItem(holdKey) === "yes";
}

function hideVerdict() {
  clearTimeout(state.hideTimer);
  $("scanner-verdict").hidden = true;
}

// Distinct sounds and buzzes, so the door need not look at the screen.
function signal(tone) {
  const pattern = { ok: [80], warn: [80, 60, 80], bad: [300] }[tone];
  if (navigator.vibrate) navigator.vibrate(pattern);
  const audio = state.audio;
  if (!audio) return;
  const notes = { ok: [[880, 0, 0.09], [1320, 0.1, 0.12]], warn: [[660, 0, 0.12], [660, 0.18, 0.12]], bad: [[220, 0, 0.4]] }[tone];
  for (const [frequency, start, length] of notes) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = tone === "bad" ? "square" : "sine";
    osc.frequency.value = frequency;
    gain.gain.value = 0.2;
    osc.connect(gain).connect(audio.destination);
    osc.start(audio.currentTime + start);
    osc.stop(audio.currentTime + start + length);
  }
}

// --- the camera (static/js/qr-camera.js) ---------------------------------------------

const camera = new QrCamera($("scanner-video"), onCode);

async function startCamera() {
  try {
    await camera.start();
  } catch (error) {
    showProblem(error);
    return;
  }
  setUpTorch();
}

function stopCamera() {
  camera.stop();
}

function showProblem(error) {
  const problem = cameraProblem(error);
  $("scanner-problem-title").textContent = t(problem);
  $("scanner-denied-help").hidden = problem !== "denied";
  $("scanner-camera").hidden = true;
  $("scanner-problem").hidden = false;
  $("scanner-announce").textContent = $("scanner-problem-title").textContent;
}

function setUpTorch() {
  const button = $("scanner-torch");
  button.hidden = !camera.hasTorch;
  button.onclick = async () => {
    const on = await camera.toggleTorch();
    button.setAttribute("aria-pressed", String(on));
    button.textContent = on ? t("torch_off") : t("torch_on");
  };
}

// --- set-up ----------------------------------------------------------------------------

function showDoor() {
  $("scanner-door-label").textContent = door() ? t("door", { door: door() }) : "";
}

function askForDoor() {
  stopCamera();
  $("scanner-camera").hidden = true;
  $("scanner-controls").hidden = true;
  $("scanner-setup").hidden = false;
  $("scanner-door").value = door();
  $("scanner-door").focus();
}

// GOV.UK's error pattern: a summary naming the field, the message by the field,
// and the field focused (so the phone's keyboard is up to type the door).
function doorError(show) {
  const input = $("scanner-door");
  $("scanner-door-summary").hidden = !show;
  $("scanner-door-error").hidden = !show;
  input.closest(".govuk-form-group").classList.toggle("govuk-form-group--error", show);
  input.classList.toggle("govuk-input--error", show);
  const ids = ["scanner-door-hint", ...(show ? ["scanner-door-error"] : [])];
  input.setAttribute("aria-describedby", ids.join(" "));
  if (show) input.focus();
}

async function start(event) {
  event.preventDefault();
  const name = $("scanner-door").value.trim().slice(0, 80);
  doorError(!name);
  if (!name) return;
  localStorage.setItem(doorKey, name);
  localStorage.setItem(holdKey, $("scanner-hold").checked ? "yes" : "no");
  showDoor();
  // A tap is what lets the page make sounds (browsers' autoplay rule).
  const Audio = window.AudioContext || window.webkitAudioContext;
  state.audio = state.audio || (Audio ? new Audio() : null);
  $("scanner-setup").hidden = true;
  $("scanner-problem").hidden = true;
  $("scanner-camera").hidden = false;
  $("scanner-controls").hidden = false;
  await startCamera();
}

function wire() {
  root.classList.add("app-scanner--live");
  document.body.classList.add("app-scanner-page");
  $("scanner-setup").hidden = false;
  $("scanner-door").value = door();
  $("scanner-hold").checked = holdVerdicts();
  $("scanner-setup").addEventListener("submit", start);
  $("scanner-door-summary-link").addEventListener("click", (e) => { e.preventDefault(); $("scanner-door").focus(); });
  $("scanner-change-door").addEventListener("click", askForDoor);
  $("scanner-verdict").addEventListener("click", hideVerdict);
  document.addEventListener("keydown", (e) => e.key === "Escape" && hideVerdict());
  window.addEventListener("online", () => { setNetwork(true); refreshBundle(); });
  window.addEventListener("offline", () => setNetwork(false));
  setInterval(refreshBundle, BUNDLE_EVERY_MS);
  setInterval(sync, SYNC_EVERY_MS);
}

async function main() {
  wire();
  showDoor();
  setNetwork(navigator.onLine);
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/door/sw.js", { scope: "/door/" }).catch(() => {});
  await list.load();
  showBundle();
  await showUnsynced();
  await refreshBundle();
  await retry();
  loadDecoder().catch(() => {}); // warm the decoder (and the service worker's cache) early
}

main();
