/** In-memory live session storage (records + checkpoints) for tests; records are copied in and out. */
import type { LiveSessionRecord, LiveSessionStore } from '../live/live-session-manager';

export function createInMemoryLiveSessionStore(): LiveSessionStore & { readonly records: Map<string, LiveSessionRecord> } {
  const records = new Map<string, LiveSessionRecord>();
  return {
    records,
    upsert: async (r) => void records.set(r.id, { ...r }),
    get: async (id) => (records.has(id) ? { ...records.get(id)! } : null),
    list: async () => [...records.values()].map((r) => ({ ...r })),
    remove: async (id) => void records.delete(id),
    setStatus: async (id, status, lastError, updatedAtMs) => void Object.assign(records.get(id)!, { status, lastError, updatedAtMs }),
    load: async (id) => {
      const r = records.get(id);
      return r && r.lastCandleMs !== null ? { sessionId: id, lastCandleMs: r.lastCandleMs, updatedAtMs: r.updatedAtMs } : null;
    },
    save: async (c) => void Object.assign(records.get(c.sessionId)!, { lastCandleMs: c.lastCandleMs, updatedAtMs: c.updatedAtMs, venuePosition: c.venuePosition }),
  };
}
