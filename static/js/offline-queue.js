// A queue of API requests kept in IndexedDB while the network is down, and sent
// oldest first when it is back. Items are keyed by their client_id, which the
// API treats as an idempotency key, so an item sent twice has one effect.
// Used by the stand scanner (the door keeps its own, in door-offline.js, next to
// its offline bundle).

const STORE = "queue";

// Statuses after which a queued request can never succeed, so it is dropped;
// anything else (network error, 5xx, 401/403 until signed in again) is kept.
const HOPELESS = new Set([400, 404, 409, 413, 415, 422]);

export class OfflineQueue {
  constructor(dbName) {
    this.dbName = dbName;
    this.db = null;
    this.syncing = null;
  }

  open() {
    this.db = this.db || new Promise((resolve, reject) => {
      const request = indexedDB.open(this.dbName, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "client_id" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return this.db;
  }

  async run(mode, action) {
    const db = await this.open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = action(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  add(item) {
    return this.run("readwrite", (s) => s.put({ ...item, queued_at: item.queued_at || new Date().toISOString() }));
  }

  count() {
    return this.run("readonly", (s) => s.count());
  }

  all() {
    return this.run("readonly", (s) => s.getAll());
  }

  remove(clientId) {
    return this.run("readwrite", (s) => s.delete(clientId));
  }

  // Send every item with post(item) → Response, oldest first; returns how many
  // remain. onRefused(item, response) hears of items dropped as hopeless.
  sync(post, onRefused = () => {}) {
    this.syncing = this.syncing || this.drain(post, onRefused).finally(() => { this.syncing = null; });
    return this.syncing;
  }

  async drain(post, onRefused) {
    const items = (await this.all()).sort((a, b) => a.queued_at.localeCompare(b.queued_at));
    for (const item of items) {
      let response;
      try {
        response = await post(item);
      } catch {
        break; // still offline: try again later
      }
      if (response.ok) await this.remove(item.client_id);
      else if (HOPELESS.has(response.status)) {
        await this.remove(item.client_id);
        await onRefused(item, response);
      } else if (response.status >= 500) break;
    }
    return this.count();
  }
}
