/**
 * Drizzle implementation of the engine's JournalRepository (trades and decision log).
 * Lists are newest first with keyset pagination over (time, id), so deep pages cost
 * the same as the first one and concurrent appends never shift a page.
 * Appends are idempotent by id (a retried job re-appending the same rows changes nothing).
 */
import { and, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type {
  DecisionOutcome,
  DecisionRecord,
  JournalQuery,
  JournalRepository,
  Page,
  TradeRecord,
} from '../../engine/core/ports';
import type { Timeframe } from '../../engine/core/types';
import type { Db } from '../client';
import { decisionLog, trades } from '../schema';
import { chunks, clampLimit, decodeCursor, encodeCursor, num, numeric, rowsOf, wrapDriver } from './sql-helpers';

/** Rows per INSERT statement. */
const INSERT_CHUNK_ROWS = 1000;
/** Page size used by iterTrades. */
const ITER_PAGE_ROWS = 1000;

type TradeRow = typeof trades.$inferSelect;
type DecisionRow = typeof decisionLog.$inferSelect;

function tradeToRow(t: TradeRecord): typeof trades.$inferInsert {
  return {
    id: t.id,
    runId: t.runId,
    exchange: t.exchange,
    symbol: t.symbol,
    strategy: t.strategy,
    side: t.side,
    amount: numeric(t.amount, 'amount'),
    entryPrice: numeric(t.entryPrice, 'entryPrice'),
    exitPrice: numeric(t.exitPrice, 'exitPrice'),
    realizedPnl: numeric(t.realizedPnl, 'realizedPnl'),
    fees: numeric(t.fees, 'fees'),
    funding: numeric(t.funding, 'funding'),
    entryTimeMs: t.entryTimeMs,
    exitTimeMs: t.exitTimeMs,
    exitReason: t.exitReason,
  };
}

function rowToTrade(r: TradeRow): TradeRecord {
  return {
    id: r.id,
    runId: r.runId,
    exchange: r.exchange,
    symbol: r.symbol,
    strategy: r.strategy,
    side: r.side as TradeRecord['side'],
    amount: num(r.amount),
    entryPrice: num(r.entryPrice),
    exitPrice: num(r.exitPrice),
    entryTimeMs: Number(r.entryTimeMs),
    exitTimeMs: Number(r.exitTimeMs),
    realizedPnl: num(r.realizedPnl),
    fees: num(r.fees),
    funding: num(r.funding),
    exitReason: r.exitReason,
  };
}

function decisionToRow(d: DecisionRecord): typeof decisionLog.$inferInsert {
  return {
    id: d.id,
    runId: d.runId,
    exchange: d.exchange,
    symbol: d.symbol,
    timeframe: d.timeframe,
    strategy: d.strategy,
    timeMs: d.timeMs,
    outcome: d.outcome,
    side: d.side,
    strength: d.strength,
    reason: d.reason,
    inputs: d.inputs,
  };
}

function rowToDecision(r: DecisionRow): DecisionRecord {
  return {
    id: r.id,
    runId: r.runId,
    exchange: r.exchange,
    symbol: r.symbol,
    timeframe: r.timeframe as Timeframe,
    strategy: r.strategy,
    timeMs: Number(r.timeMs),
    outcome: r.outcome as DecisionOutcome,
    side: r.side as DecisionRecord['side'],
    strength: r.strength,
    reason: r.reason,
    inputs: r.inputs,
  };
}

/** Filter + keyset conditions shared by both journal tables. */
function journalWhere(
  table: typeof trades | typeof decisionLog,
  timeColumn: typeof trades.exitTimeMs | typeof decisionLog.timeMs,
  query: JournalQuery,
): SQL | undefined {
  const conditions: (SQL | undefined)[] = [];
  if (query.symbol !== undefined) conditions.push(eq(table.symbol, query.symbol));
  if (query.strategy !== undefined) conditions.push(eq(table.strategy, query.strategy));
  if (query.runId !== undefined) conditions.push(eq(table.runId, query.runId));
  if (query.fromMs !== undefined) conditions.push(gte(timeColumn, query.fromMs));
  if (query.toMs !== undefined) conditions.push(lt(timeColumn, query.toMs));
  if (query.cursor !== undefined) {
    const { timeMs, id } = decodeCursor(query.cursor);
    conditions.push(sql`(${timeColumn}, ${table.id}) < (${timeMs}, ${id})`);
  }
  return and(...conditions);
}

/** Builds the journal repository over a drizzle handle (PGlite or postgres.js). */
export function createJournalRepository(db: Db): JournalRepository {
  async function listTrades(query: JournalQuery): Promise<Page<TradeRecord>> {
    const limit = clampLimit(query.limit);
    const where = journalWhere(trades, trades.exitTimeMs, query);
    const rows = await wrapDriver('listing trades', () =>
      db
        .select()
        .from(trades)
        .where(where)
        .orderBy(desc(trades.exitTimeMs), desc(trades.id))
        .limit(limit + 1),
    );
    const items = rows.slice(0, limit).map(rowToTrade);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit ? encodeCursor(last.exitTimeMs, last.id) : null };
  }

  return {
    async appendTrades(records: readonly TradeRecord[]): Promise<void> {
      if (records.length === 0) return;
      const rows = records.map(tradeToRow);
      await wrapDriver(`appending ${rows.length} trades`, () =>
        db.transaction(async (tx) => {
          for (const chunk of chunks(rows, INSERT_CHUNK_ROWS)) await tx.insert(trades).values(chunk).onConflictDoNothing();
        }),
      );
    },

    async appendDecisions(records: readonly DecisionRecord[]): Promise<void> {
      if (records.length === 0) return;
      const rows = records.map(decisionToRow);
      await wrapDriver(`appending ${rows.length} decisions`, () =>
        db.transaction(async (tx) => {
          for (const chunk of chunks(rows, INSERT_CHUNK_ROWS)) await tx.insert(decisionLog).values(chunk).onConflictDoNothing();
        }),
      );
    },

    listTrades,

    async listDecisions(query: JournalQuery): Promise<Page<DecisionRecord>> {
      const limit = clampLimit(query.limit);
      const where = journalWhere(decisionLog, decisionLog.timeMs, query);
      const rows = await wrapDriver('listing decisions', () =>
        db
          .select()
          .from(decisionLog)
          .where(where)
          .orderBy(desc(decisionLog.timeMs), desc(decisionLog.id))
          .limit(limit + 1),
      );
      const items = rows.slice(0, limit).map(rowToDecision);
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > limit ? encodeCursor(last.timeMs, last.id) : null };
    },

    async *iterTrades(query: Omit<JournalQuery, 'cursor' | 'limit'>): AsyncIterable<TradeRecord> {
      let cursor: string | undefined;
      do {
        const page = await listTrades({ ...query, limit: ITER_PAGE_ROWS, cursor });
        yield* page.items;
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
    },

    async nowTs(): Promise<number> {
      const rows = await wrapDriver('reading the database time', async () =>
        rowsOf<{ now_ms: number | string }>(
          await db.execute(sql`select (extract(epoch from now()) * 1000)::float8 as now_ms`),
        ),
      );
      return Math.round(Number(rows[0].now_ms));
    },
  };
}
