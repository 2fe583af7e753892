/**
 * Ports: the interfaces the engine needs from the outside world. Adapters in `db/`
 * (and in-memory ones for tests) implement them; the composition root injects them.
 */
import type { CandleColumns, MarketKey, Timeframe } from './types';

/** Source of time. Never call `Date.now()` in the engine; ask the clock. */
export interface Clock {
  nowMs(): number;
}

/** Structured logger (pino-compatible subset). Never pass secrets. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Summary of one stored candle stream, for the home page and health. */
export interface CandleStreamSummary extends MarketKey {
  count: number;
  firstOpenTimeMs: number;
  lastOpenTimeMs: number;
}

/** Result of writing a batch of candles. `inserted` counts new rows (duplicates by open time are ignored). */
export interface CandleWriteResult {
  inserted: number;
}

/** Candle storage. Writes are all-or-nothing. */
export interface CandleRepository {
  /** Inserts candles in one transaction; rows whose (exchange, symbol, timeframe, openTimeMs) exist are left unchanged. */
  insertCandles(key: MarketKey, candles: CandleColumns): Promise<CandleWriteResult>;
  /** Loads candles with `fromMs <= openTimeMs < toMs`, ascending, as typed columns. */
  loadCandles(key: MarketKey, fromMs: number, toMs: number): Promise<CandleColumns>;
  /**
   * The candles of `[fromMs, toMs)` aggregated into buckets of `bucketMs` aligned to multiples of it
   * since the epoch, exactly as engine/market `downsampleCandles` does, but in the store: a wide chart
   * window reads one row per bucket instead of every candle. @throws ValidationError when bucketMs is not a positive integer.
   */
  loadCandleBuckets(key: MarketKey, fromMs: number, toMs: number, bucketMs: number): Promise<CandleColumns>;
  /** One row per stored (exchange, symbol, timeframe). */
  summarize(): Promise<CandleStreamSummary[]>;
  /** Number of candles stored for a key. */
  countCandles(key: MarketKey): Promise<number>;
}

/** A closed (round-trip) trade as journaled. Money in quote currency. */
export interface TradeRecord {
  id: string;
  runId: string | null;
  exchange: string;
  symbol: string;
  strategy: string;
  side: 'long' | 'short';
  amount: number;
  entryPrice: number;
  exitPrice: number;
  entryTimeMs: number;
  exitTimeMs: number;
  realizedPnl: number;
  fees: number;
  funding: number;
  /**
   * How it ended: `signal` (the loop's exit), `stop` (its protective stop filled), `liquidation`,
   * `reduce` (paper: a reduce-only order), `venue` (a real venue closed it without the loop or a filled
   * stop: liquidation or a close by hand; priced at the last candle close).
   */
  exitReason: string;
}

export const DecisionOutcome = {
  NoTrade: 'no_trade',
  Signal: 'signal',
  Vetoed: 'vetoed',
  Denied: 'denied',
  Expired: 'expired',
  Cooldown: 'cooldown',
  Executed: 'executed',
} as const;
export type DecisionOutcome = (typeof DecisionOutcome)[keyof typeof DecisionOutcome];

/** One row of the decision log: every decision, including no-trade, vetoed and denied, with inputs and reason. */
export interface DecisionRecord {
  id: string;
  runId: string | null;
  exchange: string;
  symbol: string;
  timeframe: Timeframe;
  strategy: string;
  timeMs: number;
  outcome: DecisionOutcome;
  side: 'long' | 'short' | 'flat';
  strength: number;
  reason: string;
  /** Adapter signals, fusion inputs, veto confidence and model version, risk checks. */
  inputs: Record<string, unknown>;
}

/** How a closed trade ended: `win` when realized pnl > 0, else `loss` (break-even counts as a loss, as in the metrics' win rate). */
export const TradeOutcome = { Win: 'win', Loss: 'loss' } as const;
export type TradeOutcome = (typeof TradeOutcome)[keyof typeof TradeOutcome];

/**
 * Sort keys of journal lists. `time` is the trade's exit time or the decision's time; ties (and
 * `symbol`, which sorts by symbol then time) break on id, so pages never overlap. `pnl` (realized
 * pnl) applies to trades only.
 */
export const JournalSort = { Time: 'time', Pnl: 'pnl', Symbol: 'symbol' } as const;
export type JournalSort = (typeof JournalSort)[keyof typeof JournalSort];

export const SortDirection = { Asc: 'asc', Desc: 'desc' } as const;
export type SortDirection = (typeof SortDirection)[keyof typeof SortDirection];

/**
 * Page request for journal lists. `limit` 1..1000. Time filters are `fromMs <= time < toMs`.
 * A cursor is only valid with the sort and direction of the page that returned it.
 * Repositories throw ValidationError naming the field for an outcome or sort that does not apply
 * to the list (e.g. `outcome: "vetoed"` on trades, `sort: "pnl"` on decisions).
 */
export interface JournalQuery {
  symbol?: string;
  strategy?: string;
  /** A backtest run id; `null` selects live rows only (no run). */
  runId?: string | null;
  fromMs?: number;
  toMs?: number;
  /** Trades: long|short; decisions: long|short|flat. */
  side?: 'long' | 'short' | 'flat';
  /** Trades: win|loss; decisions: a DecisionOutcome. */
  outcome?: TradeOutcome | DecisionOutcome;
  /** Default `time`. */
  sort?: JournalSort;
  /** Default `desc` (newest first). */
  direction?: SortDirection;
  limit?: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Net PnL of the trades that exited on one UTC day (`dayStartMs` = that day's 00:00 UTC). */
export interface DailyNetPnl {
  dayStartMs: number;
  netPnl: number;
}

/**
 * Aggregate of the closed trades of one scope (live or one backtest run), computed by the store so
 * the overview never loads the trades. Net PnL = realizedPnl − fees − funding; money in quote currency.
 */
export interface TradeSummary {
  trades: number;
  /** Trades with net PnL > 0. */
  wins: number;
  /** Trades with net PnL < 0 (break-even trades are neither). */
  losses: number;
  /** Sum of the positive net PnLs. */
  grossProfit: number;
  /** Sum of |net PnL| over the losing trades (>= 0). */
  grossLoss: number;
  netPnl: number;
  /** Sum of |amount × entryPrice|. */
  entryNotional: number;
  /** Earliest entry time; null without trades. */
  firstEntryMs: number | null;
  /** Length of the union of the [entry, exit] intervals (overlapping trades count once), ms. */
  exposureMs: number;
  /** Net PnL per UTC exit day, ascending; days without exits are absent. */
  daily: DailyNetPnl[];
}

/** Journal storage for trades and decisions. Appends are multi-row and transactional. */
export interface JournalRepository {
  appendTrades(trades: readonly TradeRecord[]): Promise<void>;
  appendDecisions(decisions: readonly DecisionRecord[]): Promise<void>;
  listTrades(query: JournalQuery): Promise<Page<TradeRecord>>;
  listDecisions(query: JournalQuery): Promise<Page<DecisionRecord>>;
  /** One trade by id, or null. */
  getTrade(id: string): Promise<TradeRecord | null>;
  /** True when any trade or decision (live or backtest) has exactly this symbol; an index lookup per table. */
  hasSymbol(symbol: string): Promise<boolean>;
  /** Streams every matching trade in constant memory (server-side cursor / keyset pages). */
  iterTrades(query: Omit<JournalQuery, 'cursor' | 'limit'>): AsyncIterable<TradeRecord>;
  /** Aggregates the live trades (`runId: null`) or one run's trades in the store; see TradeSummary. */
  summarizeTrades(filter: { runId: string | null }): Promise<TradeSummary>;
  /** The database server's current time (ms), for drift checks and health. */
  nowTs(): Promise<number>;
  /**
   * Deletes up to `maxRows` (default 5 000) live decision rows (no run id) with `timeMs < beforeMs`,
   * oldest first; backtest decisions stay with their runs. Call again until it returns less than
   * `maxRows`. @returns how many rows were deleted.
   */
  pruneDecisionsBefore(beforeMs: number, maxRows?: number): Promise<number>;
}

/** Persisted risk state: survives restarts so a halt stays a halt. */
export interface RiskStateRecord {
  accountId: string;
  halted: boolean;
  haltReason: string | null;
  haltedAtMs: number | null;
  dayStartEquity: number;
  dayStartMs: number;
  peakEquity: number;
  updatedAtMs: number;
}

export interface RiskStateRepository {
  load(accountId: string): Promise<RiskStateRecord | null>;
  save(state: RiskStateRecord): Promise<void>;
}

export const BacktestRunStatus = { Running: 'running', Complete: 'complete', Failed: 'failed' } as const;
export type BacktestRunStatus = (typeof BacktestRunStatus)[keyof typeof BacktestRunStatus];

/** One point of a (downsampled) equity curve: account equity in quote currency at `timeMs`. */
export interface EquityPoint {
  timeMs: number;
  equity: number;
}

/**
 * A stored backtest run. Lifecycle: created `running`, then exactly one of `complete`
 * (with metrics and equity curve) or `failed` (with an error). Its trades and decisions
 * are in the journal under `runId = id`. Timestamps are set by the database clock.
 */
export interface BacktestRunRecord {
  id: string;
  status: BacktestRunStatus;
  config: Record<string, unknown>;
  /** Hash of the canonical config, to find identical runs. */
  configHash: string;
  exchange: string;
  symbol: string;
  timeframe: Timeframe;
  /** Simulated range, `fromMs <= openTimeMs < toMs`. */
  fromMs: number;
  toMs: number;
  metrics: Record<string, unknown> | null;
  /** Downsampled equity curve; null until complete. */
  equity: EquityPoint[] | null;
  tradeCount: number | null;
  decisionCount: number | null;
  error: string | null;
  startedAtMs: number;
  finishedAtMs: number | null;
}

/** What starting a run needs; the status is `running` and `startedAtMs` is the database's now. */
export type NewBacktestRun = Pick<
  BacktestRunRecord,
  'id' | 'config' | 'configHash' | 'exchange' | 'symbol' | 'timeframe' | 'fromMs' | 'toMs'
>;

/** Results recorded when a run completes. */
export interface BacktestRunResult {
  metrics: Record<string, unknown>;
  equity: EquityPoint[];
  tradeCount: number;
  decisionCount: number;
}

/** A run in a list: everything but the equity curve. */
export type BacktestRunSummary = Omit<BacktestRunRecord, 'equity'>;

/** Storage for backtest runs. */
export interface BacktestRunRepository {
  /** Inserts a `running` run. Throws RepositoryError when the id exists. */
  create(run: NewBacktestRun): Promise<BacktestRunRecord>;
  /** Marks a running run complete with its results. Throws NotFoundError when no running run has this id. */
  complete(id: string, result: BacktestRunResult): Promise<void>;
  /** Marks a running run failed. Throws NotFoundError when no running run has this id. */
  fail(id: string, error: string): Promise<void>;
  get(id: string): Promise<BacktestRunRecord | null>;
  /** Newest first (by start time, then id), keyset-paginated; `limit` 1..1000. */
  list(page: { limit?: number; cursor?: string }): Promise<Page<BacktestRunSummary>>;
  /** After a restart no run can still be running: marks them failed with `reason`; returns how many. */
  markStaleRunningAsFailed(reason: string): Promise<number>;
}

/** One stored application setting (the `app_settings` table): a JSON value under a key. */
export interface SettingRecord {
  key: string;
  value: unknown;
  updatedAtMs: number;
  /** Who changed it (e-mail or `cli`); null when unknown. */
  updatedBy: string | null;
}

/** Application settings storage. */
export interface SettingsRepository {
  get(key: string): Promise<SettingRecord | null>;
  /** Inserts or replaces the value under `record.key`. */
  put(record: SettingRecord): Promise<void>;
}
