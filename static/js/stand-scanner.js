// The stand scanner (templates/leads/stand_scan.html): the door's camera and
// decoder (static/js/qr-camera.js), then a quick form for the lead, posted to
// /api/v1/leads. While the network is down a lead is kept in IndexedDB
// (static/js/offline-queue.js) and sent when it is back; the API is idempotent
// by client_id, so a lead sent twice is saved once, and scanning the same
// person again updates their lead.

import { OfflineQueue } from "/static/js/offline-queue.js";
import { QrCamera, cameraProblem, csrfToken, loadDecoder } from "/static/js/qr-camera.js";

const $ = (id) => document.getElementById(id);
const root = $("stand-scanner");
const TEXTS = JSON.parse($("stand-texts").textContent);
const EXHIBITOR_ID = Number(root.dataset.exhibitorId);
const POST_TIMEOUT_MS = 6000;
const SYNC_EVERY_MS = 15_000;
const SAME_CODE_MS = 5000; // after "Scan next", the ticket just saved is ignored this long

const queue = new OfflineQueue("fairground-stand");
const camera = new QrCamera($("stand-video"), onCode);
const state = { code: "", lastCode: "", resumedAt: 0, sending: false };

function t(key, values = {}) {
  return (TEXTS[key] || key).replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? ""));
}

function fill(id, text) {
  const el = $(id);
  el.textContent = text || "";
  el.hidden = !text;
}

function announce(text) {
  $("stand-announce").textContent = text;
}

// --- status bar ------------------------------------------------------------------

function setNetwork(ok) {
  const online = ok && navigator.onLine;
  const pill = $("stand-online");
  pill.dataset.online = online ? "yes" : "no";
  pill.textContent = online ? t("online") : t("offline");
}

async function showUnsynced() {
  const count = await queue.count().catch(() => 0);
  const pill = $("stand-unsynced");
  pill.dataset.count = String(count);
  pill.textContent = t("unsynced", { count });
}

// --- talking to the server ---------------------------------------------------------

function postLead(body) {
  return fetch("/api/v1/leads", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(POST_TIMEOUT_MS),
  });
}

async function onRefused(item, response) {
  const answer = await response.json().catch(() => ({}));
  fill("stand-refused", t("refused", { detail: answer.detail || t(answer.error) || response.status }));
}

async function sync() {
  if (!navigator.onLine) return;
  const before = await queue.count().catch(() => 0);
  if (!before) return;
  const left = await queue.sync((item) => postLead(item.body), onRefused);
  setNetwork(left < before || left === 0);
  await showUnsynced();
}

// Online: the server's answer. Network down (or the server failing): kept here.
async function sendLead(body) {
  if (navigator.onLine) {
    try {
      const response = await postLead(body);
      if (response.status < 500) {
        setNetwork(true);
        return { status: response.status, answer: await response.json().catch(() => ({})) };
      }
    } catch {
      setNetwork(false);
    }
  }
  await queue.add({ client_id: body.client_id, body });
  await showUnsynced();
  return { queued: true };
}

// --- a scan, then the form ------------------------------------------------------------

function onCode(code) {
  if (!$("stand-sheet").hidden) return;
  if (code === state.lastCode && Date.now() - state.resumedAt < SAME_CODE_MS) return;
  state.code = code;
  state.lastCode = code;
  camera.pause();
  if (navigator.vibrate) navigator.vibrate([80]);
  openForm();
}

function openForm() {
  $("stand-form").reset();
  $("stand-form").hidden = false;
  $("stand-result").hidden = true;
  $("stand-sheet").hidden = false;
  document.body.classList.add("app-stand-sheet-open");
  $("stand-form-title").focus();
  announce(t("scanned"));
}

function leadBody() {
  const data = new FormData($("stand-form"));
  const rating = data.get("rating");
  return {
    code: state.code,
    rating: rating ? Number(rating) : null,
    notes: String(data.get("notes") || "").trim(),
    interests: data.getAll("interests").map(String),
    consent_given: data.get("consent") === "yes",
    client_id: crypto.randomUUID(),
    exhibitor_id: EXHIBITOR_ID,
  };
}

async function submit(event) {
  event.preventDefault();
  if (state.sending) return;
  state.sending = true;
  $("stand-save").disabled = true;
  try {
    showResult(await sendLead(leadBody()));
  } finally {
    state.sending = false;
    $("stand-save").disabled = false;
  }
}

// --- the result ------------------------------------------------------------------------

// The API's refusals that have a short title of their own (the rest show its detail).
const REFUSALS = new Set(["invalid_ticket", "wrong_event", "ticket_cancelled", "not_exhibitor_staff", "exhibitor_not_approved"]);

function describe({ queued, status, answer }) {
  if (queued) return { tone: "warn", title: t("queued"), note: t("queued_note") };
  if (status === 200 || status === 201) {
    const given = answer.consent === "given";
    return {
      tone: "ok",
      title: status === 201 ? t("saved") : t("updated"),
      name: answer.attendee?.name,
      email: given ? answer.attendee?.email : "",
      phone: given ? answer.attendee?.phone : "",
      note: given ? t("consent_note") : t("no_consent_note"),
    };
  }
  if (REFUSALS.has(answer.error)) return { tone: "bad", title: t(answer.error) };
  if (status === 401) return { tone: "bad", title: t("not_saved"), note: t("unauthorized") };
  if (status === 403) return { tone: "bad", title: t("not_saved"), note: answer.detail || t("forbidden") };
  return { tone: "bad", title: t("not_saved"), note: answer.detail || String(status) };
}

function showResult(outcome) {
  const shown = describe(outcome);
  const panel = $("stand-result");
  panel.dataset.tone = shown.tone;
  $("stand-result-mark").textContent = { ok: "✓", warn: "!", bad: "✗" }[shown.tone];
  $("stand-result-title").textContent = shown.title;
  fill("stand-result-name", shown.name);
  fill("stand-result-email", shown.email ? t("email", { email: shown.email }) : "");
  fill("stand-result-phone", shown.phone ? t("phone", { phone: shown.phone }) : "");
  fill("stand-result-note", shown.note);
  $("stand-form").hidden = true;
  panel.hidden = false;
  $("stand-result-title").focus();
  announce([shown.title, shown.name, shown.note].filter(Boolean).join(". "));
}

function scanNext() {
  $("stand-sheet").hidden = true;
  document.body.classList.remove("app-stand-sheet-open");
  state.resumedAt = Date.now();
  camera.resume();
  $("stand-hint").focus();
}

// --- the camera --------------------------------------------------------------------------

function showProblem(error) {
  const problem = cameraProblem(error);
  $("stand-problem-title").textContent = t(problem);
  $("stand-denied-help").hidden = problem !== "denied";
  $("stand-camera").hidden = true;
  $("stand-problem").hidden = false;
  announce(t(problem));
}

function setUpTorch() {
  const button = $("stand-torch");
  button.hidden = !camera.hasTorch;
  button.onclick = async () => {
    const on = await camera.toggleTorch();
    button.setAttribute("aria-pressed", String(on));
    button.textContent = on ? t("torch_off") : t("torch_on");
  };
}

async function start() {
  $("stand-setup").hidden = true;
  $("stand-problem").hidden = true;
  $("stand-camera").hidden = false;
  $("stand-controls").hidden = false;
  try {
    await camera.start();
  } catch (error) {
    showProblem(error);
    return;
  }
  setUpTorch();
}

function wire() {
  root.classList.add("app-scanner--live");
  // Unlike the door's, the stand scanner keeps the site header and the link back to
  // the stand: staff move between it, their leads and their stand all day.
  document.body.classList.add("app-scanner-page", "app-stand-scanner-page");
  $("stand-setup").hidden = false;
  $("stand-start").addEventListener("click", start);
  $("stand-form").addEventListener("submit", submit);
  $("stand-cancel").addEventListener("click", scanNext);
  $("stand-next").addEventListener("click", scanNext);
  document.addEventListener("keydown", (e) => e.key === "Escape" && !$("stand-result").hidden && scanNext());
  window.addEventListener("online", () => { setNetwork(true); sync(); });
  window.addEventListener("offline", () => setNetwork(false));
  setInterval(sync, SYNC_EVERY_MS);
}

async function main() {
  wire();
  setNetwork(navigator.onLine);
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/exhibitor/sw.js", { scope: "/exhibitor/" }).catch(() => {});
  await showUnsynced();
  await sync();
  // Fetch and compile the decoder now, while there is a network.
  loadDecoder({ eager: true }).catch(() => {});
}

main();
