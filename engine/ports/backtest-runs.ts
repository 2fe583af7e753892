/**
 * Backtest run storage port: runs, their results and equity curves.
 * engine/ports holds every interface the engine needs from outside; it imports only engine/core and other ports.
 */
import type { ReturnMetrics, TradeMetrics } from '../core/performance-metrics';
import type { Timeframe } from '../core/types';
import type { Page } from './journal';

export const BacktestRunStatus = { Running: 'running', Complete: 'complete', Failed: 'failed' } as const;
export type BacktestRunStatus = (typeof BacktestRunStatus)[keyof typeof BacktestRunStatus];

/** One point of a (downsampled) equity curve: account equity in quote currency at `timeMs`. */
export interface EquityPoint {
  timeMs: number;
  equity: number;
}

/**
 * A circuit-breaker halt during a run: when the risk engine stopped new entries (the candle close time
 * of the trip, epoch ms), its reason as the risk engine gave it ("max_drawdown: equity 8,950 is 10.5%
 * below peak …"), and when entries resumed (a daily-loss halt resumes at the next UTC day), null when
 * the halt held to the end of the run.
 */
export interface BreakerHalt {
  timeMs: number;
  reason: string;
  resumedAtMs: number | null;
}

/**
 * What a completed run stores as its metrics: the return and trade metrics, the final equity (quote
 * currency), the loop's counters, the breaker halts in time order and the warm-up history it got
 * (`runBacktest` writes it; runs stored before halts or warm-ups were recorded have no `halts` or `warmup`).
 */
export type BacktestRunMetrics = ReturnMetrics & TradeMetrics & { finalEquity: number; stats: Record<string, number>; halts?: BreakerHalt[]; warmup?: BacktestWarmup; portfolio?: PortfolioMetrics };

/**
 * The correlation matrix of a portfolio run's per-market returns: Pearson's r of two markets' per-candle
 * contribution returns (the change of account equity over the market's candle / the account equity before
 * the timestamp) over the timestamps where both have a candle; see engine/backtest/portfolio.ts.
 */
export interface PortfolioCorrelation {
  /** How the returns were defined, for readers of the stored metrics. */
  method: 'pearson-contribution-returns';
  symbols: string[];
  /** `matrix[i][j]` = r of markets i and j over their common timestamps; 1 on the diagonal of a varying series; null when undefined. */
  matrix: (number | null)[][];
}

/** One market of a portfolio run. Money in the account's quote currency. */
export interface PortfolioMarketBreakdown {
  symbol: string;
  /** Candles of the market in the run's range. */
  candles: number;
  /** Open time of its first candle in the range (it joined the run then), epoch ms. */
  firstOpenTimeMs: number;
  /** Closed trades (or parts) journaled on the market. */
  trades: number;
  /** Trades with a net PnL above 0 over all trades, 0..1; null without trades. */
  winRate: number | null;
  /** Sum of the trades' net PnL (realized - fees - funding). */
  netPnl: number;
  /** Sum of the trades' fees. */
  fees: number;
  /** The market's contribution to the account's equity change (equals `netPnl` when every position was closed at the end). */
  contribution: number;
  /** Largest peak-to-trough fall of the market's cumulative contribution, >= 0. */
  maxDrawdown: number;
  /** Entries the market made and entries the risk gate denied it (caps shared across markets included). */
  entries: number;
  denied: number;
}

/** What a portfolio run adds to its metrics: one row per market (in the listed order) and the correlation matrix. */
export interface PortfolioMetrics {
  markets: PortfolioMarketBreakdown[];
  correlation: PortfolioCorrelation;
}

/**
 * The history a run fed its indicators before `from` (no decisions, no orders, no equity): `needed`
 * is the largest startup history of its strategies, `candles` how many of those were stored (fewer
 * when the store starts later or has gaps; the run still ran). Runs stored before it was recorded have none.
 */
export interface BacktestWarmup {
  candles: number;
  needed: number;
}

/** The numeric metrics of a run, by name (what tables and comparisons show). */
export type BacktestRunMetricName = { [K in keyof BacktestRunMetrics]-?: BacktestRunMetrics[K] extends number ? K : never }[keyof BacktestRunMetrics];

/**
 * Metrics as read back from storage: JSON has no NaN or Infinity, so a metric that was not finite
 * reads back as null (an in-memory store keeps the number).
 */
export type StoredMetrics<M> = { [K in keyof M]: M[K] extends number ? number | null : M[K] };

/** A completed run's metrics as stored. */
export type StoredBacktestRunMetrics = StoredMetrics<BacktestRunMetrics>;

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
  /** Null until complete. */
  metrics: StoredBacktestRunMetrics | null;
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
  metrics: BacktestRunMetrics;
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
  /**
   * Deletes a finished run with the trades and decisions it journaled, all or nothing; returns what was
   * deleted (null for an unknown id). @throws ValidationError naming `runId` for a run still running.
   */
  delete(id: string): Promise<BacktestRunSummary | null>;
}
