/**
 * Drizzle implementation of the engine's JournalRepository (trades and decision log).
 * Lists are newest first with keyset pagination over (time, id), so deep pages cost
 * the same as the first one and concurrent appends never shift a page.
 * Appends are idempotent by id (a retried job re-appending the same rows changes nothing).
 */
import { and, desc, eq, gte, inArray, isNull, lt, sql, type SQL } from 'drizzle-orm';
import { ValidationError } from '../../engine/core/errors';
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

/**
 * A PostgreSQL array literal (`{"a","b",NULL}`) for one bind parameter: every element quoted,
 * backslashes and double quotes escaped, null as NULL. Numbers are written with full precision.
 */
export function pgArrayLiteral(values: readonly (string | number | null)[]): string {
  return `{${values
    .map((v) => (v === null ? 'NULL' : `"${String(v).replace(/[\\"]/g, (c) => `\\${c}`)}"`))
    .join(',')}}`;
}

/** Decisions per insert statement. */
const DECISION_CHUNK_ROWS = 5_000;


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
      await wrapDriver(`appending ${records.length} decisions`, () =>
        db.transaction(async (tx) => {
          for (const chunk of chunks(records, DECISION_CHUNK_ROWS)) {
            // One statement per chunk: a column array per field, unnested server-side (far fewer
            // bind parameters than a multi-row VALUES list, which matters for long backtests).
            const col = (f: (d: DecisionRecord) => string | number | null) => pgArrayLiteral(chunk.map(f));
            await tx.execute(sql`
              insert into ${decisionLog} (id, run_id, exchange, symbol, timeframe, strategy, time_ms, outcome, side, strength, reason, inputs)
              select t.id, t.run_id, t.exchange, t.symbol, t.timeframe, t.strategy, t.time_ms, t.outcome, t.side, t.strength, t.reason, t.inputs::jsonb
              from unnest(
                ${col((d) => d.id)}::text[], ${col((d) => d.runId)}::text[], ${col((d) => d.exchange)}::text[],
                ${col((d) => d.symbol)}::text[], ${col((d) => d.timeframe)}::text[], ${col((d) => d.strategy)}::text[],
                ${col((d) => d.timeMs)}::bigint[], ${col((d) => d.outcome)}::text[], ${col((d) => d.side)}::text[],
                ${col((d) => d.strength)}::float8[], ${col((d) => d.reason)}::text[], ${col((d) => JSON.stringify(d.inputs))}::text[]
              ) as t(id, run_id, exchange, symbol, timeframe, strategy, time_ms, outcome, side, strength, reason, inputs)
              on conflict do nothing`);
          }
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

    async pruneDecisionsBefore(beforeMs: number, maxRows = 5_000): Promise<number> {
      if (!Number.isSafeInteger(beforeMs)) throw new ValidationError('beforeMs', beforeMs, 'expected an integer epoch-ms time');
      if (!Number.isInteger(maxRows) || maxRows < 1) throw new ValidationError('maxRows', maxRows, 'expected an integer >= 1');
      const rows = await wrapDriver(`pruning decisions before ${beforeMs}`, () =>
        db
          .delete(decisionLog)
          .where(
            inArray(
              decisionLog.id,
              db
                .select({ id: decisionLog.id })
                .from(decisionLog)
                .where(and(isNull(decisionLog.runId), lt(decisionLog.timeMs, beforeMs)))
                .orderBy(decisionLog.timeMs, decisionLog.id)
                .limit(maxRows),
            ),
          )
          .returning({ id: decisionLog.id }),
      );
      return rows.length;
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
