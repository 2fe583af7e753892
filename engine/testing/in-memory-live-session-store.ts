/** In-memory live session storage (records + checkpoints + leases) for tests; records are copied in and out. */
import type { Clock } from '../core/clock';
import { StaleLeaseError } from '../core/errors';
import { MAX_FENCING_TOKEN, MAX_SESSION_LEASE_MS, type LiveCheckpoint, type LiveSessionRecord, type LiveSessionStore, type SessionFence, type SessionLease } from '../ports/live-sessions';
import type { RunSpec } from '../trading/run-spec';
import { DEFAULT_ACCOUNT_ID } from '../account/account-config';

/**
 * A store whose `records` map exposes the stored sessions to tests. Leases are measured by `clock`
 * (the database's clock in production); without one every lease lasts until released or taken over.
 */
/** The account a session trades (records from before accounts trade the default one). */
const accountOf = (record: LiveSessionRecord<RunSpec>) => (typeof record.config.accountId === 'string' ? record.config.accountId : DEFAULT_ACCOUNT_ID);

export function createInMemoryLiveSessionStore(clock: Clock = { nowMs: () => 0 }): LiveSessionStore<RunSpec> & { readonly records: Map<string, LiveSessionRecord<RunSpec>> } {
  const records = new Map<string, LiveSessionRecord<RunSpec>>();
  const leaseOf = (r: LiveSessionRecord<RunSpec>): SessionLease => r.lease ?? { owner: null, expiresAtMs: null, token: 0 };
  const fenceHolds = (fence: SessionFence | undefined) => {
    if (!fence) return;
    const r = records.get(fence.sessionId);
    const current = r ? leaseOf(r).token : null;
    if (current !== fence.token) throw new StaleLeaseError(fence.sessionId, fence.token, current);
  };
  return {
    records,
    // Like the database's upsert: the lease columns are the claim's, never the record's, and the
    // checkpoint's venue position stays.
    upsert: async (r) => void records.set(r.id, { ...records.get(r.id), ...r, lease: records.has(r.id) ? leaseOf(records.get(r.id)!) : leaseOf(r) }),
    get: async (id) => (records.has(id) ? { ...records.get(id)!, lease: { ...leaseOf(records.get(id)!) } } : null),
    list: async () => [...records.values()].map((r) => ({ ...r, lease: { ...leaseOf(r) } })),
    remove: async (id) => void records.delete(id),
    setStatus: async (id, status, lastError, updatedAtMs) => void Object.assign(records.get(id)!, { status, lastError, updatedAtMs }),
    load: async (id) => {
      const r = records.get(id);
      if (!r || r.lastCandleMs === null) return null;
      // The checkpoint's venue position, as the database store keeps it.
      const venuePosition = (r as { venuePosition?: LiveCheckpoint['venuePosition'] }).venuePosition;
      return { sessionId: id, lastCandleMs: r.lastCandleMs, updatedAtMs: r.updatedAtMs, ...(venuePosition === undefined ? {} : { venuePosition }) };
    },
    save: async (c, fence) => {
      fenceHolds(fence);
      Object.assign(records.get(c.sessionId)!, { lastCandleMs: c.lastCandleMs, updatedAtMs: c.updatedAtMs, venuePosition: c.venuePosition });
    },
    async insertIfMissing(r) {
      if (records.has(r.id)) return false;
      records.set(r.id, { ...r, lease: { owner: null, expiresAtMs: null, token: 0 } });
      return true;
    },
    async claim(id, owner, leaseMs, takeOverFrom) {
      const r = records.get(id);
      if (!r) return null;
      const lease = leaseOf(r);
      const now = clock.nowMs();
      const ended = lease.expiresAtMs !== null && (lease.expiresAtMs < now || lease.expiresAtMs > now + MAX_SESSION_LEASE_MS);
      const free = lease.owner === null || ended || (takeOverFrom !== undefined && lease.owner === takeOverFrom);
      if (!free || !(lease.token < MAX_FENCING_TOKEN)) return null;
      // One trader per account, as the database: refused while another trader holds a current lease on a sibling.
      for (const other of records.values()) {
        const held = leaseOf(other);
        if (other.id === id || accountOf(other) !== accountOf(r) || held.owner === null || held.owner === owner || held.owner === takeOverFrom) continue;
        if (held.expiresAtMs !== null && held.expiresAtMs >= now && held.expiresAtMs <= now + MAX_SESSION_LEASE_MS) return null;
      }
      r.lease = { owner, expiresAtMs: now + leaseMs, token: lease.token + 1 };
      return r.lease.token;
    },
    async renew(id, owner, token, leaseMs) {
      const r = records.get(id);
      if (!r || leaseOf(r).owner !== owner || leaseOf(r).token !== token) return false;
      r.lease = { owner, expiresAtMs: clock.nowMs() + leaseMs, token };
      return true;
    },
    async release(id, owner, token) {
      const r = records.get(id);
      if (r && leaseOf(r).owner === owner && leaseOf(r).token === token) r.lease = { owner: null, expiresAtMs: null, token };
    },
    async accountHolder(accountId) {
      const now = clock.nowMs();
      for (const r of records.values()) {
        const held = leaseOf(r);
        if (accountOf(r) !== accountId || held.owner === null || held.expiresAtMs === null) continue;
        if (held.expiresAtMs >= now && held.expiresAtMs <= now + MAX_SESSION_LEASE_MS) return held.owner;
      }
      return null;
    },
  };
}
