/**
 * Drizzle implementation of the engine's JournalRepository (trades and decision log).
 * Lists are keyset-paginated over their sort key plus id (default newest first by time), so deep
 * pages cost the same as the first one and concurrent appends never shift a page. Indexes that
 * serve each sort: time and symbol use the (time, id) and (symbol, time, id) indexes; pnl sorts by
 * the net PnL expression (realized_pnl − fees − funding as float8), served by trades_net_pnl_idx.
 * Wins, losses and the pnl sort use {@link TRADE_NET_PNL}, the SQL form of the engine's
 * `tradeNetPnl` / `isWinningTrade` (engine/insight/trade-outcome.ts).
 * Appends are idempotent by id (a retried job re-appending the same rows changes nothing).
 */
import { createPromiseMemo } from '../../engine/core/promise-memo';
import { and, asc, desc, eq, gte, inArray, isNull, lt, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { FailureClass, RepositoryError, ValidationError } from '../../engine/core/errors';
import { DecisionOutcome as DecisionOutcomes, TradeOutcome, type DecisionOutcome, type DecisionRecord, type JournalQuery, type JournalSort, type JournalRepository, type Page, type TradeBreakdown, type TradeBreakdownFilter, type TradeGroup, type TradeRecord, type TradeSummary } from '../../engine/ports/journal';
import type { SessionFence } from '../../engine/ports/live-sessions';
import type { Timeframe } from '../../engine/core/types';
import { WINNING_NET_PNL_ABOVE } from '../../engine/insight/trade-outcome';
import type { Db } from '../client';
import { decisionLog, trades } from '../schema';
import { chunks, clampLimit, num, numeric, numOrNull, rowsOf, wrapDriver } from './sql-helpers';
import { checkSessionFence } from './session-fence';
import { createMonthPartitioner } from './partition-repository';
import { journalAccountOf, parseTradeSummaryFilter } from '../../engine/journal/journal-filter';

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
    accountId: t.accountId ?? null,
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
    initialRisk: t.initialRisk === undefined || t.initialRisk === null ? null : numeric(t.initialRisk, 'initialRisk'),
  };
}

function rowToTrade(r: TradeRow): TradeRecord {
  const trade: TradeRecord = {
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
    initialRisk: numOrNull(r.initialRisk),
  };
  // Only when known: a backtest's rows read as they were written.
  if (r.accountId !== null) trade.accountId = r.accountId;
  return trade;
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
  const decision: DecisionRecord = {
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
  if (r.accountId !== null) decision.accountId = r.accountId;
  return decision;
}

type SortKeyValue = string | number;

/**
 * A trade's net PnL in SQL with the engine's arithmetic (`tradeNetPnl`): each numeric column as
 * float8 (the doubles the engine reads), subtracted in the same order, so SQL and memory agree bit
 * for bit on wins, losses and order.
 */
export const TRADE_NET_PNL = sql`(${trades.realizedPnl}::float8 - ${trades.fees}::float8 - ${trades.funding}::float8)`;

/** The engine's `isWinningTrade` in SQL. */
const TRADE_IS_WIN = sql`${TRADE_NET_PNL} > ${WINNING_NET_PNL_ABOVE}::float8`;

/** Net PnL of a row as the database computes {@link TRADE_NET_PNL} (float8 parse of each numeric text). */
const rowNetPnl = (r: TradeRow): number => num(r.realizedPnl) - num(r.fees) - num(r.funding);

/** One sortable list: its key columns (most significant first; the last is the id) and how to read them from a row. */
interface SortSpec<Row> {
  columns: (AnyColumn | SQL)[];
  /** Cursor values of a row, in column order; numeric values keep their exact text. */
  keyOf(row: Row): SortKeyValue[];
  /** Per column: 'int' (epoch ms), 'numeric' (exact decimal text), 'float' (a double as its shortest round-trip text) or 'text'. */
  kinds: ('int' | 'numeric' | 'float' | 'text')[];
}

const TRADE_SORTS: Record<JournalSort, SortSpec<TradeRow>> = {
  time: { columns: [trades.exitTimeMs, trades.id], kinds: ['int', 'text'], keyOf: (r) => [Number(r.exitTimeMs), r.id] },
  pnl: { columns: [TRADE_NET_PNL, trades.id], kinds: ['float', 'text'], keyOf: (r) => [String(rowNetPnl(r)), r.id] },
  symbol: {
    columns: [trades.symbol, trades.exitTimeMs, trades.id],
    kinds: ['text', 'int', 'text'],
    keyOf: (r) => [r.symbol, Number(r.exitTimeMs), r.id],
  },
};

const DECISION_SORTS: Partial<Record<JournalSort, SortSpec<DecisionRow>>> = {
  time: { columns: [decisionLog.timeMs, decisionLog.id], kinds: ['int', 'text'], keyOf: (r) => [Number(r.timeMs), r.id] },
  symbol: {
    columns: [decisionLog.symbol, decisionLog.timeMs, decisionLog.id],
    kinds: ['text', 'int', 'text'],
    keyOf: (r) => [r.symbol, Number(r.timeMs), r.id],
  },
};

const NUMERIC_TEXT = /^-?\d+(\.\d+)?(e[-+]?\d+)?$/i;

/** Cursor of a page: the sort key of its last row (same encoding as `encodeCursor` for the time sort). */
function encodeSortCursor(values: SortKeyValue[]): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

/** @throws ValidationError when the cursor was not made by {@link encodeSortCursor} for this sort. */
function decodeSortCursor(cursor: string, kinds: SortSpec<unknown>['kinds']): SortKeyValue[] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(value) &&
      value.length === kinds.length &&
      kinds.every((kind, i) =>
        kind === 'int' ? Number.isSafeInteger(value[i]) : kind === 'float' ? typeof value[i] === 'string' && NUMERIC_TEXT.test(value[i]) : kind === 'numeric' ? typeof value[i] === 'string' && NUMERIC_TEXT.test(value[i]) : typeof value[i] === 'string',
      )
    ) {
      return value as SortKeyValue[];
    }
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError('cursor', cursor, 'not a cursor returned by a previous page with this sort');
}

function sortOf<Row>(sorts: Partial<Record<JournalSort, SortSpec<Row>>>, query: JournalQuery, list: string): SortSpec<Row> {
  const sort = query.sort ?? 'time';
  const spec = sorts[sort];
  if (!spec) throw new ValidationError('sort', sort, `${list} sort by ${Object.keys(sorts).join(' or ')}`);
  if (query.direction !== undefined && query.direction !== 'asc' && query.direction !== 'desc') {
    throw new ValidationError('direction', query.direction, 'expected asc or desc');
  }
  return spec;
}

/** Filter + keyset conditions shared by both journal tables. */
function journalWhere<Row>(
  table: typeof trades | typeof decisionLog,
  timeColumn: typeof trades.exitTimeMs | typeof decisionLog.timeMs,
  query: JournalQuery,
  spec: SortSpec<Row>,
): SQL | undefined {
  const conditions: (SQL | undefined)[] = [];
  if (query.symbol !== undefined) conditions.push(eq(table.symbol, query.symbol));
  if (query.strategy !== undefined) conditions.push(eq(table.strategy, query.strategy));
  if (query.runId === null) conditions.push(isNull(table.runId));
  else if (query.runId !== undefined) conditions.push(eq(table.runId, query.runId));
  const accountId = journalAccountOf(query);
  if (accountId !== undefined) conditions.push(eq(table.accountId, accountId));
  if (query.fromMs !== undefined) conditions.push(gte(timeColumn, query.fromMs));
  if (query.toMs !== undefined) conditions.push(lt(timeColumn, query.toMs));
  if (query.side !== undefined) conditions.push(eq(table.side, query.side));
  if (query.cursor !== undefined) {
    const values = decodeSortCursor(query.cursor, spec.kinds);
    const left = sql.join(spec.columns.map((c) => sql`${c}`), sql`, `);
    const right = sql.join(
      values.map((v, i) => (spec.kinds[i] === 'numeric' ? sql`${v}::numeric` : spec.kinds[i] === 'float' ? sql`${v}::float8` : spec.kinds[i] === 'int' ? sql`${v}::bigint` : sql`${v}`)),
      sql`, `,
    );
    conditions.push(query.direction === 'asc' ? sql`(${left}) > (${right})` : sql`(${left}) < (${right})`);
  }
  return and(...conditions);
}

function orderOf(spec: SortSpec<unknown>, direction: JournalQuery['direction']): SQL[] {
  return spec.columns.map((c) => (direction === 'asc' ? asc(c) : desc(c)));
}

function pageOf<Row, T>(rows: Row[], limit: number, spec: SortSpec<Row>, map: (row: Row) => T): Page<T> {
  const kept = rows.slice(0, limit);
  const last = kept[kept.length - 1];
  return { items: kept.map(map), nextCursor: rows.length > limit ? encodeSortCursor(spec.keyOf(last)) : null };
}

const DAY_MS = 86_400_000;

/**
 * The trade summary in two statements over the rows of one scope (run id, or none), run
 * concurrently. Money is summed as float8 of each numeric column, the same doubles the engine
 * computes with, so wins and losses classify exactly as in memory.
 * - Per UTC exit day: count, wins, losses, gross profit/loss, net, entry notional, first entry;
 *   the totals are the sums over the days (a few rows a day of trading, not a row a trade).
 * - Exposure: the union length of [entry, exit] in one ordered window pass. Ordered by entry, a
 *   trade adds the part of its interval beyond both its entry and the latest exit before it:
 *   greatest(0, exit − greatest(entry, previous max exit)).
 */
async function summarizeTradesIn(db: Db, filter: Parameters<JournalRepository['summarizeTrades']>[0]): Promise<TradeSummary> {
  const { runId, accountId } = parseTradeSummaryFilter(filter);
  const scope = runId !== null ? sql`run_id = ${runId}` : accountId !== undefined ? sql`account_id = ${accountId} and run_id is null` : sql`run_id is null`;
  type DayRow = { day_start_ms: string | number; n: string | number; wins: string | number; losses: string | number; gross_profit: number | string; gross_loss: number | string; net: number | string; notional: number | string; first_entry_ms: string | number };
  const [days, cover] = await wrapDriver(`summarizing the ${runId !== null ? `run "${runId}"` : accountId !== undefined ? `account "${accountId}"` : 'live'} trades`, () =>
    Promise.all([
      db
        .execute(
          sql`
          select (floor(exit_time_ms / ${DAY_MS}::float8) * ${DAY_MS})::bigint as day_start_ms,
                 count(*) as n,
                 count(*) filter (where net > ${WINNING_NET_PNL_ABOVE}::float8) as wins,
                 count(*) filter (where net < 0) as losses,
                 coalesce(sum(net) filter (where net > ${WINNING_NET_PNL_ABOVE}::float8), 0) as gross_profit,
                 coalesce(-sum(net) filter (where net < 0), 0) as gross_loss,
                 sum(net) as net,
                 sum(notional) as notional,
                 min(entry_time_ms) as first_entry_ms
          from (
            select exit_time_ms, entry_time_ms,
                   ${TRADE_NET_PNL} as net,
                   abs(amount::float8 * entry_price::float8) as notional
            from ${trades} where ${scope}
          ) t
          group by 1 order by 1`,
        )
        .then((r) => rowsOf<DayRow>(r)),
      db
        .execute(
          sql`
          select coalesce(sum(greatest(0, exit_time_ms - greatest(entry_time_ms, coalesce(prev_exit, entry_time_ms)))), 0)::float8 as exposure_ms
          from (
            select entry_time_ms, exit_time_ms,
                   max(exit_time_ms) over (order by entry_time_ms, exit_time_ms rows between unbounded preceding and 1 preceding) as prev_exit
            from ${trades} where ${scope}
          ) c`,
        )
        .then((r) => rowsOf<{ exposure_ms: number | string }>(r)),
    ]),
  );
  const summary: TradeSummary = { trades: 0, wins: 0, losses: 0, grossProfit: 0, grossLoss: 0, netPnl: 0, entryNotional: 0, firstEntryMs: null, exposureMs: Number(cover[0]?.exposure_ms ?? 0), daily: [] };
  for (const d of days) {
    const net = Number(d.net);
    const firstEntry = Number(d.first_entry_ms);
    summary.trades += Number(d.n);
    summary.wins += Number(d.wins);
    summary.losses += Number(d.losses);
    summary.grossProfit += Number(d.gross_profit);
    summary.grossLoss += Number(d.gross_loss);
    summary.netPnl += net;
    summary.entryNotional += Number(d.notional);
    if (summary.firstEntryMs === null || firstEntry < summary.firstEntryMs) summary.firstEntryMs = firstEntry;
    summary.daily.push({ dayStartMs: Number(d.day_start_ms), netPnl: net });
  }
  return summary;
}

const TRADE_OUTCOMES: readonly string[] = Object.values(TradeOutcome);

/** Breakdown dimensions in the order of the grouping sets; `grouping(...)` tells the rows apart. */
const BREAKDOWN_DIMENSIONS = ['strategy', 'exitReason', 'side', 'hourOfDay', 'weekday'] as const;

/**
 * The per-tag analysis in one statement: GROUPING SETS with one set per dimension, over the trades
 * the filter selects (the trade list's WHERE, without a cursor). Net PnL is summed as float8 of each
 * numeric column, like the summary, so wins classify exactly as in memory. Average R is the mean of
 * net / initial_risk over the group's rows with initial_risk > 0 (null when none). Hour and ISO weekday
 * are the entry time's in UTC (epoch day 0, 1970-01-01, was a Thursday: ISO weekday 4).
 */
async function breakdownTradesIn(db: Db, filter: TradeBreakdownFilter): Promise<TradeBreakdown> {
  const where = and(journalWhere(trades, trades.exitTimeMs, { ...filter, cursor: undefined }, TRADE_SORTS.time), tradeOutcomeWhere(filter));
  type GroupRow = {
    dimension: number | string;
    strategy: string | null;
    exit_reason: string | null;
    side: string | null;
    hour_of_day: number | string | null;
    weekday: number | string | null;
    n: number | string;
    wins: number | string;
    net: number | string;
    average_r: number | string | null;
  };
  const rows = await wrapDriver('breaking down trades', async () =>
    rowsOf<GroupRow>(
      await db.execute(sql`
        select case when grouping(strategy) = 0 then 0 when grouping(exit_reason) = 0 then 1 when grouping(side) = 0 then 2 when grouping(hour_of_day) = 0 then 3 else 4 end as dimension,
               strategy, exit_reason, side, hour_of_day, weekday,
               count(*) as n,
               count(*) filter (where net > 0) as wins,
               sum(net) as net,
               avg(net / risk) filter (where risk > 0) as average_r
        from (
          select strategy, exit_reason, side,
                 ((entry_time_ms % ${DAY_MS}::bigint) / 3600000)::int as hour_of_day,
                 (((entry_time_ms / ${DAY_MS}::bigint) + 3) % 7 + 1)::int as weekday,
                 realized_pnl::float8 - fees::float8 - funding::float8 as net,
                 initial_risk::float8 as risk
          from ${trades} where ${where ?? sql`true`}
        ) t
        group by grouping sets ((strategy), (exit_reason), (side), (hour_of_day), (weekday))`),
    ),
  );
  const breakdown: TradeBreakdown = { trades: 0, strategy: [], exitReason: [], side: [], hourOfDay: [], weekday: [] };
  for (const r of rows) {
    const dimension = BREAKDOWN_DIMENSIONS[Number(r.dimension)];
    const n = Number(r.n);
    const wins = Number(r.wins);
    const group = { trades: n, wins, winRate: wins / n, netPnl: Number(r.net), averageR: r.average_r === null ? null : Number(r.average_r) };
    if (dimension === 'strategy') {
      breakdown.trades += n;
      breakdown.strategy.push({ key: r.strategy as string, ...group });
    } else if (dimension === 'exitReason') breakdown.exitReason.push({ key: r.exit_reason as string, ...group });
    else if (dimension === 'side') breakdown.side.push({ key: r.side as 'long' | 'short', ...group });
    else if (dimension === 'hourOfDay') breakdown.hourOfDay.push({ key: Number(r.hour_of_day), ...group });
    else breakdown.weekday.push({ key: Number(r.weekday), ...group });
  }
  for (const dimension of BREAKDOWN_DIMENSIONS) (breakdown[dimension] as TradeGroup[]).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return breakdown;
}

/** The trade outcome filter by net PnL (a win is net PnL > 0), after checking the side and outcome like `listTrades`. */
function tradeOutcomeWhere(query: Pick<JournalQuery, 'side' | 'outcome'>): SQL | undefined {
  if (query.side !== undefined && query.side !== 'long' && query.side !== 'short') throw new ValidationError('side', query.side, 'trades are long or short');
  if (query.outcome !== undefined && !TRADE_OUTCOMES.includes(query.outcome)) {
    throw new ValidationError('outcome', query.outcome, `trades have outcome ${TRADE_OUTCOMES.join(' or ')}`);
  }
  const net = sql`(${trades.realizedPnl}::float8 - ${trades.fees}::float8 - ${trades.funding}::float8)`;
  return query.outcome === 'win' ? sql`${net} > 0` : query.outcome === 'loss' ? sql`${net} <= 0` : undefined;
}

const DECISION_OUTCOMES: readonly string[] = Object.values(DecisionOutcomes);

/** Breakdowns kept per repository (distinct filters and versions); the least recently used one goes first. */
const BREAKDOWN_CACHE_ENTRIES = 64;

/** The trades table's version (db/migrations/0022_trades_version_net_pnl_index.sql): any committed change to trades bumps it. */
async function tradesVersionIn(db: Db): Promise<string> {
  const rows = await wrapDriver('reading the trades version', async () =>
    rowsOf<{ version: string | number }>(await db.execute(sql`select version from journal_versions where name = 'trades'`)),
  );
  if (rows.length === 0) throw new RepositoryError('reading the trades version failed: journal_versions has no "trades" row (migration 0022_trades_version_net_pnl_index not applied)', undefined, FailureClass.NonRetryable);
  return String(rows[0].version);
}

/** The fields of a breakdown filter that select trades, in the order of its cache key. */
const BREAKDOWN_FILTER_FIELDS = ['runId', 'accountId', 'symbol', 'strategy', 'fromMs', 'toMs', 'side', 'outcome'] as const;

/** The breakdown filter as a cache key: the fields that are set, in a fixed order (an absent run id and `runId: null`, live trades only, differ). */
function breakdownKey(filter: TradeBreakdownFilter): string {
  return JSON.stringify(BREAKDOWN_FILTER_FIELDS.filter((field) => filter[field] !== undefined).map((field) => [field, filter[field]]));
}

/**
 * `breakdownTrades` cached per filter and trades version: a request reads the version (one
 * primary-key read) and reuses the breakdown computed at that version, so the grouping over every
 * matching trade runs once per change of the table, not once per page view. A trade written by any
 * server bumps the version in its own transaction, so the next read after its commit recomputes.
 * Concurrent requests for the same filter and version share one computation; a failed one is not kept.
 */
function cachedBreakdown(db: Db): (filter: TradeBreakdownFilter) => Promise<TradeBreakdown> {
  // Keyed by version and filter: a new version misses, and the breakdowns of older versions age out.
  const breakdowns = createPromiseMemo<TradeBreakdown>(BREAKDOWN_CACHE_ENTRIES);
  return async (filter) => {
    // Read before computing: a change committed meanwhile leaves a newer version, which misses next time.
    const version = await tradesVersionIn(db);
    return structuredClone(await breakdowns.get(`${version} ${breakdownKey(filter)}`, () => breakdownTradesIn(db, filter)));
  };
}

/**
 * Builds the journal repository over a drizzle handle (PGlite or postgres.js). Its breakdowns are
 * cached per filter until the trades table changes (see {@link cachedBreakdown}).
 */
export function createJournalRepository(db: Db): JournalRepository {
  const ensureDecisionMonths = createMonthPartitioner(db, 'decision_log');
  const breakdownTrades = cachedBreakdown(db);

  async function listTrades(query: JournalQuery): Promise<Page<TradeRecord>> {
    const limit = clampLimit(query.limit);
    const spec = sortOf(TRADE_SORTS, query, 'trades');
    if (query.side !== undefined && query.side !== 'long' && query.side !== 'short') throw new ValidationError('side', query.side, 'trades are long or short');
    if (query.outcome !== undefined && !TRADE_OUTCOMES.includes(query.outcome)) {
      throw new ValidationError('outcome', query.outcome, `trades have outcome ${TRADE_OUTCOMES.join(' or ')}`);
    }
    const outcome = query.outcome === 'win' ? TRADE_IS_WIN : query.outcome === 'loss' ? sql`not (${TRADE_IS_WIN})` : undefined;
    const where = and(journalWhere(trades, trades.exitTimeMs, query, spec), outcome);
    const rows = await wrapDriver('listing trades', () =>
      db
        .select()
        .from(trades)
        .where(where)
        .orderBy(...orderOf(spec as SortSpec<unknown>, query.direction))
        .limit(limit + 1),
    );
    return pageOf(rows, limit, spec, rowToTrade);
  }

  return {
    async appendTrades(records: readonly TradeRecord[], fence?: SessionFence): Promise<void> {
      if (records.length === 0) return;
      const rows = records.map(tradeToRow);
      await wrapDriver(`appending ${rows.length} trades`, () =>
        db.transaction(async (tx) => {
          await checkSessionFence(tx, fence);
          for (const chunk of chunks(rows, INSERT_CHUNK_ROWS)) await tx.insert(trades).values(chunk).onConflictDoNothing();
        }),
      );
    },

    async appendDecisions(records: readonly DecisionRecord[], fence?: SessionFence): Promise<void> {
      if (records.length === 0) return;
      await ensureDecisionMonths(records.map((d) => d.timeMs));
      await wrapDriver(`appending ${records.length} decisions`, () =>
        db.transaction(async (tx) => {
          await checkSessionFence(tx, fence);
          for (const chunk of chunks(records, DECISION_CHUNK_ROWS)) {
            // One statement per chunk: a column array per field, unnested server-side (far fewer
            // bind parameters than a multi-row VALUES list, which matters for long backtests).
            const col = (f: (d: DecisionRecord) => string | number | null) => pgArrayLiteral(chunk.map(f));
            await tx.execute(sql`
              insert into ${decisionLog} (id, run_id, account_id, exchange, symbol, timeframe, strategy, time_ms, outcome, side, strength, reason, inputs)
              select t.id, t.run_id, t.account_id, t.exchange, t.symbol, t.timeframe, t.strategy, t.time_ms, t.outcome, t.side, t.strength, t.reason, t.inputs::jsonb
              from unnest(
                ${col((d) => d.id)}::text[], ${col((d) => d.runId)}::text[], ${col((d) => d.accountId ?? null)}::text[], ${col((d) => d.exchange)}::text[],
                ${col((d) => d.symbol)}::text[], ${col((d) => d.timeframe)}::text[], ${col((d) => d.strategy)}::text[],
                ${col((d) => d.timeMs)}::bigint[], ${col((d) => d.outcome)}::text[], ${col((d) => d.side)}::text[],
                ${col((d) => d.strength)}::float8[], ${col((d) => d.reason)}::text[], ${col((d) => JSON.stringify(d.inputs))}::text[]
              ) as t(id, run_id, account_id, exchange, symbol, timeframe, strategy, time_ms, outcome, side, strength, reason, inputs)
              on conflict do nothing`);
          }
        }),
      );
    },

    listTrades,

    async listDecisions(query: JournalQuery): Promise<Page<DecisionRecord>> {
      const limit = clampLimit(query.limit);
      const spec = sortOf(DECISION_SORTS, query, 'decisions');
      if (query.outcome !== undefined && !DECISION_OUTCOMES.includes(query.outcome)) {
        throw new ValidationError('outcome', query.outcome, `decisions have outcome ${DECISION_OUTCOMES.join(', ')}`);
      }
      const where = and(journalWhere(decisionLog, decisionLog.timeMs, query, spec), query.outcome !== undefined ? eq(decisionLog.outcome, query.outcome) : undefined);
      const rows = await wrapDriver('listing decisions', () =>
        db
          .select()
          .from(decisionLog)
          .where(where)
          .orderBy(...orderOf(spec as SortSpec<unknown>, query.direction))
          .limit(limit + 1),
      );
      return pageOf(rows, limit, spec, rowToDecision);
    },

    async getTrade(id: string): Promise<TradeRecord | null> {
      const rows = await wrapDriver(`reading trade "${id}"`, () => db.select().from(trades).where(eq(trades.id, id)).limit(1));
      return rows.length > 0 ? rowToTrade(rows[0]) : null;
    },

    async hasSymbol(symbol: string): Promise<boolean> {
      // Two index probes (trades and decision_log lead their symbol indexes with the symbol).
      const rows = await wrapDriver(`looking up symbol "${symbol}"`, async () =>
        rowsOf<{ known: boolean }>(
          await db.execute(
            sql`select (exists (select 1 from ${trades} where ${trades.symbol} = ${symbol}) or exists (select 1 from ${decisionLog} where ${decisionLog.symbol} = ${symbol})) as known`,
          ),
        ),
      );
      return rows[0]?.known === true;
    },

    async *iterTrades(query: Omit<JournalQuery, 'cursor' | 'limit'>): AsyncIterable<TradeRecord> {
      let cursor: string | undefined;
      do {
        const page = await listTrades({ ...query, limit: ITER_PAGE_ROWS, cursor });
        yield* page.items;
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
    },

    summarizeTrades: (filter) => summarizeTradesIn(db, filter),

    breakdownTrades,

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
