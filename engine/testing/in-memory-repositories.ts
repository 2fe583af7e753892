/**
 * In-memory implementations of the engine's repository ports, for unit tests, benchmarks and
 * the contract suites. Same semantics as the database adapters, minus durability.
 */
import { DecisionOutcome, TradeOutcome, type DecisionRecord, type JournalQuery, type JournalRepository, type Page, type TradeBreakdown, type TradeGroup, type TradeRecord, type TradeSummary } from '../ports/journal';
import { type BacktestRunRecord, type BacktestRunRepository } from '../ports/backtest-runs';
import { type CandleGap, type CandleRepository, type CandleStreamCoverage, type CandleStreamSummary } from '../ports/candles';
import { RESUMED_DAY_START_MS, RESUMED_PEAK_EQUITY, type RiskStateRecord, type RiskStateRepository } from '../ports/risk-state';
import { type SettingRecord, type SettingsRepository } from '../ports/settings';
import { TIMEFRAME_MS, candleColumnsFromRows, type MarketKey, type Timeframe } from '../core/types';
import { NotFoundError, ValidationError } from '../core/errors';
import { downsampleCandles } from '../market/downsample-candles';
import { isWinningNetPnl, isWinningTrade, tradeNetPnl } from '../insight/trade-outcome';
import { journalAccountOf, parseTradeSummaryFilter } from '../journal/journal-filter';
import type { AccountRecord, AccountRepository } from '../ports/accounts';
import type { PaperExchangeState } from '../ports/accounts';

const keyOf = (k: MarketKey) => `${k.exchange}|${k.symbol}|${k.timeframe}`;

/** Column arrays from row objects. */
export const toColumns = candleColumnsFromRows;

export function createInMemoryCandleRepository(): CandleRepository {
  const streams = new Map<string, { key: MarketKey; rows: Map<number, [number, number, number, number, number]> }>();
  const repository: CandleRepository = {
    async insertCandles(key, candles) {
      let stream = streams.get(keyOf(key));
      if (!stream) {
        stream = { key: { ...key }, rows: new Map() };
        streams.set(keyOf(key), stream);
      }
      let inserted = 0;
      for (let i = 0; i < candles.length; i++) {
        const t = candles.openTimeMs[i];
        if (stream.rows.has(t)) continue;
        stream.rows.set(t, [candles.open[i], candles.high[i], candles.low[i], candles.close[i], candles.volume[i]]);
        inserted++;
      }
      return { inserted };
    },
    async loadCandles(key, fromMs, toMs) {
      const stream = streams.get(keyOf(key));
      const times = stream ? [...stream.rows.keys()].filter((t) => t >= fromMs && t < toMs).sort((a, b) => a - b) : [];
      return toColumns(
        times.map((t) => {
          const [open, high, low, close, volume] = stream!.rows.get(t)!;
          return { openTimeMs: t, open, high, low, close, volume };
        }),
      );
    },
    async loadCandleBuckets(key, fromMs, toMs, bucketMs) {
      if (!Number.isSafeInteger(bucketMs) || bucketMs <= 0) throw new ValidationError('bucketMs', bucketMs, 'expected a whole number of milliseconds > 0');
      return downsampleCandles(await repository.loadCandles(key, fromMs, toMs), bucketMs);
    },
    async summarize(): Promise<CandleStreamSummary[]> {
      return [...streams.values()]
        .filter((s) => s.rows.size > 0)
        .map((s) => {
          const times = [...s.rows.keys()];
          return { ...s.key, count: times.length, firstOpenTimeMs: Math.min(...times), lastOpenTimeMs: Math.max(...times) };
        });
    },
    async summarizeCoverage(largestGaps): Promise<CandleStreamCoverage[]> {
      checkLargestGaps(largestGaps);
      const out: CandleStreamCoverage[] = [];
      for (const s of streams.values()) {
        if (s.rows.size === 0) continue;
        const times = [...s.rows.keys()].sort((a, b) => a - b);
        const stepMs = TIMEFRAME_MS[s.key.timeframe as Timeframe];
        const gaps: CandleGap[] = [];
        for (let i = 1; i < times.length; i++) {
          if (times[i] - times[i - 1] > stepMs) gaps.push({ afterOpenTimeMs: times[i - 1], beforeOpenTimeMs: times[i], missing: Math.floor((times[i] - times[i - 1]) / stepMs) - 1 });
        }
        const first = times[0];
        const last = times[times.length - 1];
        const expectedCount = Math.floor((last - first) / stepMs) + 1;
        out.push({
          ...s.key,
          count: times.length,
          firstOpenTimeMs: first,
          lastOpenTimeMs: last,
          expectedCount,
          missingCount: expectedCount - times.length,
          gapCount: gaps.length,
          largestGaps: gaps.sort((a, b) => b.missing - a.missing || a.afterOpenTimeMs - b.afterOpenTimeMs).slice(0, largestGaps),
        });
      }
      const order = (c: CandleStreamCoverage) => [c.exchange, c.symbol, c.timeframe].join('\u0000');
      return out.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
    },
    async countCandles(key) {
      return streams.get(keyOf(key))?.rows.size ?? 0;
    },
  };
  return repository;
}

/** @throws ValidationError unless `largestGaps` is an integer 0..100 (the port's `summarizeCoverage` contract). */
function checkLargestGaps(largestGaps: number): void {
  if (!Number.isInteger(largestGaps) || largestGaps < 0 || largestGaps > 100) throw new ValidationError('largestGaps', largestGaps, 'expected an integer from 0 to 100');
}

function clampLimit(limit: number | undefined): number {
  const value = limit ?? 100;
  if (!Number.isInteger(value) || value < 1 || value > 1000) throw new ValidationError('limit', value, 'expected an integer from 1 to 1000');
  return value;
}

type SortKey = (string | number)[];

/** Compares sort keys element-wise (numbers numerically, strings by code unit, like the database's C collation on ids). */
function compareKeys(a: SortKey, b: SortKey): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  return 0;
}

/** Types of the cursor elements per sort (the pnl amount travels as text). */
const CURSOR_KINDS: Record<string, readonly ('number' | 'string')[]> = {
  time: ['number', 'string'],
  pnl: ['string', 'string'],
  symbol: ['string', 'number', 'string'],
};

/** Keyset page over `keyOf` (same cursor encoding as the drizzle repository: base64url JSON of the last key). */
function pageOf<T>(rows: T[], keyOf: (r: T) => SortKey, query: JournalQuery): Page<T> {
  const limit = clampLimit(query.limit);
  const sign = query.direction === 'asc' ? 1 : -1;
  const sorted = [...rows].sort((a, b) => sign * compareKeys(keyOf(a), keyOf(b)));
  let start = 0;
  if (query.cursor) {
    let after: SortKey;
    try {
      after = JSON.parse(Buffer.from(query.cursor, 'base64url').toString()) as SortKey;
      const kinds = CURSOR_KINDS[query.sort ?? 'time'];
      if (!Array.isArray(after) || after.length !== kinds.length || kinds.some((kind, i) => typeof after[i] !== kind)) throw new Error('shape');
    } catch {
      throw new ValidationError('cursor', query.cursor, 'not a cursor returned by a previous page with this sort');
    }
    if (query.sort === 'pnl') after[0] = Number(after[0]);
    start = sorted.findIndex((r) => sign * compareKeys(keyOf(r), after) > 0);
    if (start < 0) start = sorted.length;
  }
  const items = sorted.slice(start, start + limit);
  const last = items[items.length - 1];
  const lastKey = last === undefined ? [] : keyOf(last);
  // The pnl cursor carries the amount as text, like the drizzle repository's exact numeric key.
  if (query.sort === 'pnl' && lastKey.length > 0) lastKey[0] = String(lastKey[0]);
  const nextCursor = items.length === limit && start + limit < sorted.length ? Buffer.from(JSON.stringify(lastKey)).toString('base64url') : null;
  return { items, nextCursor };
}

/** Whether row `r` (time `t`) passes `query`'s filters; the query's account id is checked by the caller (`journalAccountOf`). */
function matches(query: JournalQuery, r: { symbol: string; strategy: string; runId: string | null; accountId?: string | null; side: string }, t: number): boolean {
  return (
    (query.accountId === undefined || r.accountId === query.accountId) &&
    (query.symbol === undefined || r.symbol === query.symbol) &&
    (query.strategy === undefined || r.strategy === query.strategy) &&
    (query.runId === undefined || r.runId === query.runId) &&
    (query.fromMs === undefined || t >= query.fromMs) &&
    (query.toMs === undefined || t < query.toMs) &&
    (query.side === undefined || r.side === query.side)
  );
}

const TRADE_OUTCOMES: readonly string[] = Object.values(TradeOutcome);
const DECISION_OUTCOMES: readonly string[] = Object.values(DecisionOutcome);

function tradeKey(query: JournalQuery): (t: TradeRecord) => SortKey {
  const sort = query.sort ?? 'time';
  if (sort === 'time') return (t) => [t.exitTimeMs, t.id];
  if (sort === 'pnl') return (t) => [tradeNetPnl(t), t.id];
  if (sort === 'symbol') return (t) => [t.symbol, t.exitTimeMs, t.id];
  throw new ValidationError('sort', sort, 'trades sort by time or pnl or symbol');
}

function decisionKey(query: JournalQuery): (d: DecisionRecord) => SortKey {
  const sort = query.sort ?? 'time';
  if (sort === 'time') return (d) => [d.timeMs, d.id];
  if (sort === 'symbol') return (d) => [d.symbol, d.timeMs, d.id];
  throw new ValidationError('sort', sort, 'decisions sort by time or symbol');
}

function filterTrades(trades: readonly TradeRecord[], query: JournalQuery): TradeRecord[] {
  journalAccountOf(query);
  if (query.side !== undefined && query.side !== 'long' && query.side !== 'short') throw new ValidationError('side', query.side, 'trades are long or short');
  if (query.outcome !== undefined && !TRADE_OUTCOMES.includes(query.outcome)) {
    throw new ValidationError('outcome', query.outcome, `trades have outcome ${TRADE_OUTCOMES.join(' or ')}`);
  }
  return trades.filter(
    (t) =>
      matches(query, t, t.exitTimeMs) &&
      (query.outcome === undefined || (query.outcome === 'win') === isWinningTrade(t)),
  );
}

const DAY_MS = 86_400_000;

/** The TradeSummary of `rows`, as the drizzle repository computes it in SQL (same float arithmetic). */
export function summarizeTradeRecords(rows: readonly TradeRecord[]): TradeSummary {
  const summary: TradeSummary = { trades: 0, wins: 0, losses: 0, grossProfit: 0, grossLoss: 0, netPnl: 0, entryNotional: 0, firstEntryMs: null, exposureMs: 0, daily: [] };
  const byDay = new Map<number, number>();
  for (const t of rows) {
    const net = tradeNetPnl(t);
    summary.trades++;
    if (isWinningNetPnl(net)) {
      summary.wins++;
      summary.grossProfit += net;
    } else if (net < 0) {
      summary.losses++;
      summary.grossLoss -= net;
    }
    summary.netPnl += net;
    summary.entryNotional += Math.abs(t.amount * t.entryPrice);
    if (summary.firstEntryMs === null || t.entryTimeMs < summary.firstEntryMs) summary.firstEntryMs = t.entryTimeMs;
    const day = Math.floor(t.exitTimeMs / DAY_MS) * DAY_MS;
    byDay.set(day, (byDay.get(day) ?? 0) + net);
  }
  summary.daily = [...byDay.entries()].sort((a, b) => a[0] - b[0]).map(([dayStartMs, netPnl]) => ({ dayStartMs, netPnl }));
  // Union of [entry, exit]: ordered by entry, each trade adds what lies beyond the latest exit so far.
  const order = rows.map((t) => [t.entryTimeMs, t.exitTimeMs] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let latestExit = -Infinity;
  for (const [entry, exit] of order) {
    summary.exposureMs += Math.max(0, exit - Math.max(entry, latestExit));
    if (exit > latestExit) latestExit = exit;
  }
  return summary;
}

const HOUR_MS = 3_600_000;

/**
 * The TradeBreakdown of `rows`, as the drizzle repository computes it in SQL: net PnL summed in
 * row order, a win is net PnL > 0, hour and ISO weekday of the entry time in UTC.
 */
export function breakdownTradeRecords(rows: readonly TradeRecord[]): TradeBreakdown {
  const groupsOf = <Key extends string | number>(keyOf: (t: TradeRecord) => Key): TradeGroup<Key>[] => {
    const groups = new Map<Key, TradeGroup<Key> & { rSum: number; rCount: number }>();
    for (const t of rows) {
      const key = keyOf(t);
      const group = groups.get(key) ?? { key, trades: 0, wins: 0, winRate: 0, netPnl: 0, averageR: null, rSum: 0, rCount: 0 };
      const net = t.realizedPnl - t.fees - t.funding;
      group.trades++;
      if (net > 0) group.wins++;
      group.netPnl += net;
      if (t.initialRisk !== undefined && t.initialRisk !== null && t.initialRisk > 0) {
        group.rSum += net / t.initialRisk;
        group.rCount++;
      }
      groups.set(key, group);
    }
    return [...groups.values()]
      .map(({ rSum, rCount, ...g }) => ({ ...g, winRate: g.wins / g.trades, averageR: rCount > 0 ? rSum / rCount : null }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  };
  return {
    trades: rows.length,
    strategy: groupsOf((t) => t.strategy),
    exitReason: groupsOf((t) => t.exitReason),
    side: groupsOf((t) => t.side),
    hourOfDay: groupsOf((t) => Math.floor((t.entryTimeMs % DAY_MS) / HOUR_MS)),
    // Epoch day 0 (1970-01-01) was a Thursday, ISO weekday 4.
    weekday: groupsOf((t) => ((Math.floor(t.entryTimeMs / DAY_MS) + 3) % 7) + 1),
  };
}

export interface InMemoryJournalRepository extends JournalRepository {
  readonly trades: TradeRecord[];
  readonly decisions: DecisionRecord[];
}

export function createInMemoryJournalRepository(now: () => number = () => 0): InMemoryJournalRepository {
  const trades: TradeRecord[] = [];
  const decisions: DecisionRecord[] = [];
  return {
    trades,
    decisions,
    async appendTrades(rows) {
      // No spread: a batch may be larger than the call stack allows. A missing initial risk reads back as null, as from the database.
      for (const r of rows) trades.push({ ...r, initialRisk: r.initialRisk ?? null });
    },
    async appendDecisions(rows) {
      decisions.push(...rows.map((r) => ({ ...r })));
    },
    async listTrades(query) {
      return pageOf(filterTrades(trades, query), tradeKey(query), query);
    },
    async listDecisions(query) {
      const key = decisionKey(query);
      journalAccountOf(query);
      if (query.outcome !== undefined && !DECISION_OUTCOMES.includes(query.outcome)) {
        throw new ValidationError('outcome', query.outcome, `decisions have outcome ${DECISION_OUTCOMES.join(', ')}`);
      }
      return pageOf(
        decisions.filter((d) => matches(query, d, d.timeMs) && (query.outcome === undefined || d.outcome === query.outcome)),
        key,
        query,
      );
    },
    async getTrade(id) {
      const trade = trades.find((t) => t.id === id);
      return trade ? { ...trade } : null;
    },
    async hasSymbol(symbol) {
      return trades.some((t) => t.symbol === symbol) || decisions.some((d) => d.symbol === symbol);
    },
    async *iterTrades(query) {
      const key = tradeKey(query);
      const sign = query.direction === 'asc' ? 1 : -1;
      yield* filterTrades(trades, query).sort((a, b) => sign * compareKeys(key(a), key(b)));
    },
    async summarizeTrades(filter) {
      const { runId, accountId } = parseTradeSummaryFilter(filter);
      return summarizeTradeRecords(trades.filter((t) => t.runId === runId && (accountId === undefined || t.accountId === accountId)));
    },
    async breakdownTrades(filter) {
      // A win is net PnL > 0 (the drizzle repository's breakdown filters the outcome the same way).
      const net = (t: TradeRecord) => t.realizedPnl - t.fees - t.funding;
      filterTrades([], filter); // validates the side and outcome
      const matching = filterTrades(trades, { ...filter, outcome: undefined }).filter((t) => filter.outcome === undefined || (filter.outcome === 'win' ? net(t) > 0 : net(t) <= 0));
      return breakdownTradeRecords(matching);
    },
    async nowTs() {
      return now();
    },
    async pruneDecisionsBefore(beforeMs, maxRows = 5_000) {
      const doomed = decisions
        .filter((d) => d.runId === null && d.timeMs < beforeMs)
        .sort((a, b) => a.timeMs - b.timeMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .slice(0, maxRows);
      const ids = new Set(doomed.map((d) => d.id));
      const kept = decisions.filter((d) => !ids.has(d.id));
      decisions.splice(0, decisions.length, ...kept);
      return doomed.length;
    },
  };
}

export function createInMemoryRiskStateRepository(): RiskStateRepository & { readonly saved: Map<string, RiskStateRecord> } {
  const saved = new Map<string, RiskStateRecord>();
  // Same rules as the database: a new row starts at halt version 1, which goes up when the halt fields
  // change; a save carrying a version is stored only while the stored version still equals it.
  const save = (state: RiskStateRecord) => {
    const stored = saved.get(state.accountId);
    const version = stored?.haltVersion ?? 0;
    if (stored && state.haltVersion !== undefined && state.haltVersion !== version) return;
    const changed = stored !== undefined && (stored.halted !== state.halted || stored.haltReason !== state.haltReason || stored.haltedAtMs !== state.haltedAtMs);
    saved.set(state.accountId, { ...state, haltVersion: stored === undefined ? 1 : changed ? version + 1 : version });
  };
  return {
    saved,
    async load(accountId) {
      const s = saved.get(accountId);
      return s ? { ...s } : null;
    },
    async save(state) {
      save(state);
    },
    // The halt fields alone over a stored row; all of `state` for a new one.
    async saveHalt(state) {
      const stored = saved.get(state.accountId);
      const { haltVersion: _ignored, ...control } = state;
      const rebase = control.halted ? {} : { dayStartMs: RESUMED_DAY_START_MS, peakEquity: RESUMED_PEAK_EQUITY };
      save(stored ? { ...stored, halted: control.halted, haltReason: control.haltReason, haltedAtMs: control.haltedAtMs, updatedAtMs: control.updatedAtMs, ...rebase, haltVersion: undefined } : control);
    },
  };
}

/** In-memory BacktestRunRepository; `journal` (when given) is where a deleted run's trades and decisions are removed from. */
export function createInMemoryBacktestRunRepository(
  now: () => number = () => 0,
  journal?: Pick<InMemoryJournalRepository, 'trades' | 'decisions'>,
): BacktestRunRepository & { readonly runs: Map<string, BacktestRunRecord> } {
  const runs = new Map<string, BacktestRunRecord>();
  const running = (id: string) => {
    const run = runs.get(id);
    if (!run || run.status !== 'running') throw new NotFoundError(`no running backtest run "${id}"`);
    return run;
  };
  return {
    runs,
    async create(run) {
      if (runs.has(run.id)) throw new Error(`backtest run "${run.id}" exists`);
      const record: BacktestRunRecord = {
        ...run,
        status: 'running',
        metrics: null,
        equity: null,
        tradeCount: null,
        decisionCount: null,
        error: null,
        startedAtMs: now(),
        finishedAtMs: null,
      };
      runs.set(run.id, record);
      return { ...record };
    },
    async complete(id, result) {
      Object.assign(running(id), { status: 'complete', ...result, finishedAtMs: now() });
    },
    async fail(id, error) {
      Object.assign(running(id), { status: 'failed', error, finishedAtMs: now() });
    },
    async get(id) {
      const run = runs.get(id);
      return run ? { ...run } : null;
    },
    async list(page) {
      const limit = clampLimit(page.limit);
      const all = [...runs.values()].reverse().map(({ equity: _equity, ...rest }) => rest);
      const start = page.cursor ? Number(page.cursor) : 0;
      const items = all.slice(start, start + limit);
      return { items, nextCursor: start + limit < all.length ? String(start + limit) : null };
    },
    async markStaleRunningAsFailed(reason) {
      let n = 0;
      for (const run of runs.values()) {
        if (run.status === 'running') {
          Object.assign(run, { status: 'failed', error: reason, finishedAtMs: now() });
          n++;
        }
      }
      return n;
    },
    async delete(id) {
      const run = runs.get(id);
      if (!run) return null;
      if (run.status === 'running') throw new ValidationError('runId', id, 'the run is still running; wait until it completes or fails, then delete it');
      runs.delete(id);
      if (journal) {
        for (const rows of [journal.trades, journal.decisions] as { runId: string | null }[][]) {
          for (let i = rows.length - 1; i >= 0; i--) if (rows[i].runId === id) rows.splice(i, 1);
        }
      }
      const { equity: _equity, ...summary } = run;
      return summary;
    },
  };
}

/** In-memory SettingsRepository; values are deep-copied in and out like a JSON column. */
export function createInMemorySettingsRepository(): SettingsRepository & { readonly rows: Map<string, SettingRecord> } {
  const rows = new Map<string, SettingRecord>();
  return {
    rows,
    async get(key) {
      const row = rows.get(key);
      return row ? structuredClone(row) : null;
    },
    async put(record) {
      rows.set(record.key, structuredClone(record));
    },
  };
}

/** In-memory AccountRepository; `saveState` with a risk record writes it to `riskState` too (like the database's one transaction). A session fence is not checked here (the in-memory live session store checks checkpoints). */
export function createInMemoryAccountRepository(riskState?: RiskStateRepository): AccountRepository & { readonly states: Map<string, PaperExchangeState> } {
  const records = new Map<string, AccountRecord>();
  const states = new Map<string, PaperExchangeState>();
  const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
  return {
    states,
    list: async () => [...records.values()].sort((a, b) => a.createdAtMs - b.createdAtMs || a.id.localeCompare(b.id)).map(copy),
    get: async (id) => (records.has(id) ? copy(records.get(id)!) : null),
    async insert(record) {
      if (records.has(record.id)) return false;
      records.set(record.id, copy(record));
      return true;
    },
    async update(record) {
      if (records.has(record.id)) records.set(record.id, copy(record));
    },
    loadState: async (id) => (states.has(id) ? copy(states.get(id)!) : null),
    async saveState(id, state, _updatedAtMs, risk) {
      states.set(id, copy(state));
      if (risk && riskState) await riskState.save(risk);
    },
  };
}
