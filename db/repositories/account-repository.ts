/**
 * Drizzle implementation of the engine's AccountRepository: account settings and risk limits, and
 * each paper account's exchange state (JSON) stored with its risk state in one transaction.
 */
import { asc, eq } from 'drizzle-orm';
import type { AccountRecord, AccountRepository, AccountSettings } from '../../engine/ports/accounts';
import type { PaperExchangeState } from '../../engine/ports/accounts';
import type { Db } from '../client';
import { tradingAccounts } from '../schema';
import { wrapDriver } from './sql-helpers';
import { checkSessionFence } from './session-fence';
import { upsertRiskState } from './risk-state-repository';

/**
 * The columns of a record: not the paper state, which can be large (recent orders) and is read by `loadState` alone;
 * a session reads the record before every candle (settings saved elsewhere, see the account book's `syncControl`).
 */
const RECORD_COLUMNS = {
  id: tradingAccounts.id,
  kind: tradingAccounts.kind,
  settings: tradingAccounts.settings,
  riskLimits: tradingAccounts.riskLimits,
  createdAtMs: tradingAccounts.createdAtMs,
  updatedAtMs: tradingAccounts.updatedAtMs,
  updatedBy: tradingAccounts.updatedBy,
};

/** A venue account's venue id is kept in the settings document, beside the settings (no column of its own). */
const toRecord = (r: Pick<typeof tradingAccounts.$inferSelect, keyof typeof RECORD_COLUMNS>): AccountRecord => {
  const { venue, ...settings } = r.settings as unknown as AccountSettings & { venue?: string };
  return {
    id: r.id,
    kind: r.kind as AccountRecord['kind'],
    ...(typeof venue === 'string' ? { venue } : {}),
    settings,
    riskLimits: r.riskLimits ?? null,
    createdAtMs: Number(r.createdAtMs),
    updatedAtMs: Number(r.updatedAtMs),
    updatedBy: r.updatedBy,
  };
};

const settingsDocument = (record: AccountRecord): Record<string, unknown> => ({ ...record.settings, ...(record.venue !== undefined ? { venue: record.venue } : {}) });

/** Builds the account repository over a drizzle handle (PGlite or postgres.js). */
export function createAccountRepository(db: Db): AccountRepository {
  return {
    async list() {
      const rows = await wrapDriver('listing accounts', () => db.select(RECORD_COLUMNS).from(tradingAccounts).orderBy(asc(tradingAccounts.createdAtMs), asc(tradingAccounts.id)));
      return rows.map(toRecord);
    },
    async get(id) {
      const rows = await wrapDriver(`loading account "${id}"`, () => db.select(RECORD_COLUMNS).from(tradingAccounts).where(eq(tradingAccounts.id, id)));
      return rows[0] ? toRecord(rows[0]) : null;
    },
    async insert(record) {
      const inserted = await wrapDriver(`creating account "${record.id}"`, () =>
        db
          .insert(tradingAccounts)
          .values({
            id: record.id,
            kind: record.kind,
            settings: settingsDocument(record),
            riskLimits: record.riskLimits,
            createdAtMs: record.createdAtMs,
            updatedAtMs: record.updatedAtMs,
            updatedBy: record.updatedBy,
          })
          .onConflictDoNothing({ target: tradingAccounts.id })
          .returning({ id: tradingAccounts.id }),
      );
      return inserted.length === 1;
    },
    async update(record) {
      await wrapDriver(`updating account "${record.id}"`, () =>
        db
          .update(tradingAccounts)
          .set({ settings: settingsDocument(record), riskLimits: record.riskLimits, updatedAtMs: record.updatedAtMs, updatedBy: record.updatedBy })
          .where(eq(tradingAccounts.id, record.id)),
      );
    },
    async loadState(id) {
      const rows = await wrapDriver(`loading the state of account "${id}"`, () => db.select({ state: tradingAccounts.state }).from(tradingAccounts).where(eq(tradingAccounts.id, id)));
      return (rows[0]?.state ?? null) as PaperExchangeState | null;
    },
    async saveState(id, state, updatedAtMs, risk, fence) {
      await wrapDriver(`saving the state of account "${id}"`, () =>
        db.transaction(async (tx) => {
          await checkSessionFence(tx, fence);
          await tx.update(tradingAccounts).set({ state: state as unknown as Record<string, unknown>, stateUpdatedAtMs: updatedAtMs }).where(eq(tradingAccounts.id, id));
          if (risk) await upsertRiskState(tx, risk);
        }),
      );
    },
  };
}
