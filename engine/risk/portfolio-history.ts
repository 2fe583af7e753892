/**
 * The return history of an account's positions from stored candles, for portfolio VaR / ES (see
 * `value-at-risk.ts`): which candle stream of each market is used, and the account-level figures the
 * account view and the overview show.
 *
 * Stream choice: the markets (the positions' and, for a pre-trade check, the order's) must share a
 * timeframe, since a scenario is one candle of it. Among the timeframes every market has, the longest one
 * whose streams all hold `lookbackCandles + 1` candles is used (the horizon a trader reads first: a day
 * before an hour); when none holds that many, the one whose shortest stream is longest. Per market and
 * timeframe, the stream of `exchange` when given (a venue account), else the one with the latest candle.
 */
import type { CandleRepository, CandleStreamSummary } from '../ports/candles';
import { TIMEFRAME_MS, type CandleColumns, type MarketKey, type Timeframe } from '../core/types';
import { ValidationError } from '../core/errors';
import { createPromiseMemo } from '../core/promise-memo';
import { alignReturns, computeValueAtRisk, lastScenarios, type PortfolioRiskInput, type PositionExposure, type ValueAtRiskResult } from './value-at-risk';

/** The VaR / ES settings of a risk config. */
export interface ValueAtRiskSettings {
  varConfidence: number;
  varLookbackCandles: number;
  maxVarFraction: number | null;
  maxExpectedShortfallFraction: number | null;
}

/**
 * An account's VaR and ES now: `flat` without open positions, `unavailable` when the positions' markets have
 * no common stored candles (reason says why), else the figures over the scenarios found (`scenarios` may be
 * fewer than the configured lookback when less history is stored; the pre-trade check then denies).
 */
export type AccountValueAtRisk =
  | { status: 'flat'; confidence: number; lookbackCandles: number }
  | { status: 'unavailable'; confidence: number; lookbackCandles: number; reason: string }
  | (Omit<ValueAtRiskResult, 'equity'> & {
      status: 'ok';
      lookbackCandles: number;
      /** Timeframe of the returns: the horizon is one such candle. */
      timeframe: string;
      /** Open times of the candles ending the oldest and newest scenario, epoch ms. */
      fromOpenTimeMs: number;
      toOpenTimeMs: number;
      equity: number;
      maxVarFraction: number | null;
      maxExpectedShortfallFraction: number | null;
    });

/** Picks the timeframe and the stream of each symbol (see the module comment); null when the symbols share no timeframe. */
export function chooseStreams(
  streams: readonly CandleStreamSummary[],
  symbols: readonly string[],
  lookbackCandles: number,
  exchange: string | null = null,
): { timeframe: Timeframe; streams: CandleStreamSummary[] } | null {
  if (symbols.length === 0) return null;
  const byTimeframe = new Map<string, CandleStreamSummary[]>();
  for (const timeframe of Object.keys(TIMEFRAME_MS)) {
    const picked: CandleStreamSummary[] = [];
    for (const symbol of symbols) {
      let best: CandleStreamSummary | null = null;
      for (const s of streams) {
        if (s.symbol !== symbol || s.timeframe !== timeframe || (exchange !== null && s.exchange !== exchange)) continue;
        if (!best || s.lastOpenTimeMs > best.lastOpenTimeMs || (s.lastOpenTimeMs === best.lastOpenTimeMs && s.count > best.count)) best = s;
      }
      if (!best) break;
      picked.push(best);
    }
    if (picked.length === symbols.length) byTimeframe.set(timeframe, picked);
  }
  if (byTimeframe.size === 0) return null;
  const minCount = (list: CandleStreamSummary[]) => Math.min(...list.map((s) => s.count));
  const candidates = [...byTimeframe.entries()].sort((a, b) => TIMEFRAME_MS[b[0] as Timeframe] - TIMEFRAME_MS[a[0] as Timeframe]);
  const full = candidates.find(([, list]) => minCount(list) >= lookbackCandles + 1);
  const chosen = full ?? candidates.reduce((best, c) => (minCount(c[1]) > minCount(best[1]) ? c : best));
  return { timeframe: chosen[0] as Timeframe, streams: chosen[1] };
}

/**
 * Loads the newest `lookbackCandles` common returns of `symbols` (positions' markets plus, for a pre-trade
 * check, the order's) from stored candles. Returns null when the symbols share no stored timeframe.
 * Reads at most (2 × lookbackCandles + 2) candles per stream, so a gap in one stream shortens the history
 * rather than widening the read.
 */
export async function loadPortfolioHistory(
  candles: Pick<CandleRepository, 'summarize' | 'loadCandles'>,
  request: { exposures: readonly PositionExposure[]; symbols: readonly string[]; lookbackCandles: number; exchange?: string | null },
): Promise<PortfolioRiskInput | null> {
  const symbols = [...new Set([...request.exposures.filter((e) => e.notional !== 0).map((e) => e.symbol), ...request.symbols])].sort();
  const chosen = chooseStreams(await candles.summarize(), symbols, request.lookbackCandles, request.exchange ?? null);
  if (!chosen) return null;
  const tfMs = TIMEFRAME_MS[chosen.timeframe];
  const span = (2 * request.lookbackCandles + 2) * tfMs;
  const series = await Promise.all(
    chosen.streams.map(async (s) => ({
      symbol: s.symbol,
      candles: await candles.loadCandles({ exchange: s.exchange, symbol: s.symbol, timeframe: s.timeframe }, s.lastOpenTimeMs - span, s.lastOpenTimeMs + 1),
    })),
  );
  return { exposures: request.exposures, history: alignReturns(series, request.lookbackCandles), timeframe: chosen.timeframe };
}

/** Candle windows a {@link createCandleWindowCache} keeps by default: a few per market of a busy account. */
export const CANDLE_WINDOW_CACHE_ENTRIES = 64;

/**
 * Wraps a candle store for repeated VaR / ES reads: `loadCandles` answers of the same market and range are
 * kept (the range of {@link loadPortfolioHistory} ends at the stream's last candle, so a new candle makes a
 * new key and the window is read again). Concurrent reads of one window share one load; a failed load is
 * not kept. At most `maxEntries` windows are held, the least recently used dropped first. `summarize` is
 * passed through. A candle rewritten inside a kept window (a re-import of the same open time) shows once
 * the stream's next candle arrives.
 * @throws ValidationError when `maxEntries` is not an integer >= 1.
 */
export function createCandleWindowCache(
  candles: Pick<CandleRepository, 'summarize' | 'loadCandles'>,
  maxEntries: number = CANDLE_WINDOW_CACHE_ENTRIES,
): Pick<CandleRepository, 'summarize' | 'loadCandles'> {
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new ValidationError('maxEntries', maxEntries, `maxEntries (${String(maxEntries)}) must be an integer >= 1`);
  const windows = createPromiseMemo<CandleColumns>(maxEntries);
  return {
    summarize: () => candles.summarize(),
    loadCandles(key: MarketKey, fromMs: number, toMs: number): Promise<CandleColumns> {
      const id = `${key.exchange}\u0000${key.symbol}\u0000${key.timeframe}\u0000${fromMs}\u0000${toMs}`;
      return windows.get(id, () => candles.loadCandles(key, fromMs, toMs));
    },
  };
}

/**
 * The account-level figures from a loaded history (null: none could be loaded). `exposures` are the open
 * positions (signed notionals); zero ones are ignored.
 */
export function accountValueAtRisk(
  exposures: readonly PositionExposure[],
  input: PortfolioRiskInput | null,
  equity: number,
  settings: ValueAtRiskSettings,
): AccountValueAtRisk {
  const confidence = settings.varConfidence;
  const lookbackCandles = settings.varLookbackCandles;
  const open = exposures.filter((e) => e.notional !== 0);
  if (open.length === 0) return { status: 'flat', confidence, lookbackCandles };
  const symbols = open.map((e) => e.symbol).join(', ');
  if (!input || input.history.length === 0) {
    return { status: 'unavailable', confidence, lookbackCandles, reason: `no stored candles of ${symbols} share a timeframe with at least two common candles` };
  }
  if (!(Number.isFinite(equity) && equity > 0)) return { status: 'unavailable', confidence, lookbackCandles, reason: `equity ${equity} is not positive` };
  const history = lastScenarios(input.history, lookbackCandles);
  const result = computeValueAtRisk({ exposures: open, history, confidence, equity });
  return {
    ...result,
    status: 'ok',
    lookbackCandles,
    timeframe: input.timeframe,
    fromOpenTimeMs: history.openTimeMs[0],
    toOpenTimeMs: history.openTimeMs[history.length - 1],
    maxVarFraction: settings.maxVarFraction,
    maxExpectedShortfallFraction: settings.maxExpectedShortfallFraction,
  };
}
