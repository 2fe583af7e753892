/**
 * Drizzle implementation of live session storage: the sessions an operator started (config,
 * status, whether it trades on a real venue) and each session's resume checkpoint.
 */
import { and, desc, eq, lt, sql } from 'drizzle-orm';
import { StaleLeaseError } from '../../engine/core/errors';
import { MAX_FENCING_TOKEN, MAX_SESSION_LEASE_MS, type LiveCheckpoint, type LiveSessionRecord, type LiveSessionStore, type VenuePosition } from '../../engine/ports/live-sessions';
import type { RunSpec } from '../../engine/trading/run-spec';
import { DEFAULT_ACCOUNT_ID } from '../../engine/account/account-config';
import type { Db } from '../client';
import { liveSessions } from '../schema';
import { wrapDriver } from './sql-helpers';

/**
 * The `config` column holds the session's request and, under this key, the run spec resolved when it
 * started (no column of its own: the request schema has no such field, so a resume reads the request alone).
 */
const SPEC_KEY = 'resolvedSpec';

const toRecord = (r: typeof liveSessions.$inferSelect): LiveSessionRecord<RunSpec> => ({
  id: r.id,
  exchange: r.exchange,
  symbol: r.symbol,
  timeframe: r.timeframe,
  config: Object.fromEntries(Object.entries(r.config).filter(([key]) => key !== SPEC_KEY)),
  spec: (r.config[SPEC_KEY] as RunSpec | undefined) ?? null,
  status: r.status,
  lastCandleMs: r.lastCandleMs === null ? null : Number(r.lastCandleMs),
  liveTrading: r.liveTrading,
  lastError: r.lastError,
  startedAtMs: r.startedAtMs === null ? null : Number(r.startedAtMs),
  updatedAtMs: Number(r.updatedAtMs),
  lease: { owner: r.leaseOwner, expiresAtMs: r.leaseExpiresAtMs === null ? null : Number(r.leaseExpiresAtMs), token: Number(r.fencingToken) },
});

/** The account a session row trades (records from before accounts trade the default one). */
const ACCOUNT_OF_ROW = sql`coalesce(${liveSessions.config}->>'accountId', ${DEFAULT_ACCOUNT_ID})`;

/** The database's clock, epoch ms: every trader's lease is measured by one clock, whatever the hosts' clocks say. */
const DB_NOW_MS = sql`(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/** Builds the live session repository over a drizzle handle (PGlite or postgres.js). */
export function createLiveSessionRepository(db: Db): LiveSessionStore<RunSpec> {
  return {
    async upsert(record) {
      const { spec, lease: _lease, ...fields } = record;
      const row = { ...fields, config: spec ? { ...record.config, [SPEC_KEY]: spec } : record.config };
      const { id: _id, ...update } = row;
      await wrapDriver(`saving live session "${record.id}"`, () =>
        db.insert(liveSessions).values(row).onConflictDoUpdate({ target: liveSessions.id, set: update }),
      );
    },
    async get(id) {
      const rows = await wrapDriver(`loading live session "${id}"`, () => db.select().from(liveSessions).where(eq(liveSessions.id, id)));
      return rows[0] ? toRecord(rows[0]) : null;
    },
    async list() {
      const rows = await wrapDriver('listing live sessions', () => db.select().from(liveSessions).orderBy(desc(liveSessions.updatedAtMs)));
      return rows.map(toRecord);
    },
    async setStatus(id, status, lastError, updatedAtMs) {
      await wrapDriver(`updating live session "${id}"`, () =>
        db.update(liveSessions).set({ status, lastError, updatedAtMs }).where(eq(liveSessions.id, id)),
      );
    },
    async remove(id) {
      await wrapDriver(`deleting live session "${id}"`, () => db.delete(liveSessions).where(eq(liveSessions.id, id)));
    },
    async load(sessionId): Promise<LiveCheckpoint | null> {
      const rows = await wrapDriver(`loading live session "${sessionId}"`, () => db.select().from(liveSessions).where(eq(liveSessions.id, sessionId)));
      const r = rows[0];
      if (!r || r.lastCandleMs === null) return null;
      return {
        sessionId,
        lastCandleMs: Number(r.lastCandleMs),
        updatedAtMs: Number(r.updatedAtMs),
        // Checked by the trading loop when it resumes the position.
        venuePosition: (r.openPosition as VenuePosition | null) ?? null,
      };
    },
    async save(checkpoint, fence) {
      const id = checkpoint.sessionId;
      const updated = await wrapDriver(`checkpointing live session "${id}"`, () =>
        db
          .update(liveSessions)
          .set({
            lastCandleMs: checkpoint.lastCandleMs,
            updatedAtMs: checkpoint.updatedAtMs,
            openPosition: (checkpoint.venuePosition ?? null) as Record<string, unknown> | null,
          })
          .where(fence ? and(eq(liveSessions.id, id), eq(liveSessions.fencingToken, fence.token)) : eq(liveSessions.id, id))
          .returning({ id: liveSessions.id }),
      );
      if (fence && updated.length === 0) {
        const rows = await wrapDriver(`loading live session "${id}"`, () => db.select({ token: liveSessions.fencingToken }).from(liveSessions).where(eq(liveSessions.id, id)));
        throw new StaleLeaseError(id, fence.token, rows[0] ? Number(rows[0].token) : null);
      }
    },
    async insertIfMissing(record) {
      const { spec, lease: _lease, ...fields } = record;
      const row = { ...fields, config: spec ? { ...record.config, [SPEC_KEY]: spec } : record.config };
      const inserted = await wrapDriver(`saving live session "${record.id}"`, () =>
        db.insert(liveSessions).values(row).onConflictDoNothing({ target: liveSessions.id }).returning({ id: liveSessions.id }),
      );
      return inserted.length > 0;
    },
    async claim(id, owner, leaseMs, takeOverFrom) {
      // A lease ending further ahead than any trader leases was not written by one: it counts as ended.
      const claimable = sql`(${liveSessions.leaseOwner} is null or ${liveSessions.leaseExpiresAtMs} < ${DB_NOW_MS} or ${liveSessions.leaseExpiresAtMs} > ${DB_NOW_MS} + ${MAX_SESSION_LEASE_MS}${takeOverFrom === undefined ? sql`` : sql` or ${liveSessions.leaseOwner} = ${takeOverFrom}`})`;
      // One trader per account: refused while another trader holds a current lease on a session of the same
      // account (its in-memory paper account and risk desk would diverge from this one's). Claims of one
      // account are serialised by an advisory lock, so two traders cannot each take a sibling at once.
      const siblingHeldElsewhere = sql`exists (
        select 1 from ${liveSessions} as sibling
        where coalesce(sibling.config->>'accountId', ${DEFAULT_ACCOUNT_ID}) = ${ACCOUNT_OF_ROW} and sibling.id <> ${liveSessions.id}
          and sibling.lease_owner is not null and sibling.lease_owner <> ${owner}${takeOverFrom === undefined ? sql`` : sql` and sibling.lease_owner <> ${takeOverFrom}`}
          and sibling.lease_expires_at_ms between ${DB_NOW_MS} and ${DB_NOW_MS} + ${MAX_SESSION_LEASE_MS})`;
      const rows = await wrapDriver(`claiming live session "${id}"`, () =>
        db.transaction(async (tx) => {
          await tx.execute(sql`select pg_advisory_xact_lock(hashtext('aethelred-account-sessions:' || coalesce((select ${ACCOUNT_OF_ROW} from ${liveSessions} where ${liveSessions.id} = ${id}), '')))`);
          return tx
            .update(liveSessions)
            .set({ fencingToken: sql`${liveSessions.fencingToken} + 1`, leaseOwner: owner, leaseExpiresAtMs: sql`${DB_NOW_MS} + ${leaseMs}` })
            .where(and(eq(liveSessions.id, id), claimable, lt(liveSessions.fencingToken, MAX_FENCING_TOKEN), sql`not ${siblingHeldElsewhere}`))
            .returning({ token: liveSessions.fencingToken });
        }),
      );
      return rows[0] ? Number(rows[0].token) : null;
    },
    async accountHolder(accountId) {
      const rows = await wrapDriver(`reading who holds the sessions of account "${accountId}"`, () =>
        db
          .select({ owner: liveSessions.leaseOwner })
          .from(liveSessions)
          .where(
            and(
              sql`${ACCOUNT_OF_ROW} = ${accountId}`,
              sql`${liveSessions.leaseOwner} is not null`,
              sql`${liveSessions.leaseExpiresAtMs} between ${DB_NOW_MS} and ${DB_NOW_MS} + ${MAX_SESSION_LEASE_MS}`,
            ),
          )
          .limit(1),
      );
      return rows[0]?.owner ?? null;
    },
    async renew(id, owner, token, leaseMs) {
      const rows = await wrapDriver(`renewing the lease of live session "${id}"`, () =>
        db
          .update(liveSessions)
          .set({ leaseExpiresAtMs: sql`${DB_NOW_MS} + ${leaseMs}` })
          .where(and(eq(liveSessions.id, id), eq(liveSessions.leaseOwner, owner), eq(liveSessions.fencingToken, token)))
          .returning({ id: liveSessions.id }),
      );
      return rows.length > 0;
    },
    async release(id, owner, token) {
      await wrapDriver(`releasing the lease of live session "${id}"`, () =>
        db
          .update(liveSessions)
          .set({ leaseOwner: null, leaseExpiresAtMs: null })
          .where(and(eq(liveSessions.id, id), eq(liveSessions.leaseOwner, owner), eq(liveSessions.fencingToken, token))),
      );
    },
  };
}
