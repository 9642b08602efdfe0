// The scanner's offline half: the offline bundle and the queue of unsynced
// scans in IndexedDB, local verification of a ticket code, and syncing.
//
// A ticket code is FG1.<kid>.<payload>.<signature> (registrations/tickets.py):
// Ed25519 over the ASCII "FG1.<kid>.<payload>", the payload two varints
// (registration id, event id). The bundle gives each ticket as sha256(code)
// with the name to show, so the device never holds the codes themselves.

const DB_NAME = "fairground-door";
const DB_VERSION = 1;
const STORES = ["bundle", "queue", "seen"];

let dbPromise = null;

function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        db.createObjectStore("bundle", { keyPath: "event" });
        db.createObjectStore("queue", { keyPath: "client_id" });
        db.createObjectStore("seen", { keyPath: "hash" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return dbPromise;
}

async function run(store, mode, action) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const request = action(tx.objectStore(store));
    tx.oncomplete = () => resolve(request ? request.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export const store = {
  get: (name, key) => run(name, "readonly", (s) => s.get(key)),
  put: (name, value) => run(name, "readwrite", (s) => s.put(value)),
  remove: (name, key) => run(name, "readwrite", (s) => s.delete(key)),
  all: (name) => run(name, "readonly", (s) => s.getAll()),
  count: (name) => run(name, "readonly", (s) => s.count()),
};

// --- encoding helpers -------------------------------------------------------

function fromBase64(text, url) {
  let b64 = url ? text.replace(/-/g, "+").replace(/_/g, "/") : text;
  b64 += "=".repeat((4 - (b64.length % 4)) % 4);
  const binary = atob(b64);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function readVarints(bytes) {
  const values = [];
  let current = 0;
  let shift = 0;
  for (const byte of bytes) {
    current += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (shift > 56) throw new Error("varint too long");
    if (!(byte & 0x80)) {
      values.push(current);
      current = 0;
      shift = 0;
    }
  }
  if (shift) throw new Error("truncated varint");
  return values;
}

export async function codeHash(code) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(code.trim()));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

// --- signatures -------------------------------------------------------------

const keyCache = new Map();
let noble = null;

// WebCrypto Ed25519 where the browser has it (Chromium 137+, Safari 17+,
// Firefox 129+); otherwise the small audited @noble/ed25519, loaded on demand.
async function verifySignature(publicKey, signature, message) {
  try {
    let key = keyCache.get(publicKey);
    if (!key) {
      key = await crypto.subtle.importKey("raw", fromBase64(publicKey, false), { name: "Ed25519" }, false, ["verify"]);
      keyCache.set(publicKey, key);
    }
    return await crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
  } catch (error) {
    if (error && error.name !== "NotSupportedError" && error.name !== "TypeError") return false;
    noble = noble || (await import("/static/build/noble-ed25519.js"));
    try {
      return await noble.verifyAsync(signature, message, fromBase64(publicKey, false));
    } catch {
      return false;
    }
  }
}

// Registration and event ids of a genuine code signed by a key in the bundle, or null.
export async function verifyCode(code, publicKeys) {
  const parts = code.trim().split(".");
  if (parts.length !== 4 || parts[0] !== "FG1" || code.length > 160) return null;
  const [prefix, kid, payload, signature] = parts;
  const publicKey = publicKeys[kid];
  if (!publicKey) return null;
  try {
    const message = new TextEncoder().encode(`${prefix}.${kid}.${payload}`);
    if (!(await verifySignature(publicKey, fromBase64(signature, true), message))) return null;
    const ids = readVarints(fromBase64(payload, true));
    if (ids.length !== 2 || Math.min(...ids) < 1) return null;
    return { registrationId: ids[0], eventId: ids[1] };
  } catch {
    return null;
  }
}

// --- the bundle -------------------------------------------------------------

export class OfflineList {
  constructor(slug) {
    this.slug = slug;
    this.bundle = null;
    this.byHash = new Map();
    this.revoked = new Set();
  }

  use(bundle) {
    this.bundle = bundle;
    this.byHash = new Map(bundle.tickets.map((t) => [t.hash, t]));
    this.revoked = new Set(bundle.revoked);
  }

  async load() {
    const saved = await store.get("bundle", this.slug).catch(() => undefined);
    if (saved) this.use(saved);
    return Boolean(saved);
  }

  // Fetch a fresh bundle; keep the old one when the network is down.
  async refresh() {
    const response = await fetch(`/api/v1/events/${encodeURIComponent(this.slug)}/offline-bundle`, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    });
    if (!response.ok) throw new Error(`offline bundle: HTTP ${response.status}`);
    const bundle = await response.json();
    await store.put("bundle", bundle);
    this.use(bundle);
  }

  // What the door would be told, decided on this device alone.
  async decide(code, door) {
    if (!this.bundle) return { verdict: { result: "invalid" }, admit: false };
    const claims = await verifyCode(code, this.bundle.public_keys);
    if (!claims) return { verdict: { result: "invalid" }, admit: false };
    if (claims.eventId !== this.bundle.event_id) return { verdict: { result: "wrong_event" }, admit: false };
    const closed = notOpen(this.bundle.window, new Date());
    if (closed) return { verdict: closed, admit: false };
    const hash = await codeHash(code);
    if (this.revoked.has(hash)) return { verdict: { result: "cancelled" }, admit: false };
    const ticket = this.byHash.get(hash);
    const attendee = ticket ? attendeeOf(ticket) : null;
    const seen = await store.get("seen", hash).catch(() => undefined);
    if (seen || (ticket && ticket.checked_in)) {
      const verdict = { result: "already_checked_in", attendee, first_checked_in_at: seen?.at || null, first_door: seen?.door || null };
      return { verdict, admit: false };
    }
    const at = new Date().toISOString();
    await store.put("seen", { hash, at, door });
    return { verdict: { result: "ok", attendee, checked_in_at: at, door, unlisted: !ticket }, admit: true };
  }

  // An "ok" from the server: remember it, so this device knows if it goes offline.
  async remember(code, verdict) {
    const hash = await codeHash(code);
    await store.put("seen", { hash, at: verdict.checked_in_at || new Date().toISOString(), door: verdict.door || "" });
  }
}

// The server's rule (registrations/checkin.py): the door admits from the bundle's
// opens_at to its closes_at; outside them, "not_open" with the event's times.
export function notOpen(window, now) {
  if (!window) return null; // a bundle from before the window was carried
  if (new Date(window.opens_at) <= now && now <= new Date(window.closes_at)) return null;
  const { starts_at, ends_at, opens_at, timezone } = window;
  return { result: "not_open", event: { starts_at, ends_at, opens_at, timezone } };
}

function attendeeOf(ticket) {
  return {
    name: ticket.name,
    reference: ticket.reference,
    access_needs: ticket.access_needs,
    slot: ticket.slot, // [start, end] ISO here; the scanner formats it
  };
}

// --- the queue --------------------------------------------------------------

export const queue = {
  add: (scan) => store.put("queue", scan),
  count: () => store.count("queue"),
};

// Statuses after which a queued scan can never succeed, so it is dropped;
// anything else (network error, 5xx, 401/403 until signed in again) is kept.
const HOPELESS = new Set([400, 404, 413, 415, 422]);
let syncing = null;

// Send queued scans oldest first; returns how many remain.
export function syncQueue(post) {
  syncing = syncing || drain(post).finally(() => { syncing = null; });
  return syncing;
}

async function drain(post) {
  const items = (await store.all("queue")).sort((a, b) => a.scanned_at.localeCompare(b.scanned_at));
  for (const item of items) {
    let response;
    try {
      response = await post(item);
    } catch {
      break; // still offline: try again later
    }
    if (response.ok || HOPELESS.has(response.status)) await store.remove("queue", item.client_id);
    else if (response.status >= 500) break;
  }
  return queue.count();
}
