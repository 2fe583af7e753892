/**
 * Research views of a finished backtest, computed from its stored (downsampled) equity curve and the
 * market's candles: the underwater (drawdown) curve, a buy-and-hold benchmark of the same market and
 * period, and rolling Sharpe ratio and volatility. Pure functions; the engine loads the inputs.
 *
 * What they tell a trader: the underwater curve shows how deep and how long the strategy sat below its
 * best equity (Magdon-Ismail & Atiya, "Maximum drawdown", Risk 2004); the benchmark answers "did the
 * strategy beat simply holding the asset?"; the rolling Sharpe shows whether the edge is stable or came
 * from one stretch (Sharpe, "The Sharpe Ratio", J. Portfolio Management 1994).
 */
import type { CandleColumns } from '../core/types';
import type { EquityPoint } from '../ports/backtest-runs';
import { rollingSharpe as rollingSharpeOfReturns } from './metrics';

/** One point of an underwater curve: the fraction below the running peak (0 at a new high, -0.25 = 25 % under). */
export interface DrawdownPoint {
  timeMs: number;
  drawdown: number;
}

/**
 * The underwater curve of an equity curve: `equity / runningPeak - 1` at every point (<= 0).
 * A peak of 0 or less gives drawdown 0 (nothing to fall from).
 */
export function drawdownSeries(points: readonly EquityPoint[]): DrawdownPoint[] {
  let peak = -Infinity;
  return points.map(({ timeMs, equity }) => {
    if (equity > peak) peak = equity;
    return { timeMs, drawdown: peak > 0 ? equity / peak - 1 : 0 };
  });
}

/** Options of {@link buyAndHoldCurve}. */
export interface BuyAndHoldOptions {
  /** Candle length, ms: each point is stamped at a candle's close time (open + timeframe), as the run's equity is. */
  timeframeMs: number;
  /** Fee paid on the buy and on the final sale, bps of notional; default 0. */
  feeBps?: number;
}

/**
 * Buy-and-hold equity in quote currency: `initialBalance` (less the buy fee) buys at the first candle's
 * open, then the holding is marked at each candle's close; the last point also pays the sale fee.
 * Empty candles give an empty curve.
 * @throws RangeError when the first open is not above 0 or the balance is not a finite number above 0.
 */
export function buyAndHoldCurve(candles: Pick<CandleColumns, 'length' | 'openTimeMs' | 'open' | 'close'>, initialBalance: number, options: BuyAndHoldOptions): EquityPoint[] {
  const n = candles.length;
  if (n === 0) return [];
  const entry = candles.open[0];
  if (!(entry > 0)) throw new RangeError(`Buy-and-hold needs a first open above 0, got ${entry}`);
  if (!(initialBalance > 0) || !Number.isFinite(initialBalance)) throw new RangeError(`Buy-and-hold needs an initial balance above 0, got ${initialBalance}`);
  const fee = (options.feeBps ?? 0) / 10_000;
  const amount = (initialBalance * (1 - fee)) / entry;
  const points: EquityPoint[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const value = amount * candles.close[i];
    points[i] = { timeMs: candles.openTimeMs[i] + options.timeframeMs, equity: i === n - 1 ? value * (1 - fee) : value };
  }
  return points;
}

/** Rolling statistics over the last `window` simple returns ending at `timeMs`; null where undefined (flat window). */
export interface RollingRiskPoint {
  timeMs: number;
  /** Annualised Sharpe ratio (risk-free rate 0): mean / sample std * sqrt(periodsPerYear); null when the std is 0. */
  sharpe: number | null;
  /** Annualised volatility: sample std * sqrt(periodsPerYear), a fraction (0.5 = 50 %). */
  volatility: number;
}

/**
 * Rolling Sharpe ratio and volatility of an equity curve: at each point with at least `window` returns
 * before it, over the simple returns `e[k] / e[k-1] - 1` of the last `window` intervals, annualised by
 * `periodsPerYear` (how many point intervals make a year: 365 days / the spacing of the points).
 * @throws RangeError when `window` is not an integer >= 2 or `periodsPerYear` is not above 0.
 */
export function rollingRisk(points: readonly EquityPoint[], window: number, periodsPerYear: number): RollingRiskPoint[] {
  if (!Number.isInteger(window) || window < 2) throw new RangeError(`Rolling window must be an integer >= 2, got ${window}`);
  if (!(periodsPerYear > 0) || !Number.isFinite(periodsPerYear)) throw new RangeError(`periodsPerYear must be above 0, got ${periodsPerYear}`);
  const returns: number[] = [];
  for (let k = 1; k < points.length; k++) {
    const previous = points[k - 1].equity;
    returns.push(previous > 0 ? points[k].equity / previous - 1 : 0);
  }
  // The Sharpe ratio is the metrics module's (one definition); volatility is the same window's sample std, annualised.
  const sharpe = returns.length >= window ? rollingSharpeOfReturns(Float64Array.from(returns), window, periodsPerYear) : new Float64Array(0);
  const out: RollingRiskPoint[] = [];
  const annual = Math.sqrt(periodsPerYear);
  for (let end = window; end <= returns.length; end++) {
    let sum = 0;
    for (let k = end - window; k < end; k++) sum += returns[k];
    const mean = sum / window;
    let squares = 0;
    for (let k = end - window; k < end; k++) squares += (returns[k] - mean) ** 2;
    const std = Math.sqrt(squares / (window - 1));
    const ratio = sharpe[end - 1];
    out.push({ timeMs: points[end].timeMs, sharpe: std > 0 && Number.isFinite(ratio) ? ratio : null, volatility: std * annual });
  }
  return out;
}

/** How many intervals of an equity curve's spacing make a year (365 days), from its first two points; null with fewer. */
export function periodsPerYearOf(points: readonly EquityPoint[]): number | null {
  if (points.length < 2) return null;
  const spacingMs = points[1].timeMs - points[0].timeMs;
  return spacingMs > 0 ? (365 * 86_400_000) / spacingMs : null;
}

/** The research views of one run (see {@link analyzeRunEquity}). */
export interface RunAnalysis {
  /** The run's underwater curve, at its equity points. */
  underwater: DrawdownPoint[];
  /** Buy-and-hold equity at the run's equity points (same balance, market and period; taker fee on buy and sale). */
  benchmark: EquityPoint[];
  /** Rolling Sharpe and volatility over `window` equity points. */
  rolling: RollingRiskPoint[];
  /** Equity points per rolling window. */
  window: number;
  /** The fee the benchmark paid on the buy and on the sale, bps. */
  benchmarkFeeBps: number;
}

/**
 * Underwater curve, buy-and-hold benchmark and rolling Sharpe/volatility of a run from its stored equity
 * curve (points stamped at candle close times) and its market's candles over the run's period. The
 * benchmark is sampled at the equity curve's times, so both lines share their x values; rolling
 * statistics are annualised by the spacing of the (downsampled) curve. A window larger than the curve
 * gives no rolling points.
 */
export function analyzeRunEquity(
  equity: readonly EquityPoint[],
  candles: Pick<CandleColumns, 'length' | 'openTimeMs' | 'open' | 'close'>,
  options: { initialBalance: number; timeframeMs: number; feeBps: number; window: number },
): RunAnalysis {
  const full = candles.length > 0 && options.initialBalance > 0 && candles.open[0] > 0 ? buyAndHoldCurve(candles, options.initialBalance, { timeframeMs: options.timeframeMs, feeBps: options.feeBps }) : [];
  const benchmark: EquityPoint[] = [];
  let k = 0;
  for (const point of equity) {
    while (k + 1 < full.length && full[k + 1].timeMs <= point.timeMs) k++;
    if (full.length > 0 && full[k].timeMs <= point.timeMs) benchmark.push({ timeMs: point.timeMs, equity: full[k].equity });
  }
  const periodsPerYear = periodsPerYearOf(equity);
  return {
    underwater: drawdownSeries(equity),
    benchmark,
    rolling: periodsPerYear === null ? [] : rollingRisk(equity, options.window, periodsPerYear),
    window: options.window,
    benchmarkFeeBps: options.feeBps,
  };
}
