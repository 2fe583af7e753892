/** In-memory live session storage (records + checkpoints) for tests; records are copied in and out. */
import type { LiveCheckpoint, LiveSessionRecord, LiveSessionStore } from '../ports/live-sessions';
import type { RunSpec } from '../trading/run-spec';

/** A store whose `records` map exposes the stored sessions to tests. */
export function createInMemoryLiveSessionStore(): LiveSessionStore<RunSpec> & { readonly records: Map<string, LiveSessionRecord<RunSpec>> } {
  const records = new Map<string, LiveSessionRecord<RunSpec>>();
  return {
    records,
    // Like the database store, replacing a record keeps its checkpoint's venue position.
    upsert: async (r) => void records.set(r.id, { ...records.get(r.id), ...r }),
    get: async (id) => (records.has(id) ? { ...records.get(id)! } : null),
    list: async () => [...records.values()].map((r) => ({ ...r })),
    remove: async (id) => void records.delete(id),
    setStatus: async (id, status, lastError, updatedAtMs) => void Object.assign(records.get(id)!, { status, lastError, updatedAtMs }),
    load: async (id) => {
      const r = records.get(id);
      if (!r || r.lastCandleMs === null) return null;
      // The checkpoint's venue position, as the database store keeps it.
      const venuePosition = (r as { venuePosition?: LiveCheckpoint['venuePosition'] }).venuePosition;
      return { sessionId: id, lastCandleMs: r.lastCandleMs, updatedAtMs: r.updatedAtMs, ...(venuePosition === undefined ? {} : { venuePosition }) };
    },
    save: async (c) => void Object.assign(records.get(c.sessionId)!, { lastCandleMs: c.lastCandleMs, updatedAtMs: c.updatedAtMs, venuePosition: c.venuePosition }),
  };
}
