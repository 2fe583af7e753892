/**
 * In-memory implementations of the engine's repository ports, for unit tests, benchmarks and
 * the contract suites. Same semantics as the database adapters, minus durability.
 */
import type {
  BacktestRunRecord,
  BacktestRunRepository,
  CandleRepository,
  CandleStreamSummary,
  DecisionRecord,
  JournalQuery,
  JournalRepository,
  Page,
  RiskStateRecord,
  RiskStateRepository,
  TradeRecord,
} from '../core/ports';
import type { CandleColumns, MarketKey } from '../core/types';
import { NotFoundError, ValidationError } from '../core/errors';

const keyOf = (k: MarketKey) => `${k.exchange}|${k.symbol}|${k.timeframe}`;

/** Column arrays from row objects. */
export function toColumns(rows: readonly { openTimeMs: number; open: number; high: number; low: number; close: number; volume: number }[]): CandleColumns {
  const n = rows.length;
  const c = {
    length: n,
    openTimeMs: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n),
  };
  rows.forEach((r, i) => {
    c.openTimeMs[i] = r.openTimeMs;
    c.open[i] = r.open;
    c.high[i] = r.high;
    c.low[i] = r.low;
    c.close[i] = r.close;
    c.volume[i] = r.volume;
  });
  return c;
}

export function createInMemoryCandleRepository(): CandleRepository {
  const streams = new Map<string, { key: MarketKey; rows: Map<number, [number, number, number, number, number]> }>();
  return {
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
    async summarize(): Promise<CandleStreamSummary[]> {
      return [...streams.values()]
        .filter((s) => s.rows.size > 0)
        .map((s) => {
          const times = [...s.rows.keys()];
          return { ...s.key, count: times.length, firstOpenTimeMs: Math.min(...times), lastOpenTimeMs: Math.max(...times) };
        });
    },
    async countCandles(key) {
      return streams.get(keyOf(key))?.rows.size ?? 0;
    },
  };
}

function clampLimit(limit: number | undefined): number {
  const value = limit ?? 100;
  if (!Number.isInteger(value) || value < 1 || value > 1000) throw new ValidationError('limit', value, 'expected an integer from 1 to 1000');
  return value;
}

function pageOf<T extends { id: string }>(rows: T[], timeOf: (r: T) => number, query: JournalQuery): Page<T> {
  const limit = clampLimit(query.limit);
  const sorted = [...rows].sort((a, b) => timeOf(b) - timeOf(a) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  let start = 0;
  if (query.cursor) {
    const [t, id] = JSON.parse(Buffer.from(query.cursor, 'base64url').toString()) as [number, string];
    start = sorted.findIndex((r) => timeOf(r) < t || (timeOf(r) === t && r.id < id));
    if (start < 0) start = sorted.length;
  }
  const items = sorted.slice(start, start + limit);
  const last = items[items.length - 1];
  const nextCursor = items.length === limit && start + limit < sorted.length ? Buffer.from(JSON.stringify([timeOf(last), last.id])).toString('base64url') : null;
  return { items, nextCursor };
}

function matches(query: JournalQuery, r: { symbol: string; strategy: string; runId: string | null }, t: number): boolean {
  return (
    (query.symbol === undefined || r.symbol === query.symbol) &&
    (query.strategy === undefined || r.strategy === query.strategy) &&
    (query.runId === undefined || r.runId === query.runId) &&
    (query.fromMs === undefined || t >= query.fromMs) &&
    (query.toMs === undefined || t < query.toMs)
  );
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
      trades.push(...rows.map((r) => ({ ...r })));
    },
    async appendDecisions(rows) {
      decisions.push(...rows.map((r) => ({ ...r })));
    },
    async listTrades(query) {
      return pageOf(trades.filter((t) => matches(query, t, t.exitTimeMs)), (t) => t.exitTimeMs, query);
    },
    async listDecisions(query) {
      return pageOf(decisions.filter((d) => matches(query, d, d.timeMs)), (d) => d.timeMs, query);
    },
    async *iterTrades(query) {
      yield* trades.filter((t) => matches(query, t, t.exitTimeMs)).sort((a, b) => b.exitTimeMs - a.exitTimeMs);
    },
    async nowTs() {
      return now();
    },
  };
}

export function createInMemoryRiskStateRepository(): RiskStateRepository & { readonly saved: Map<string, RiskStateRecord> } {
  const saved = new Map<string, RiskStateRecord>();
  return {
    saved,
    async load(accountId) {
      const s = saved.get(accountId);
      return s ? { ...s } : null;
    },
    async save(state) {
      saved.set(state.accountId, { ...state });
    },
  };
}

export function createInMemoryBacktestRunRepository(now: () => number = () => 0): BacktestRunRepository & { readonly runs: Map<string, BacktestRunRecord> } {
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
  };
}
