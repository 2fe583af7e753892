/** Encrypted exchange credentials. Listing returns metadata only; the ciphertext leaves only through `getCiphertext`. */
import { asc, eq } from 'drizzle-orm';
import type { Db } from '../client';
import { exchangeCredentials } from '../schema';
import { wrapDriver } from './sql-helpers';

/** What the UI may show about a stored credential. */
export interface CredentialSummary {
  exchange: string;
  keyIdLast4: string;
  setAtMs: number;
  setBy: string | null;
}

export interface CredentialRepository {
  /** Inserts or replaces the credential of `exchange`; returns the previous summary (null when none). */
  put(row: CredentialSummary & { ciphertext: string }): Promise<CredentialSummary | null>;
  list(): Promise<CredentialSummary[]>;
  getCiphertext(exchange: string): Promise<string | null>;
  /** Deletes; returns the summary that was deleted (null when none). */
  remove(exchange: string): Promise<CredentialSummary | null>;
}

const summaryColumns = {
  exchange: exchangeCredentials.exchange,
  keyIdLast4: exchangeCredentials.keyIdLast4,
  setAtMs: exchangeCredentials.setAtMs,
  setBy: exchangeCredentials.setBy,
};
const toSummary = (r: { exchange: string; keyIdLast4: string; setAtMs: number; setBy: string | null }): CredentialSummary => ({ ...r, setAtMs: Number(r.setAtMs) });

export function createCredentialRepository(db: Db): CredentialRepository {
  const summaryOf = async (exchange: string) => {
    const rows = await db.select(summaryColumns).from(exchangeCredentials).where(eq(exchangeCredentials.exchange, exchange)).limit(1);
    return rows[0] ? toSummary(rows[0]) : null;
  };
  return {
    put: (row) =>
      wrapDriver('storing exchange credentials', () =>
        db.transaction(async (tx) => {
          const rows = await tx.select(summaryColumns).from(exchangeCredentials).where(eq(exchangeCredentials.exchange, row.exchange)).limit(1);
          await tx
            .insert(exchangeCredentials)
            .values(row)
            .onConflictDoUpdate({ target: exchangeCredentials.exchange, set: { ciphertext: row.ciphertext, keyIdLast4: row.keyIdLast4, setAtMs: row.setAtMs, setBy: row.setBy } });
          return rows[0] ? toSummary(rows[0]) : null;
        }),
      ),
    list: () => wrapDriver('listing exchange credentials', async () => (await db.select(summaryColumns).from(exchangeCredentials).orderBy(asc(exchangeCredentials.exchange))).map(toSummary)),
    getCiphertext: (exchange) =>
      wrapDriver('reading exchange credentials', async () => {
        const rows = await db.select({ c: exchangeCredentials.ciphertext }).from(exchangeCredentials).where(eq(exchangeCredentials.exchange, exchange)).limit(1);
        return rows[0]?.c ?? null;
      }),
    remove: (exchange) =>
      wrapDriver('deleting exchange credentials', async () => {
        const before = await summaryOf(exchange);
        await db.delete(exchangeCredentials).where(eq(exchangeCredentials.exchange, exchange));
        return before;
      }),
  };
}
