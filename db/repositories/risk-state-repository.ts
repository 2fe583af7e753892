/** Drizzle implementation of the engine's RiskStateRepository: one row per account, upserted. */
import { eq } from 'drizzle-orm';
import type { RiskStateRecord, RiskStateRepository } from '../../engine/ports/risk-state';
import type { Db } from '../client';
import { riskState } from '../schema';
import { num, numeric, wrapDriver } from './sql-helpers';

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
      };
    },

    async save(state: RiskStateRecord): Promise<void> {
      const row = {
        accountId: state.accountId,
        halted: state.halted,
        haltReason: state.haltReason,
        haltedAtMs: state.haltedAtMs,
        dayStartEquity: numeric(state.dayStartEquity, 'dayStartEquity'),
        dayStartMs: state.dayStartMs,
        peakEquity: numeric(state.peakEquity, 'peakEquity'),
        updatedAtMs: state.updatedAtMs,
      };
      const { accountId: _key, ...update } = row;
      await wrapDriver(`saving risk state of account "${state.accountId}"`, () =>
        db.insert(riskState).values(row).onConflictDoUpdate({ target: riskState.accountId, set: update }),
      );
    },
  };
}
