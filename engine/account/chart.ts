/**
 * The account's chart: a candle window (aggregated by the store when wide) and the markers drawn
 * on it (closed trades, decisions, working stops).
 */
import { ValidationError } from '../core/errors';
import { TIMEFRAME_MS, type Candle, type MarketKey, type Timeframe } from '../core/types';
import type { CandleRepository } from '../ports/candles';
import type { DecisionRecord, JournalRepository, TradeRecord } from '../ports/journal';
import type { Order } from '../ports/exchange';
import { chooseBucketMs, MAX_WINDOW_POINTS } from '../market/downsample-candles';

/** A chart window. `bucketMs` equals the stream's timeframe unless the range was aggregated. */
export interface CandleWindow {
  key: MarketKey;
  fromMs: number;
  toMs: number;
  bucketMs: number;
  candles: Candle[];
  /** The whole stream's range, so the chart knows how far it can pan; null when the stream is empty. */
  stream: { firstOpenTimeMs: number; lastOpenTimeMs: number; count: number } | null;
}

/** A closed trade as a chart marks it; `netPnl` = realised − fees − funding. */
export type ChartTrade = Pick<TradeRecord, 'id' | 'side' | 'amount' | 'entryTimeMs' | 'entryPrice' | 'exitTimeMs' | 'exitPrice' | 'exitReason' | 'strategy'> & { netPnl: number };

/** Trades and decisions of one market in a window, for chart markers. */
export interface ChartMarkers {
  trades: ChartTrade[];
  /** Executed, vetoed and denied decisions; `stopPrice` when the decision carried one. */
  decisions: { id: string; timeMs: number; outcome: DecisionRecord['outcome']; side: DecisionRecord['side']; reason: string; stopPrice: number | null }[];
  /** Working stop orders of the paper account on the symbol (live view only). */
  stops: { orderId: string; side: 'buy' | 'sell'; stopPrice: number; amount: number }[];
}

/**
 * Candles of `key` with `fromMs <= openTimeMs < toMs`, aggregated by the store into coarser buckets
 * when more than `maxPoints` (capped at MAX_WINDOW_POINTS) would be returned.
 * @throws ValidationError for an unknown timeframe or a bad range or budget.
 */
export async function loadCandleWindow(candleStore: CandleRepository, key: MarketKey, fromMs: number, toMs: number, maxPoints: number): Promise<CandleWindow> {
  const timeframeMs = TIMEFRAME_MS[key.timeframe as Timeframe];
  if (timeframeMs === undefined) throw new ValidationError('timeframe', key.timeframe, 'unknown timeframe');
  const bucketMs = chooseBucketMs(timeframeMs, fromMs, toMs, Math.min(maxPoints, MAX_WINDOW_POINTS));
  // A wide window is aggregated by the store: one row per bucket, never every candle of the range.
  const [out, streams] = await Promise.all([
    bucketMs === timeframeMs ? candleStore.loadCandles(key, fromMs, toMs) : candleStore.loadCandleBuckets(key, fromMs, toMs, bucketMs),
    candleStore.summarize(),
  ]);
  const summary = streams.find((s) => s.exchange === key.exchange && s.symbol === key.symbol && s.timeframe === key.timeframe);
  const candles: Candle[] = new Array(out.length);
  for (let i = 0; i < out.length; i++) {
    candles[i] = { openTimeMs: out.openTimeMs[i], open: out.open[i], high: out.high[i], low: out.low[i], close: out.close[i], volume: out.volume[i] };
  }
  return {
    key: { exchange: key.exchange, symbol: key.symbol, timeframe: key.timeframe },
    fromMs,
    toMs,
    bucketMs,
    candles,
    stream: summary ? { firstOpenTimeMs: summary.firstOpenTimeMs, lastOpenTimeMs: summary.lastOpenTimeMs, count: summary.count } : null,
  };
}

/**
 * The markets a stored backtest run traded: its symbol, or each symbol of a portfolio run (whose
 * `symbol` is the comma-joined list, `BTC/USDT,ETH/USDT`), in the listed order.
 */
export function runSymbols(run: { symbol: string }): string[] {
  return run.symbol.split(',');
}

/** Whose working stops a chart shows. */
type StopSource = { openOrders(symbol?: string): Order[] } | null;

/**
 * Trades (by exit time) and executed/vetoed/denied decisions of a market in `[fromMs, toMs]`: every
 * account's live rows, a run's (`runId`: a portfolio run's rows of this market only), or the rows of account
 * `accountId`'s sessions alone with that account's working stops when it is a paper account (`exchangeOf`).
 * Every account's view has no stops: each account's rest on its own book, and one account's beside every
 * account's trades would read as theirs. At most 1000 of each. The end is inclusive: an event at exactly
 * `toMs` (a run's end-of-run close, at the clock after its last candle) belongs to the window's last bar.
 * @throws ValidationError for an empty or non-finite range, or an account given with a run.
 */
export async function loadChartMarkers(
  deps: { journal: JournalRepository; exchangeOf?: (accountId: string) => Promise<StopSource> },
  { key, fromMs, toMs, runId, accountId }: { key: MarketKey; fromMs: number; toMs: number; runId?: string; accountId?: string },
): Promise<ChartMarkers> {
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs <= fromMs) throw new ValidationError('toMs', toMs, `expected a finite time after fromMs ${fromMs}`);
  if (accountId !== undefined && runId !== undefined) throw new ValidationError('accountId', accountId, `an account's markers are its sessions', a run's its backtest's: give account "${accountId}" or run "${runId}", not both`);
  // The journal's ranges exclude their end; one more millisecond takes in events at exactly toMs.
  const query = { symbol: key.symbol, fromMs, toMs: toMs + 1, limit: 1000, ...(runId !== undefined ? { runId } : {}), ...(accountId !== undefined ? { accountId, runId: null } : {}) };
  const [trades, decisions, stopSource] = await Promise.all([
    deps.journal.listTrades(query),
    deps.journal.listDecisions(query),
    accountId !== undefined ? (deps.exchangeOf?.(accountId) ?? null) : null,
  ]);
  const mine = <T extends { runId: string | null; exchange: string }>(r: T) => r.exchange === key.exchange && (runId !== undefined || r.runId === null);
  const stops =
    stopSource
      ? stopSource
          .openOrders(key.symbol)
          .filter((o) => o.type === 'stop' && o.stopPrice !== null)
          .map((o) => ({ orderId: o.id, side: o.side, stopPrice: o.stopPrice as number, amount: o.amount - o.filled }))
      : [];
  return {
    trades: trades.items.filter(mine).map((t) => ({
      id: t.id,
      side: t.side,
      amount: t.amount,
      entryTimeMs: t.entryTimeMs,
      entryPrice: t.entryPrice,
      exitTimeMs: t.exitTimeMs,
      exitPrice: t.exitPrice,
      exitReason: t.exitReason,
      strategy: t.strategy,
      netPnl: t.realizedPnl - t.fees - t.funding,
    })),
    decisions: decisions.items
      .filter((d) => mine(d) && d.timeframe === key.timeframe && (d.outcome === 'executed' || d.outcome === 'vetoed' || d.outcome === 'denied'))
      .map((d) => ({ id: d.id, timeMs: d.timeMs, outcome: d.outcome, side: d.side, reason: d.reason, stopPrice: stopOf(d.inputs) })),
    stops,
  };
}

/** The stop a decision carried (`inputs.stopPrice`, else the fused stop hint), or null. */
function stopOf(inputs: Record<string, unknown>): number | null {
  const direct = inputs.stopPrice;
  if (typeof direct === 'number' && Number.isFinite(direct)) return direct;
  const fused = inputs.fused as { stopHint?: unknown } | undefined;
  if (fused && typeof fused.stopHint === 'number' && Number.isFinite(fused.stopHint)) return fused.stopHint;
  return null;
}
