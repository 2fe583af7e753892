/**
 * Drizzle implementation of live session storage: the sessions an operator started (config,
 * status, whether it trades on a real venue) and each session's resume checkpoint.
 */
import { desc, eq } from 'drizzle-orm';
import type { LiveCheckpoint, LiveSessionRecord, LiveSessionStore, VenuePosition } from '../../engine/ports/live-sessions';
import type { RunSpec } from '../../engine/trading/run-spec';
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
});

/** Builds the live session repository over a drizzle handle (PGlite or postgres.js). */
export function createLiveSessionRepository(db: Db): LiveSessionStore<RunSpec> {
  return {
    async upsert(record) {
      const { spec, ...fields } = record;
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
    async save(checkpoint) {
      await wrapDriver(`checkpointing live session "${checkpoint.sessionId}"`, () =>
        db
          .update(liveSessions)
          .set({
            lastCandleMs: checkpoint.lastCandleMs,
            updatedAtMs: checkpoint.updatedAtMs,
            openPosition: (checkpoint.venuePosition ?? null) as Record<string, unknown> | null,
          })
          .where(eq(liveSessions.id, checkpoint.sessionId)),
      );
    },
  };
}
