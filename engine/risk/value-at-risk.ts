/**
 * Portfolio value-at-risk (VaR) and expected shortfall (ES) by historical simulation: today's positions
 * are revalued under each of the last N candle-to-candle returns of their markets, and the loss
 * distribution of those N scenarios gives the figures. No distribution is assumed; the horizon is one
 * candle of the returns' timeframe.
 *
 * Definitions (all money in the quote currency):
 * - return of symbol i over scenario t: r_{i,t} = close_{i,t} / close_{i,t-1} − 1 (simple return between two
 *   consecutive candles that every symbol has, see {@link alignReturns});
 * - scenario PnL: PnL_t = Σ_i notional_i × r_{i,t}, notional signed (+ long, − short) at the current mark;
 * - VaR_c = −Q(1 − c), where Q(p) is the empirical quantile of the n scenario PnLs by the inverse of the
 *   empirical distribution function, no interpolation: sort ascending PnL_(1) ≤ … ≤ PnL_(n) and take
 *   Q(p) = PnL_(k) with k = max(1, ⌈n·p⌉) (Hyndman & Fan 1996, "Sample Quantiles in Statistical Packages",
 *   The American Statistician 50(4), definition 1). ⌈n·p⌉ is taken with a tolerance of 1e-9 so that a
 *   product that is an integer in decimals (500 × (1 − 0.99) = 5) is not pushed to the next one by binary
 *   rounding (5.0000000000000044);
 * - ES_c = −mean(PnL_t | PnL_t ≤ −VaR_c), the tail conditional expectation (Artzner, Delbaen, Eber & Heath
 *   1999, "Coherent Measures of Risk", Mathematical Finance 9(3)): the mean of every scenario at or below the
 *   quantile, ties included, so ES_c ≥ VaR_c.
 * Both are positive for a loss; a negative VaR means even the quantile scenario is a gain. As fractions of
 * equity they are divided by the account's equity (> 0).
 */
import { ValidationError } from '../core/errors';
import type { CandleColumns } from '../core/types';

/** Tolerance of ⌈n·p⌉ in the quantile rank (see the module comment). */
const RANK_TOLERANCE = 1e-9;

/** One position as VaR sees it. */
export interface PositionExposure {
  symbol: string;
  /** Signed notional at the current mark, quote currency: amount × mark, + long, − short. */
  notional: number;
}

/**
 * Per-candle simple returns of several symbols on common candles: `returns[k][t]` is the return of
 * `symbols[k]` over scenario t, t = 0 oldest. Every column has `length` rows.
 */
export interface AlignedReturns {
  readonly symbols: readonly string[];
  readonly returns: readonly Float64Array[];
  /** Number of scenarios. */
  readonly length: number;
  /** Open time of the candle that ends each scenario, epoch ms, ascending (`length` rows). */
  readonly openTimeMs: Float64Array;
}

/** The newest `count` scenarios of `history` (views, no copy); the whole history when it has no more. */
export function lastScenarios(history: AlignedReturns, count: number): AlignedReturns {
  if (history.length <= count) return history;
  const from = history.length - count;
  return {
    symbols: history.symbols,
    returns: history.returns.map((r) => r.subarray(from)),
    length: count,
    openTimeMs: history.openTimeMs.subarray(from),
  };
}

/** What a pre-trade VaR check or an account view needs: positions before any order, and their history. */
export interface PortfolioRiskInput {
  exposures: readonly PositionExposure[];
  history: AlignedReturns;
  /** Timeframe of the returns (the VaR horizon is one such candle), e.g. "1h". */
  timeframe: string;
}

/**
 * Supplies a {@link PortfolioRiskInput}: the loop's own candles in a backtest, the stored candles of the
 * positions' markets for an account. `symbol` is the market of the proposed order (it must be in the
 * history even while flat in it). Returns null when no history is available.
 */
export interface PortfolioRiskSource {
  snapshot(symbol: string, lookbackCandles: number): PortfolioRiskInput | null | Promise<PortfolioRiskInput | null>;
}

/** VaR and ES of a portfolio. */
export interface ValueAtRiskResult {
  /** Confidence level c, 0 < c < 1. */
  confidence: number;
  /** Number of scenarios n. */
  scenarios: number;
  /** Rank k of the quantile scenario (1-based, ascending PnL). */
  quantileRank: number;
  /** VaR_c, quote currency (positive = loss). */
  valueAtRisk: number;
  /** ES_c, quote currency (positive = loss). */
  expectedShortfall: number;
  /** Number of scenarios averaged into ES (≥ quantileRank; more with ties). */
  tailCount: number;
  /** Equity the fractions are taken of. */
  equity: number;
  /** valueAtRisk / equity. */
  varFraction: number;
  /** expectedShortfall / equity. */
  esFraction: number;
}

/**
 * Checks a confidence level. @throws ValidationError naming `field` unless 0 < confidence < 1.
 */
export function requireConfidence(field: string, confidence: number): void {
  if (!(typeof confidence === 'number' && confidence > 0 && confidence < 1)) {
    throw new ValidationError(field, confidence, 'expected a confidence level strictly between 0 and 1, e.g. 0.99');
  }
}

/** The 1-based rank k = max(1, ⌈n·p⌉) of the empirical quantile Q(p) of n sorted values (see the module comment). */
export function quantileRank(n: number, p: number): number {
  return Math.min(n, Math.max(1, Math.ceil(n * p - RANK_TOLERANCE)));
}

/**
 * Scenario PnLs: out[t] = Σ_k notionals[k] × history.returns[k][t]. Symbols of `exposures` are matched to
 * the history by name; a zero notional contributes nothing.
 * @throws ValidationError when an exposure's symbol has no returns or a notional is not finite.
 */
export function scenarioPnl(exposures: readonly PositionExposure[], history: AlignedReturns): Float64Array {
  const out = new Float64Array(history.length);
  for (const exposure of exposures) {
    if (!Number.isFinite(exposure.notional)) throw new ValidationError('notional', exposure.notional, `expected a finite notional for "${exposure.symbol}"`);
    if (exposure.notional === 0) continue;
    const k = history.symbols.indexOf(exposure.symbol);
    if (k < 0) throw new ValidationError('symbol', exposure.symbol, 'no return history for this position');
    const r = history.returns[k];
    for (let t = 0; t < out.length; t++) out[t] += exposure.notional * r[t];
  }
  return out;
}

/**
 * VaR and ES at `confidence` of `exposures` over the scenarios of `history` (definitions in the module comment).
 * @throws ValidationError when confidence is not in (0, 1), equity is not finite and > 0, the history is
 * empty, or an exposure has no history.
 */
export function computeValueAtRisk(input: {
  exposures: readonly PositionExposure[];
  history: AlignedReturns;
  confidence: number;
  equity: number;
}): ValueAtRiskResult {
  const { history, confidence, equity } = input;
  requireConfidence('confidence', confidence);
  if (!(Number.isFinite(equity) && equity > 0)) throw new ValidationError('equity', equity, 'expected a finite equity > 0');
  const n = history.length;
  if (n < 1) throw new ValidationError('history', n, 'expected at least one return scenario');
  const pnl = scenarioPnl(input.exposures, history).sort();
  const k = quantileRank(n, 1 - confidence);
  const quantile = pnl[k - 1];
  let sum = 0;
  let count = 0;
  for (let t = 0; t < n && pnl[t] <= quantile; t++) {
    sum += pnl[t];
    count++;
  }
  // Written as 0 - x so a zero PnL gives +0, not -0.
  const valueAtRisk = 0 - quantile;
  const expectedShortfall = 0 - sum / count;
  return {
    confidence,
    scenarios: n,
    quantileRank: k,
    valueAtRisk,
    expectedShortfall,
    tailCount: count,
    equity,
    varFraction: valueAtRisk / equity,
    esFraction: expectedShortfall / equity,
  };
}

/**
 * Simple returns of each series over the last `lookbackCandles` scenarios on the open times all series
 * share (an inner join; a candle one series lacks is skipped for every series, so that scenario spans the
 * gap). Needs lookbackCandles + 1 common candles for a full history; fewer give a shorter one. Candles must
 * be in ascending open time (as CandleColumns are stored). Non-finite or non-positive closes are corrupt data.
 * @throws ValidationError when lookbackCandles is not a positive integer, a symbol repeats, or a close is not a positive number.
 */
export function alignReturns(series: readonly { symbol: string; candles: CandleColumns }[], lookbackCandles: number): AlignedReturns {
  if (!Number.isInteger(lookbackCandles) || lookbackCandles < 1) throw new ValidationError('lookbackCandles', lookbackCandles, 'expected an integer >= 1');
  const symbols = series.map((s) => s.symbol);
  if (new Set(symbols).size !== symbols.length) throw new ValidationError('symbols', symbols, 'each symbol once');
  const m = series.length;
  const want = lookbackCandles + 1;
  // Walk every series backwards from its last candle, keeping the open times all of them share.
  const rows: Int32Array[] = series.map(() => new Int32Array(want));
  const cursor = series.map((s) => s.candles.length - 1);
  let found = 0;
  if (m > 0) {
    while (found < want && cursor.every((c) => c >= 0)) {
      let latest = -Infinity;
      for (let k = 0; k < m; k++) latest = Math.max(latest, series[k].candles.openTimeMs[cursor[k]]);
      let aligned = true;
      for (let k = 0; k < m; k++) if (series[k].candles.openTimeMs[cursor[k]] !== latest) aligned = false;
      if (aligned) {
        for (let k = 0; k < m; k++) rows[k][want - 1 - found] = cursor[k]--;
        found++;
      } else {
        // Some series lacks the latest open time: step past it in those that have it.
        for (let k = 0; k < m; k++) if (series[k].candles.openTimeMs[cursor[k]] === latest) cursor[k]--;
      }
    }
  }
  const length = Math.max(0, found - 1);
  const start = want - found;
  const returns = series.map((s, k) => {
    const out = new Float64Array(length);
    const close = s.candles.close;
    for (let t = 0; t < found; t++) {
      const c = close[rows[k][start + t]];
      if (!(Number.isFinite(c) && c > 0)) throw new ValidationError('close', c, `expected a positive close for "${s.symbol}" at ${s.candles.openTimeMs[rows[k][start + t]]}`);
      if (t > 0) out[t - 1] = c / close[rows[k][start + t - 1]] - 1;
    }
    return out;
  });
  const openTimeMs = new Float64Array(length);
  for (let t = 0; t < length; t++) openTimeMs[t] = series[0].candles.openTimeMs[rows[0][start + 1 + t]];
  return { symbols, returns, length, openTimeMs };
}
