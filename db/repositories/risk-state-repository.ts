/**
 * Drizzle implementation of the engine's RiskStateRepository: one row per account, upserted. The halt
 * fields carry a version (`halt_version`): a session's save is a compare-and-set on it, so a halt written
 * by another process between a session's read and its save is never overwritten.
 */
import { eq, sql } from 'drizzle-orm';
import { RESUMED_DAY_START_MS, RESUMED_PEAK_EQUITY, type RiskStateRecord, type RiskStateRepository } from '../../engine/ports/risk-state';
import type { Db } from '../client';
import { riskState } from '../schema';
import { num, numeric, wrapDriver } from './sql-helpers';
import type { Transaction } from './session-fence';

/** The table row of `state` (without its halt version, which the database keeps). */
function rowOf(state: RiskStateRecord) {
  return {
    accountId: state.accountId,
    halted: state.halted,
    haltReason: state.haltReason,
    haltedAtMs: state.haltedAtMs,
    dayStartEquity: numeric(state.dayStartEquity, 'dayStartEquity'),
    dayStartMs: state.dayStartMs,
    peakEquity: numeric(state.peakEquity, 'peakEquity'),
    updatedAtMs: state.updatedAtMs,
  };
}

/**
 * Upserts `state` on `db` (or inside a caller's transaction). A new row starts at halt version 1; the
 * table's trigger (migration 0020) adds 1 whenever an update changes the halt fields. With
 * `state.haltVersion` the write happens only while the stored version still equals it (no row counts
 * as 0); otherwise the stored row stays as it is.
 */
export async function upsertRiskState(db: Db | Transaction, state: RiskStateRecord): Promise<void> {
  const row = rowOf(state);
  const { accountId: _key, ...update } = row;
  const expected = state.haltVersion;
  await db
    .insert(riskState)
    .values(row)
    .onConflictDoUpdate({
      target: riskState.accountId,
      set: update,
      ...(expected === undefined ? {} : { setWhere: sql`${riskState.haltVersion} = ${expected}` }),
    });
}

/**
 * The control path's write: inserts all of `state` when the account has no row, else updates the halt
 * fields and `updatedAtMs` alone (the trigger bumps the halt version when they change), never the day
 * start or peak of the session trading the account, except that a resume clears them (see `saveHalt`).
 */
async function upsertHalt(db: Db, state: RiskStateRecord): Promise<void> {
  const row = rowOf(state);
  await db
    .insert(riskState)
    .values(row)
    .onConflictDoUpdate({
      target: riskState.accountId,
      set: {
        halted: row.halted,
        haltReason: row.haltReason,
        haltedAtMs: row.haltedAtMs,
        updatedAtMs: row.updatedAtMs,
        // A resume re-bases wherever the account next trades: a day that began at the epoch and no peak.
        ...(row.halted ? {} : { dayStartMs: RESUMED_DAY_START_MS, peakEquity: String(RESUMED_PEAK_EQUITY) }),
      },
    });
}

/** Builds the risk state repository over a drizzle handle (PGlite or postgres.js). */
export function createRiskStateRepository(db: Db): RiskStateRepository {
  return {
    async load(accountId: string): Promise<RiskStateRecord | null> {
      const rows = await wrapDriver(`loading risk state of account "${accountId}"`, () =>
        db.select().from(riskState).where(eq(riskState.accountId, accountId)),
      );
      const r = rows[0];
      if (r === undefined) return null;
      return {
        accountId: r.accountId,
        halted: r.halted,
        haltReason: r.haltReason,
        haltedAtMs: r.haltedAtMs === null ? null : Number(r.haltedAtMs),
        dayStartEquity: num(r.dayStartEquity),
        dayStartMs: Number(r.dayStartMs),
        peakEquity: num(r.peakEquity),
        updatedAtMs: Number(r.updatedAtMs),
        haltVersion: r.haltVersion,
      };
    },

    async save(state: RiskStateRecord): Promise<void> {
      await wrapDriver(`saving risk state of account "${state.accountId}"`, () => upsertRiskState(db, state));
    },

    async saveHalt(state: RiskStateRecord): Promise<void> {
      await wrapDriver(`saving the halt of account "${state.accountId}"`, () => upsertHalt(db, state));
    },
  };
}
